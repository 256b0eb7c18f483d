import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { AttributeEvidence, SlotKey } from '../../src/demo/attributes.js';
import { parseDescription } from '../../src/demo/text-parser.js';
import { CtgiError } from '../../src/errors/ctgi-error.js';
import type { GalleryHit, GalleryIndex } from '../../src/gallery/gallery-index.js';
import type { Mllm } from '../../src/mllm/openai-chat.js';
import type { TextEncoder } from '../../src/models/encoder.js';
import { knownSlots, mergeAnswers, recordAnswer, type RecordedAnswer } from '../core/answers.js';
import { fuseScores } from '../core/fusion.js';
import type { RankedQuestion } from '../core/question-selection.js';
import { verifyAnchors } from './anchor-verification.js';
import { reconstruct } from './reconstruct.js';
import { askAboutAnchors, roundQuestions } from './round-questions.js';

// One MTI round (DESIGN.md flow 3, the paper's §3.4) as a plain async function: retrieve, verify anchors,
// ask, merge, reconstruct, re-rank. The dialogue loop and persistence live with the caller.

/** What a round hands to the next one. */
export interface RoundState {
  /** Rounds completed so far. */
  round: number;
  /** Every recorded answer so far, in arrival order (merged anew each round: witness wins). */
  answers: RecordedAnswer[];
  /** Questions put to the witness so far; never asked again. */
  asked: string[];
  /** This round's anchors, best first. */
  anchors: number[];
  /** Images the witness rejected; they drop out of the ranking. */
  rejected: number[];
  /** The refined description q̂ of the last round. */
  refinedQuery: string;
}

/** A question as the witness sees it. */
export interface WitnessQuestionOut {
  slot?: SlotKey;
  text: string;
  options: string[];
}

export interface MtiRoundOptions {
  /** Candidates verified and asked about (default 20). */
  K?: number;
  maxAnchors?: number;
  /** Early-stop threshold on the top-1 calibrated score (default 0.85). */
  xi?: number;
  /** Eq. 7 weight of the original description. */
  lambda?: number;
  witnessPerRound?: number;
  /** Visual questions the MLLM answers per anchor (default 6). */
  mllmPerRound?: number;
  /** MLLM calls in flight at once (default 8). */
  mllmConcurrency?: number;
  /** Verify anchors one at a time as the paper does (for the comparison measurement). */
  sequentialAnchorVerification?: boolean;
  /** Candidates re-ranked (default 100). */
  rerankPool?: number;
}

export interface MtiRoundInput {
  /** The witness's original description q. */
  query: string;
  previous?: RoundState;
  gallery: GalleryIndex;
  textEncoder: TextEncoder;
  mllm?: Mllm;
  /** Asks the human witness; null means no reply (timeout, skipped). */
  witness?: (q: WitnessQuestionOut) => Promise<string | null>;
  /** Per-candidate attribute evidence, e.g. MTG answers cached with the gallery; without it questions follow SLOTS weights. */
  candidateEvidence?: (ids: number[]) => Promise<ReadonlyMap<number, AttributeEvidence>>;
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
  /** Of mllmCalls, the anchor-verification calls. */
  verificationCalls: number;
  witnessQuestions: number;
  earlyStop: boolean;
  /** Short notices for the user, e.g. that the MLLM could not be reached and the round went witness-only. */
  notices: string[];
  state: RoundState;
}

/**
 * Default λ of Eq. 7. Chosen on the demo benchmark (seed 1, 200 people, 150 evenly spread queries, two
 * rounds): the dialogues were run once, then re-ranked with λ ∈ {0.2, 0.35, 0.5, 0.65, 0.8}, and the λ with
 * the best mean mAP over both MTI modes after round 2 won (59.5, 60.2, 60.7, 61.2, 60.4). mAP rather than
 * R1 because it covers the whole ranking; R1 of MLLM + witness varied by at most 2 queries between 0.35
 * and 0.65 and fell at 0.8.
 */
export const DEFAULT_LAMBDA = 0.65;

/**
 * Runs one MTI round. MLLM failures never fail the round: it goes on witness-only with a notice.
 * @throws CtgiError BAD_INPUT for an empty description or options out of range.
 */
