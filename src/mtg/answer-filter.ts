import type { AttributeEvidence, SlotKey } from '../attributes/vocabulary.js';
import { DECISIVE, topValue } from '../attributes/phrasing.js';
import { interpretAnswer, isUnknownAnswer } from '../attributes/answer-reading.js';
import type { PoolQuestion } from './question-pool.js';

// MTG's answer filter (§3.4): a Q&A pair is kept only when it adds an attribute value (or, for a context
// question, any answer at all); otherwise it is dropped with the reason recorded in the turn log.

/** Why an answer was dropped. */
export type DropReason = 'unanswerable' | 'refused' | 'redundant' | 'irrelevant';

/** One attribute value an answer states, with the reader's confidence in it. */
export interface AnswerFact {
  attribute: SlotKey;
  value: string;
  confidence: number;
}

export type AnswerVerdict = { kept: true; facts: AnswerFact[] } | { kept: false; reason: DropReason; facts: AnswerFact[] };

/** Answers that decline the task rather than answer it. */
const REFUSAL =
  /\b(i'?m sorry|i am sorry|i apologi[sz]e|as an ai\b|i (can ?not|can't|won't|will not|am unable to|'m unable to|am not able to) (help|assist|comply|identify|provide|answer|describe)|unable to (help|assist|comply)|against (my|the) (policy|guidelines))/i;

/** "Not visible", "cannot determine" and other ways of not knowing, beyond the shared isUnknownAnswer list. */
const UNANSWERABLE =
  /\b(not (clearly )?visible|invisible|obscured|out of (the )?(frame|view)|cannot (be )?(determined?|seen|identified)|can'?t (determine|identify|see)|not possible to (tell|determine|say)|impossible to (tell|determine|say)|hard to (tell|say)|difficult to (tell|say|determine)|no (visible|clear) (information|indication)|not (enough|sufficient) (information|detail)|does not (show|depict)|doesn'?t (show|depict)|n\/a)\b/i;

/** True for answers that decline the task ("I'm sorry, I can't help with that"). */
export function isRefusal(answer: string): boolean {
  return REFUSAL.test(answer);
}

/** True for answers that say the image does not show the asked-about thing clearly enough to tell. */
export function isUnanswerable(answer: string): boolean {
  const text = answer.trim();
  return text === '' || isUnknownAnswer(text) || UNANSWERABLE.test(text);
}

/** The attribute values an answer states decisively, read in the light of its question. */
export function answerFacts(question: string, answer: string): AnswerFact[] {
  const evidence = interpretAnswer(question, answer);
  const facts: AnswerFact[] = [];
  for (const key of Object.keys(evidence) as SlotKey[]) {
    const top = topValue(evidence, key);
    if (top && top.p >= DECISIVE) facts.push({ attribute: key, value: top.value, confidence: round3(top.p) });
  }
  return facts;
}

/**
 * Judges one answer against what is known: refusals and "cannot tell" are dropped first; an attribute
 * question's answer stating no attribute value is irrelevant; one whose values all repeat known values is
 * redundant. Context questions (no attribute) keep any real answer.
 */
export function judgeAnswer(question: PoolQuestion, answer: string, known: AttributeEvidence): AnswerVerdict {
  if (isRefusal(answer)) return { kept: false, reason: 'refused', facts: [] };
  if (isUnanswerable(answer)) return { kept: false, reason: 'unanswerable', facts: [] };
  const facts = answerFacts(question.text, answer);
  if (question.slots.length === 0) return { kept: true, facts };
  if (facts.length === 0) return { kept: false, reason: 'irrelevant', facts };
  const adds = facts.some((f) => topValue(known, f.attribute)?.value !== f.value || (topValue(known, f.attribute)?.p ?? 0) < DECISIVE);
  return adds ? { kept: true, facts } : { kept: false, reason: 'redundant', facts };
}

/** Lays answer facts over the known evidence (a later answer wins: it was asked about specifically). */
export function withFacts(known: AttributeEvidence, facts: readonly AnswerFact[]): AttributeEvidence {
  const next: AttributeEvidence = { ...known };
  for (const f of facts) next[f.attribute] = { [f.value]: f.confidence };
  return next;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
