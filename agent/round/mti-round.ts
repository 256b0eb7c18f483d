import type { AttributeEvidence, SlotKey } from '../../src/attributes/vocabulary.js';
import { CtgiError } from '../../src/errors/ctgi-error.js';
import type { GalleryIndex } from '../../src/gallery/gallery-index.js';
import type { Mllm } from '../../src/mllm/openai-chat.js';
import type { TextEncoder } from '../../src/models/encoder.js';
import { recordAnswer, type RecordedAnswer } from '../core/answers.js';
import type { RankedQuestion } from '../core/question-selection.js';
import { checkRound, DEFAULT_ROUND_OPTIONS, finishRound, imageReader, isEarlyStop, prepareRound, routeRound, settleAnchors, type DialogueMemory, type MtiRoundOptions, type RoundContext } from './round-steps.js';

export { DEFAULT_LAMBDA, type MtiRoundOptions } from './round-steps.js';

// One MTI round (DESIGN.md flow 3, the paper's §3.4) as a plain async function over the round steps, with
// the witness as a callback: what the benchmark runs. The conversation service runs the same steps in a
// LangGraph dialogue with the witness's questions as interrupts.

/** What a round hands to the next one. */
export interface RoundState extends DialogueMemory {
  /** Rounds completed so far. */
  round: number;
  /** This round's anchors, best first. */
  anchors: number[];
}

/** A question as the witness sees it. */
export interface WitnessQuestionOut {
  slot?: SlotKey;
  text: string;
  options: string[];
}

export interface MtiRoundInput {
  /** The witness's original description q. */
  query: string;
  previous?: RoundState;
  gallery: GalleryIndex;
  textEncoder: TextEncoder;
  mllm?: Mllm;
  /** The Reconstructor's LLM; defaults to `mllm`. */
  reconstructor?: Mllm;
  /** Asks the human witness; null means no reply (timeout, skipped). */
  witness?: (q: WitnessQuestionOut) => Promise<string | null>;
  /** Per-candidate attribute evidence, e.g. MTG answers cached with the gallery. */
  candidateEvidence?: (ids: readonly number[]) => Promise<ReadonlyMap<number, AttributeEvidence>>;
  options?: MtiRoundOptions;
}

export interface MtiRoundResult {
  /** The re-ranked candidates, best first (anchors first with score 1). */
  ranking: Array<{ id: number; score: number }>;
  anchors: number[];
  questions: { witness: WitnessQuestionOut[]; mllm: WitnessQuestionOut[] };
  /** Answers recorded this round. */
  answers: RecordedAnswer[];
  refinedQuery: string;
  mllmCalls: number;
  /** Of mllmCalls, the candidate-check calls (verification plus the questions they carry). */
  verificationCalls: number;
  witnessQuestions: number;
  earlyStop: boolean;
  /** Short notices for the user, e.g. that the MLLM could not be reached and the round went witness-only. */
  notices: string[];
  state: RoundState;
}

/**
 * Runs one MTI round. MLLM failures never fail the round: it goes on witness-only with a notice.
 * @throws CtgiError BAD_INPUT for an empty description or options out of range.
 */
export async function runMtiRound(input: MtiRoundInput): Promise<MtiRoundResult> {
  const options = { ...DEFAULT_ROUND_OPTIONS, ...input.options };
  const query = input.query.trim();
  if (!query) throw new CtgiError('BAD_INPUT', 'The description is empty; describe the person you are looking for.');
  if (!(options.K >= 1 && options.rerankPool >= options.K && options.maxAnchors >= 0)) throw new CtgiError('BAD_INPUT', 'MTI needs K ≥ 1, a re-rank pool of at least K and maxAnchors ≥ 0.');
  const ctx: RoundContext = {
    gallery: input.gallery,
    textEncoder: input.textEncoder,
    ...(input.mllm ? { mllm: input.mllm } : {}),
    ...((input.reconstructor ?? input.mllm) ? { reconstructor: input.reconstructor ?? input.mllm } : {}),
    ...(input.candidateEvidence ? { cachedEvidence: input.candidateEvidence } : {}),
    options,
  };
  const prev = input.previous;
  const memory: DialogueMemory = prev ?? { query, current: query, answers: [], asked: [], followUps: [], rejected: [], picked: [] };

  const prepared = await prepareRound(ctx, memory);
  const checks = await checkRound(ctx, memory, prepared, imageReader(input.gallery));
  const notices = [...checks.notices];
  const round = (prev?.round ?? 0) + 1;
  if (isEarlyStop(ctx, prepared, checks)) {
    const top = prepared.topK[0].id;
    const finished = await finishRound({ ...ctx, options: { ...options, lambda: 1 } }, memory, [top], { refine: false });
    return {
      ranking: finished.ranking,
      anchors: [top],
      questions: { witness: [], mllm: [] },
      answers: [],
      refinedQuery: memory.current,
      mllmCalls: checks.calls,
      verificationCalls: Object.keys(checks.verdicts).length,
      witnessQuestions: 0,
      earlyStop: true,
      notices,
      state: { ...memory, round, anchors: [top] },
    };
  }
  const witnessQuestions = input.witness ? routeRound(ctx, memory, prepared, checks) : [];
  const witnessAnswers = await askWitness(input.witness, witnessQuestions);
  const settled = settleAnchors(ctx, prepared, checks, [...memory.answers, ...witnessAnswers]);
  // Witness answers go last so they win over the MLLM's (mergeAnswers also prefers them outright).
  const roundAnswers = [...settled.mllmAnswers, ...witnessAnswers];
  const next: DialogueMemory = {
    ...memory,
    answers: [...memory.answers, ...roundAnswers],
    asked: [...memory.asked, ...witnessQuestions.map((q) => q.text)],
    followUps: [...memory.followUps, ...checks.followUps].filter((f) => !witnessQuestions.some((q) => q.text === f)),
  };
  const finished = await finishRound(ctx, next, settled.anchors);
  notices.push(...finished.notices);
  return {
    ranking: finished.ranking,
    anchors: settled.anchors,
    questions: { witness: witnessQuestions.map(shown), mllm: settled.anchors.length > 0 ? prepared.pool.slice(0, options.mllmPerRound).map(shown) : [] },
    answers: roundAnswers,
    refinedQuery: finished.refinedQuery,
    mllmCalls: checks.calls + finished.calls,
    verificationCalls: Object.keys(checks.verdicts).length,
    witnessQuestions: witnessQuestions.length,
    earlyStop: false,
    notices,
    state: { ...next, current: finished.refinedQuery, round, anchors: settled.anchors },
  };
}

async function askWitness(witness: MtiRoundInput['witness'], questions: readonly RankedQuestion[]): Promise<RecordedAnswer[]> {
  if (!witness) return [];
  const out: RecordedAnswer[] = [];
  // One at a time, as a person answers in a chat thread.
  for (const q of questions) {
    const reply = await witness(shown(q));
    out.push(recordAnswer({ ...(q.slot ? { slot: q.slot } : {}), question: q.text, source: 'witness', reply }));
  }
  return out;
}

function shown(q: RankedQuestion): WitnessQuestionOut {
  return { ...(q.slot ? { slot: q.slot } : {}), text: q.text, options: q.options };
}