export async function runMtiRound(input: MtiRoundInput): Promise<MtiRoundResult> {
  const o = { K: 20, maxAnchors: 3, xi: 0.85, lambda: DEFAULT_LAMBDA, witnessPerRound: 2, mllmPerRound: 6, mllmConcurrency: 8, rerankPool: 100, ...input.options };
  const query = input.query.trim();
  if (!query) throw new CtgiError('BAD_INPUT', 'The description is empty; describe the person you are looking for.');
  if (!(o.K >= 1 && o.rerankPool >= o.K && o.maxAnchors >= 0)) throw new CtgiError('BAD_INPUT', 'MTI needs K ≥ 1, a re-rank pool of at least K and maxAnchors ≥ 0.');
  const prev = input.previous;
  const current = prev?.refinedQuery ?? query;
  const rejected = new Set(prev?.rejected ?? []);
  const notices: string[] = [];
  let mllmCalls = 0;
  let verificationCalls = 0;
  let mllm = input.mllm;

  const [qVec] = await input.textEncoder.embedTexts([query]);
  const baseHits = input.gallery.search(qVec, { top: o.rerankPool, exact: true });
  const currentHits = current === query ? baseHits : input.gallery.search((await input.textEncoder.embedTexts([current]))[0], { top: o.rerankPool, exact: true });
  const topK = currentHits.filter((h) => !rejected.has(h.id)).slice(0, o.K);
  const imageOf = imageLoader(input.gallery);

  let anchors: number[] = [];
  let verdictTop: string | undefined;
  if (mllm && o.maxAnchors > 0 && topK.length > 0) {
    const v = await verifyAnchors(mllm, current, topK.map((h) => ({ id: h.id, image: () => imageOf(h) })), {
      maxAnchors: o.maxAnchors,
      concurrency: o.mllmConcurrency,
      sequential: o.sequentialAnchorVerification,
    });
    mllmCalls += v.calls;
    verificationCalls = v.calls;
    anchors = v.anchors;
    verdictTop = v.verdicts.get(topK[0].id);
    if (v.calls > 0 && v.failures === v.calls) {
      notices.push('The image checker (MLLM) could not be reached, so this round uses your answers only.');
      mllm = undefined;
    } else if (v.failures > 0) notices.push(`The image checker failed on ${v.failures} of ${v.calls} candidates; they were skipped.`);
  }

  const state = (answers: RecordedAnswer[], asked: string[], refinedQuery: string): RoundState => ({
    round: (prev?.round ?? 0) + 1,
    answers,
    asked,
    anchors,
    rejected: [...rejected],
    refinedQuery,
  });
  if (topK.length > 0 && topK[0].score >= o.xi && verdictTop === 'yes') {
    const ranking = fuseScores({ base: cosines(currentHits), refined: new Map(), lambda: 1, anchors: [topK[0].id], rejected });
    const s = state(prev?.answers ?? [], prev?.asked ?? [], current);
    return { ranking, anchors: [topK[0].id], questions: { witness: [], mllm: [] }, answers: [], refinedQuery: current, mllmCalls, verificationCalls, witnessQuestions: 0, earlyStop: true, notices, state: { ...s, anchors: [topK[0].id] } };
  }

  const earlier = prev?.answers ?? [];
  const known = knownSlots(parseDescription(query), mergeAnswers(earlier));
  const evidence = input.candidateEvidence ? await input.candidateEvidence(topK.map((h) => h.id)) : new Map<number, AttributeEvidence>();
  const routing = roundQuestions({
    candidates: new Map(topK.map((h) => [h.id, h.score])),
    evidence,
    known,
    asked: prev?.asked ?? [],
    witnessPerRound: input.witness ? o.witnessPerRound : 0,
    mllmPerRound: o.mllmPerRound,
    mllmAvailable: mllm !== undefined && anchors.length > 0,
  });

  // The MLLM answers about the best anchor only: asking about every anchor costs maxAnchors× the calls and
  // mixes several people's attributes into one description (later anchors are often other people).
  const anchorHits = anchors.slice(0, 1).map((id) => topK.find((h) => h.id === id)!);
  const [witnessAnswers, mllmAnswers] = await Promise.all([
    askWitness(input.witness, routing.witness),
    mllm && routing.mllm.length > 0 ? Promise.all(anchorHits.map(imageOf)).then((images) => askAboutAnchors(mllm!, routing.mllm, images, o.mllmConcurrency)) : undefined,
  ]);
  if (mllmAnswers) {
    mllmCalls += mllmAnswers.calls;
    if (mllmAnswers.failures > 0) notices.push(`The image checker failed to answer ${mllmAnswers.failures} of ${mllmAnswers.calls} questions about the best matches.`);
  }
  // Witness answers go last so they win over the MLLM's (mergeAnswers also prefers them outright).
  const roundAnswers = [...(mllmAnswers?.answers ?? []), ...witnessAnswers];
  const allAnswers = [...earlier, ...roundAnswers];
  const merged = mergeAnswers(allAnswers);

  const rec = await reconstruct(query, merged, mllm);
  mllmCalls += rec.mllmCalls;
  if (rec.notice) notices.push(rec.notice);

  const base = cosines(baseHits);
  const refinedHits = rec.text === query ? baseHits : input.gallery.search((await input.textEncoder.embedTexts([rec.text]))[0], { top: o.rerankPool, exact: true });
  const ranking = fuseScores({ base, refined: cosines(refinedHits), lambda: o.lambda, anchors, rejected });
  return {
    ranking,
    anchors,
    questions: { witness: routing.witness.map(out), mllm: routing.mllm.map(out) },
    answers: roundAnswers,
    refinedQuery: rec.text,
    mllmCalls,
    verificationCalls,
    witnessQuestions: routing.witness.length,
    earlyStop: false,
    notices,
    state: state(allAnswers, [...(prev?.asked ?? []), ...routing.witness.map((q) => q.text)], rec.text),
  };
}

async function askWitness(witness: MtiRoundInput['witness'], questions: readonly RankedQuestion[]): Promise<RecordedAnswer[]> {
  if (!witness) return [];
  const out: RecordedAnswer[] = [];
  // One at a time, as a person answers in a chat thread.
  for (const q of questions) {
    const reply = await witness({ ...(q.slot ? { slot: q.slot } : {}), text: q.text, options: q.options });
    out.push(recordAnswer({ ...(q.slot ? { slot: q.slot } : {}), question: q.text, source: 'witness', reply }));
  }
  return out;
}

function out(q: RankedQuestion): WitnessQuestionOut {
  return { ...(q.slot ? { slot: q.slot } : {}), text: q.text, options: q.options };
}

function cosines(hits: readonly GalleryHit[]): Map<number, number> {
  return new Map(hits.map((h) => [h.id, h.cosine]));
}

/** Reads a hit's image bytes from disk (relative paths resolve against the manifest's images root). */
function imageLoader(gallery: GalleryIndex): (hit: GalleryHit) => Promise<Buffer> {
  const root = gallery.manifest.imagesRoot;
  return (hit) => readFile(isAbsolute(hit.path) || !root ? hit.path : resolve(root, hit.path));
}
