import { answerValue, isUnknownAnswer, normalise, SETTLED_P } from '../../src/attributes/answer-reading.js';
import { SLOTS, type AttributeEvidence, type SlotKey } from '../../src/attributes/vocabulary.js';

export { normalise, SETTLED_P } from '../../src/attributes/answer-reading.js';

// Recording and merging MTI answers (DESIGN.md flow 3.4): the witness wins over the MLLM for a slot;
// "don't know", "skip", "not sure" and silence are normal answers that settle nothing.

/** Who answered a question. */
export type AnswerSource = 'witness' | 'mllm';

/** One reply as it arrives; `reply: null` means no reply before the timeout. */
export interface RawAnswer {
  slot?: SlotKey;
  question: string;
  source: AnswerSource;
  reply: string | null;
}

/** A reply after normalisation: `value` is one of the slot's values when the reply settles the slot. */
export interface RecordedAnswer {
  slot?: SlotKey;
  question: string;
  source: AnswerSource;
  /** The reply with control characters and extra whitespace removed ('' for a timeout). */
  text: string;
  status: 'known' | 'unknown';
  value?: string;
}

/** The answers that count: per slot the winning answer, plus free-text facts (answers outside the vocabulary). */
export interface MergedAnswers {
  bySlot: Map<SlotKey, RecordedAnswer>;
  freeText: RecordedAnswer[];
}

/** Normalises one reply: timeouts and "don't know"-style replies are unknown; slot replies are matched to a value. */
export function recordAnswer(raw: RawAnswer): RecordedAnswer {
  const text = (raw.reply ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').replace(/\s+/g, ' ').trim();
  const base = { ...(raw.slot ? { slot: raw.slot } : {}), question: raw.question, source: raw.source, text };
  if (isUnknownAnswer(raw.reply)) return { ...base, status: 'unknown' };
  if (!raw.slot) return { ...base, status: 'known' };
  const value = answerValue(raw.slot, text, raw.question || undefined);
  if (value !== undefined) return { ...base, status: 'known', value };
  // Words outside the vocabulary ("teal with white dots") are kept as a fact for the Reconstructor; a bare
  // "yes" to "What colour is the bag?" says nothing.
  return saysSomething(text) ? { ...base, status: 'known' } : { ...base, status: 'unknown' };
}

const FILLER = new Set(['yes', 'no', 'yeah', 'yep', 'nope', 'ok', 'okay', 'sure', 'maybe', 'the', 'a', 'an', 'it', 'was', 'is', 'i', 'think']);

function saysSomething(text: string): boolean {
  return normalise(text)
    .split(' ')
    .some((w) => w.length > 1 && !FILLER.has(w));
}

/** The value a reply settles for `key`: undefined for "don't know"-style replies and for none or several values. */
export function settledValue(key: SlotKey, reply: string): string | undefined {
  return answerValue(key, reply);
}

/**
 * Merges answers in arrival order: per slot a known witness answer beats any MLLM answer, and a later
 * answer of the same source beats an earlier one. Unknown answers never settle or unsettle a slot.
 */
export function mergeAnswers(answers: readonly RecordedAnswer[]): MergedAnswers {
  const bySlot = new Map<SlotKey, RecordedAnswer>();
  const freeText: RecordedAnswer[] = [];
  for (const a of answers) {
    if (a.status !== 'known') continue;
    if (!a.slot || a.value === undefined) {
      freeText.push(a);
      continue;
    }
    const current = bySlot.get(a.slot);
    if (current && current.source === 'witness' && a.source === 'mllm') continue;
    bySlot.set(a.slot, a);
  }
  return { bySlot, freeText };
}

/** The settled answers as certain attribute evidence. */
export function answerEvidence(merged: MergedAnswers): AttributeEvidence {
  const e: AttributeEvidence = {};
  for (const [key, a] of merged.bySlot) if (a.value !== undefined) e[key] = { [a.value]: 1 };
  return e;
}

/**
 * Slots that need no more questions: those the description states with probability ≥ `settledP`, those
 * a known answer settles, and dependent slots whose requirement is settled as not holding (no bag →
 * no bag colour).
 */
export function knownSlots(description: AttributeEvidence, answers: MergedAnswers, settledP = SETTLED_P): Set<SlotKey> {
  const value = new Map<SlotKey, string>();
  for (const s of SLOTS) {
    const probs = description[s.key];
    if (!probs) continue;
    for (const [v, p] of Object.entries(probs)) if ((p ?? 0) >= settledP) value.set(s.key, v);
  }
  for (const [key, a] of answers.bySlot) if (a.value !== undefined) value.set(key, a.value);
  const known = new Set(value.keys());
  for (const s of SLOTS) if (s.requires && value.get(s.requires.key) === s.requires.notValue) known.add(s.key);
  return known;
}
