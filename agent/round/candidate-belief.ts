import { isUnknownAnswer, normalise } from '../../src/attributes/answer-reading.js';
import { parseYesNo } from '../../src/mllm/yes-no.js';
import { recordAnswer, type RecordedAnswer } from '../core/answers.js';
import type { RankedQuestion } from '../core/question-selection.js';
import type { CandidateChecks } from './candidate-checks.js';
import type { Candidate } from './round-state.js';

// What the MLLM's checks say about who the person is: each candidate's probability of being the person
// after its verdict, the answers the likely candidates agree on, and free-text answers as comparable values.

/**
 * How much an MLLM verdict about a candidate changes the odds that it is the person: P(verdict | the
 * person) / P(verdict | someone else). A vague description fits several people, so "yes" is weak evidence
 * (about 0.9 / 0.45) and "no" strong (0.1 / 0.5); "can't tell" and a failed call change nothing.
 */
const VERDICT_RATIO: Record<string, number> = { yes: 2, no: 0.2, unsure: 1, failed: 1 };

/** Probability of being the person at which an unconfirmed MLLM anchor leads the ranking. */
export const PIN_BELIEF = 0.5;

function verdictRatio(verdict: string | undefined): number {
  return VERDICT_RATIO[verdict ?? 'unsure'] ?? 1;
}

/**
 * Who the person may be after the checks: each of the top K with the probability that it is the person —
 * its calibrated retrieval score times the likelihood of the MLLM's verdict (0 when a witness answer rules
 * it out), normalised together with the mass of the gallery outside the top K, which no check has seen.
 */
export function personBelief(topK: readonly Candidate[], checks: CandidateChecks, consistent: (id: number) => boolean): Map<number, number> {
  const prior = topK.map((c) => Math.max(0, c.score));
  const outside = Math.max(0, 1 - prior.reduce((a, b) => a + b, 0));
  const weighted = topK.map((c, i) => prior[i] * (consistent(c.id) ? verdictRatio(checks.verdicts[c.id]) : 0));
  const total = weighted.reduce((a, b) => a + b, 0) + outside;
  return new Map(total > 0 ? topK.map((c, i) => [c.id, weighted[i] / total]) : []);
}

/**
 * The MLLM's answers that hold for the person, whoever of the candidates it is: per question, a value is
 * recorded when the candidates answering it carry at least `agreement` of the probability that the person
 * is among them (`personBelief`). The paper takes the anchors' answers as they are; but a vague description
 * fits several people, and three anchors that happen to share a bag describe three people, not the target:
 * such answers pulled the ranking towards the wrong people (MLLM-only R5 46.7 → 40.7 on the demo world).
 * Candidates that cannot tell, and the unchecked rest of the gallery, count against agreement.
 */
export function agreedAnswers(questions: readonly RankedQuestion[], belief: ReadonlyMap<number, number>, checks: CandidateChecks, agreement: number): RecordedAnswer[] {
  const out: RecordedAnswer[] = [];
  questions.forEach((q, i) => {
    const mass = new Map<string, { weight: number; answer: RecordedAnswer }>();
    for (const [id, p] of belief) {
      const reply = checks.answers[id]?.[i];
      if (p <= 0 || typeof reply !== 'string') continue;
      const a = recordAnswer({ ...(q.slot ? { slot: q.slot } : {}), question: q.text, source: 'mllm', reply });
      if (a.status !== 'known') continue;
      const key = a.value ?? normalise(a.text);
      const m = mass.get(key) ?? { weight: 0, answer: a };
      m.weight += p;
      mass.set(key, m);
    }
    const best = [...mass.values()].sort((x, y) => y.weight - x.weight)[0];
    if (best && best.weight >= agreement) out.push(best.answer);
  });
  return out;
}

/**
 * A free-text answer as a value to compare across candidates: "yes"/"no" for yes/no answers, else its
 * first few words, normalised; undefined when it says the image cannot tell.
 */
export function answerKey(reply: string): string | undefined {
  if (isUnknownAnswer(reply)) return undefined;
  const yn = parseYesNo(reply);
  if (yn !== 'unsure') return yn;
  const words = normalise(reply).replace(/^(a|an|the) /, '').split(' ').filter(Boolean).slice(0, 4);
  return words.length > 0 ? words.join(' ') : undefined;
}
