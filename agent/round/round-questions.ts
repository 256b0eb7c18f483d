import { slot, type AttributeEvidence, type SlotKey } from '../../src/demo/attributes.js';
import type { Mllm } from '../../src/mllm/openai-chat.js';
import { visualQuestionPrompt } from '../../src/mllm/prompts.js';
import { recordAnswer, type RecordedAnswer } from '../core/answers.js';
import { routeQuestions, selectQuestions, type QuestionRouting, type RankedQuestion } from '../core/question-selection.js';
import { mapSettledLimit } from './map-limit.js';

// MTI steps 3–4 for one round: which questions to ask, and the MLLM's answers about the anchors.

export interface RoundQuestionInput<Id> {
  /** Current candidates (top-K) and their scores. */
  candidates: ReadonlyMap<Id, number>;
  /** Per-candidate evidence (e.g. answers MTG cached in the gallery); may be empty. */
  evidence: ReadonlyMap<Id, AttributeEvidence>;
  known: ReadonlySet<SlotKey>;
  asked: readonly string[];
  witnessPerRound: number;
  mllmPerRound: number;
  mllmAvailable: boolean;
}

/**
 * Selects and routes this round's questions. With candidate evidence they are ranked by expected
 * information gain; without any (no cached per-image answers — asking the MLLM about every candidate
 * would cost K calls per question) every gain is 0, so the pool falls back to the order of SLOTS weights
 * (the attributes that weigh most in the embedding first), and the witness gets the first ones.
 */
export function roundQuestions<Id>(input: RoundQuestionInput<Id>): QuestionRouting {
  const ranked = selectQuestions({ candidates: input.candidates, evidence: input.evidence, known: input.known, asked: input.asked });
  const informative = ranked.some((q) => q.gain > 0);
  const ordered = informative ? ranked : [...ranked].sort((a, b) => weightOf(b) - weightOf(a));
  const routing = routeQuestions(ordered, { witnessPerRound: input.witnessPerRound, mllmPerRound: input.mllmPerRound, mllmAvailable: input.mllmAvailable });
  if (informative) return routing;
  return { ...routing, witness: ordered.filter((q) => q.slot).slice(0, Math.max(0, input.witnessPerRound)) };
}

function weightOf(q: RankedQuestion): number {
  return q.slot ? slot(q.slot).weight : 0;
}

/** The MLLM's answers about the anchors, plus call and failure counts. */
export interface AnchorAnswers {
  answers: RecordedAnswer[];
  calls: number;
  failures: number;
}

/**
 * Asks each question about each anchor (one VQA call per pair, in parallel with bounded concurrency).
 * Answers come back lowest-ranked anchor first, so on merge the best anchor's known answer wins.
 */
export async function askAboutAnchors(mllm: Mllm, questions: readonly RankedQuestion[], anchorImages: readonly Buffer[], concurrency: number): Promise<AnchorAnswers> {
  const pairs = [...anchorImages].reverse().flatMap((image) => questions.map((q) => ({ q, image })));
  const settled = await mapSettledLimit(pairs, concurrency, ({ q, image }) => mllm.ask(visualQuestionPrompt(q.text), [image]));
  const answers: RecordedAnswer[] = [];
  let failures = 0;
  settled.forEach((s, i) => {
    if (!s.ok) {
      failures++;
      return;
    }
    const { q } = pairs[i];
    answers.push(recordAnswer({ ...(q.slot ? { slot: q.slot } : {}), question: q.text, source: 'mllm', reply: s.value }));
  });
  return { answers, calls: pairs.length, failures };
}
