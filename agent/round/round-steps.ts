import { readFile } from 'node:fs/promises';
import { CtgiError } from '../../src/errors/ctgi-error.js';
import { isAbsolute, resolve } from 'node:path';
import { slot, type AttributeEvidence } from '../../src/attributes/vocabulary.js';
import { parseDescription } from '../../src/attributes/description-parser.js';
import type { GalleryHit, GalleryIndex } from '../../src/gallery/gallery-index.js';
import type { Mllm } from '../../src/mllm/mllm.js';
import type { TextEncoder } from '../../src/models/encoder.js';
import { knownSlots, mergeAnswers, normalise, recordAnswer, settledValue, type RecordedAnswer } from '../core/answers.js';
import { fuseScores } from '../core/fusion.js';
import { calibratedScores } from '../../src/retrieval/calibration.js';
import { questionKey, routeQuestions, selectQuestions, type RankedQuestion } from '../core/question-selection.js';
import { isUnknownAnswer } from '../../src/attributes/answer-reading.js';
import { parseYesNo } from '../../src/mllm/yes-no.js';
import { checkCandidates, type CandidateChecks, type CheckOptions } from './candidate-checks.js';
import { reconstruct } from './reconstruct.js';

// The steps of one MTI round (DESIGN.md flow 3), as separate functions so the LangGraph dialogue can put the
// witness's interrupts between them and checkpoint after each, and the benchmark can run them back to back.
// Everything a step returns is plain JSON, because the dialogue's state is checkpointed in SQLite.

/** Round settings; see DEFAULT_ROUND_OPTIONS. */
export interface MtiRoundOptions {
  /** Candidates checked by the MLLM (K, default 20). */
  K?: number;
  /** Anchors kept: the highest-ranked "yes" answers (default 3). */
  maxAnchors?: number;
  /** Early-stop threshold on the top-1 calibrated score (ξ, default 0.85). */
  xi?: number;
  /** Eq. 7 weight of the original description (λ). */
  lambda?: number;
  /** Questions put to the witness per round (default 2). */
  witnessPerRound?: number;
  /** Visual questions every checked candidate answers in its one MLLM call (default 6). */
  mllmPerRound?: number;
  /** Candidates re-ranked (default 100). */
  rerankPool?: number;
  /** Check candidates one at a time, as the paper's appendix C does (for the comparison measurement). */
  sequentialAnchorVerification?: boolean;
  /** Ask the MLLM for follow-up questions about the best candidate (default true). */
  followUps?: boolean;
  /**
   * Probability that the person has the value an MLLM answer names before it counts as a fact about the
   * person (default 0.9; see `agreedAnswers`).
   */
  agreement?: number;
}

/**
 * Default λ of Eq. 7. Chosen on the demo benchmark (seed 1, 200 people, 150 evenly spread queries, two
 * rounds): the dialogues were run once, then re-ranked with λ ∈ {0.2, 0.35, 0.5, 0.65, 0.8}, and the λ with
 * the best mean mAP over both MTI modes after round 2 won (59.5, 60.2, 60.7, 61.2, 60.4). mAP rather than
 * R1 because it covers the whole ranking.
 */
export const DEFAULT_LAMBDA = 0.65;

export const DEFAULT_ROUND_OPTIONS: Required<MtiRoundOptions> = {
  K: 20,
  maxAnchors: 3,
  xi: 0.85,
  lambda: DEFAULT_LAMBDA,
  witnessPerRound: 2,
  mllmPerRound: 6,
  rerankPool: 100,
  sequentialAnchorVerification: false,
  followUps: true,
  agreement: 0.9,
};

/** What the steps need: the gallery, the text encoder, the models, and cached per-image evidence. */
export interface RoundContext {
  gallery: GalleryIndex;
  textEncoder: TextEncoder;
  /** The MLLM; undefined → witness-only MTI. */
  mllm?: Mllm;
  /** The Reconstructor's LLM (may be text-only); undefined → template merge. */
  reconstructor?: Mllm;
  /** Per-image attribute evidence cached in the gallery (MTG answers); used to rank questions. */
  cachedEvidence?: (ids: readonly number[]) => Promise<ReadonlyMap<number, AttributeEvidence>>;
  options: Required<MtiRoundOptions>;
}

/** One retrieved candidate, JSON-safe. */
export interface Candidate {
  id: number;
  path: string;
  /** Calibrated score of the current description. */
  score: number;
  cosine: number;
}

/** What the dialogue carries from round to round. */
export interface DialogueMemory {
  /** The witness's original description q. */
  query: string;
  /** The current description (q̂ of the last round, or q). */
  current: string;
  /** Every recorded answer so far, in arrival order. */
  answers: RecordedAnswer[];
  /** Questions put to the witness so far; never asked again. */
  asked: string[];
  /** MLLM-proposed follow-ups not yet asked. */
  followUps: string[];
  /** Images the witness rejected. */
  rejected: number[];
  /** Images the witness named as the person; they win over MLLM anchors. */
  picked: number[];
}

/** Step 1 and 3: the top-K for the current description and the questions worth asking about it. */
export interface PreparedRound {
  topK: Candidate[];
  /** Ranked question pool; the first `mllmPerRound` go to every checked candidate. */
  pool: RankedQuestion[];
  /** Cached per-image evidence of the top-K (MTG answers), by image id; read once per round. */
  cached: Record<number, AttributeEvidence>;
}

/** Free-text follow-ups each candidate check carries besides the slot questions. */
const FREE_FOLLOW_UPS_CHECKED = 2;

export async function prepareRound(ctx: RoundContext, memory: DialogueMemory): Promise<PreparedRound> {
  const o = ctx.options;
  const rejected = new Set(memory.rejected);
  const [vec] = await ctx.textEncoder.embedTexts([memory.current]);
  const hits = ctx.gallery.search(vec, { top: o.rerankPool, exact: true });
  const topK = hits.filter((h) => !rejected.has(h.id)).slice(0, o.K).map(candidate);
  const known = knownSlots(parseDescription(memory.query), mergeAnswers(memory.answers));
  const evidence = ctx.cachedEvidence ? await ctx.cachedEvidence(topK.map((c) => c.id)) : new Map<number, AttributeEvidence>();
  const cached = Object.fromEntries(evidence);
  const ranked = selectQuestions({ candidates: scoresOf(topK), evidence, known, asked: memory.asked, followUps: memory.followUps });
  // Without cached evidence every gain is 0: the attributes that weigh most in an embedding come first.
  const informative = ranked.some((q) => q.gain > 0);
  const ordered = informative ? ranked : [...ranked].sort((a, b) => weightOf(b) - weightOf(a));
  // Every checked candidate also answers up to two free-text follow-ups, so those can be ranked by how the
  // candidates' answers split them (a real gallery's people wear things the vocabulary lacks).
  const free = ordered.filter((q) => !q.slot).slice(0, Math.min(FREE_FOLLOW_UPS_CHECKED, Math.max(0, o.mllmPerRound - 1)));
  const head = ordered.filter((q) => !free.includes(q)).slice(0, Math.max(0, o.mllmPerRound - free.length));
  const pool = [...head, ...free, ...ordered.filter((q) => !head.includes(q) && !free.includes(q))];
  return { topK, pool, cached };
}

/** Step 2 and the MLLM half of step 4: one call per candidate (yes/no plus the pool's visual questions). */
export async function checkRound(ctx: RoundContext, memory: DialogueMemory, prepared: PreparedRound, imageOf: (c: { id: number; path: string }) => Promise<Buffer>, via: Pick<CheckOptions, 'check' | 'propose'> = {}): Promise<CandidateChecks> {
  const o = ctx.options;
  if (!ctx.mllm || o.maxAnchors === 0 || prepared.topK.length === 0) return { verdicts: {}, answers: {}, anchors: [], calls: 0, failures: 0, followUps: [], notices: [] };
  return checkCandidates(ctx.mllm, memory.current, prepared.topK, prepared.pool.slice(0, o.mllmPerRound).map((q) => q.text), {
    ...via,
    imageOf,
    maxAnchors: o.maxAnchors,
    sequential: o.sequentialAnchorVerification,
    followUps: o.followUps,
  });
}

/** True when the round can stop early: top-1 calibrated score ≥ ξ and the MLLM confirmed it. */
export function isEarlyStop(ctx: RoundContext, prepared: PreparedRound, checks: CandidateChecks): boolean {
  const top = prepared.topK[0];
  return top !== undefined && top.score >= ctx.options.xi && checks.verdicts[top.id] === 'yes';
}

/**
 * Step 4, routing: the witness gets the `witnessPerRound` questions whose answers would best split the
 * candidates — judged on what the MLLM just answered for each candidate, plus cached evidence.
 */
export function routeRound(ctx: RoundContext, memory: DialogueMemory, prepared: PreparedRound, checks: CandidateChecks): RankedQuestion[] {
  const asked = prepared.pool.slice(0, ctx.options.mllmPerRound);
  const evidence = new Map<number, AttributeEvidence>();
  for (const c of prepared.topK) {
    const e: AttributeEvidence = { ...(prepared.cached[c.id] ?? {}) };
    asked.forEach((q, i) => {
      const value = candidateValue(q, checks.answers[c.id]?.[i]);
      if (q.slot && value) e[q.slot] = { [value]: 1 };
    });
    if (Object.keys(e).length > 0) evidence.set(c.id, e);
  }
  const textAnswers = new Map<string, Map<number, string>>();
  asked.forEach((q, i) => {
    if (q.slot) return;
    const byCandidate = new Map<number, string>();
    for (const c of prepared.topK) {
      const reply = checks.answers[c.id]?.[i];
      const key = typeof reply === 'string' ? answerKey(reply) : undefined;
      if (key) byCandidate.set(c.id, key);
    }
    if (byCandidate.size > 0) textAnswers.set(questionKey(q.text), byCandidate);
  });
  const known = knownSlots(parseDescription(memory.query), mergeAnswers(memory.answers));
  const reranked = selectQuestions({ candidates: scoresOf(prepared.topK), evidence, known, asked: memory.asked, followUps: [...memory.followUps, ...checks.followUps], textAnswers });
  const witness = routeQuestions(reranked, { witnessPerRound: ctx.options.witnessPerRound, mllmPerRound: 0 }).witness;
  // Without any split to judge by (no MLLM, no cache), the heaviest open attributes go to the witness.
  return witness.length > 0 ? witness : prepared.pool.filter((q) => q.slot).slice(0, ctx.options.witnessPerRound);
}

/**
 * After the witness has answered: the MLLM's anchors that contradict a witness answer (the MLLM said the
 * candidate has no bag, the witness saw a backpack) are dropped — a vague description fits several people,
 * and a wrong anchor both tops the ranking and pollutes q̂. The MLLM's answers are recorded as facts about
 * the person only where the candidates that may be the person agree (see `agreedAnswers`).
 */
export function settleAnchors(
  ctx: RoundContext,
  prepared: PreparedRound,
  checks: CandidateChecks,
  answers: readonly RecordedAnswer[],
): { anchors: number[]; dropped: number[]; mllmAnswers: RecordedAnswer[] } {
  const asked = prepared.pool.slice(0, ctx.options.mllmPerRound);
  const witness = mergeAnswers(answers.filter((a) => a.source === 'witness')).bySlot;
  /** Per candidate: answers the witness confirmed, and whether any contradicts the witness. */
  const agreement = (id: number) => {
    let confirmed = 0;
    let contradicted = false;
    asked.forEach((q, i) => {
      const said = q.slot ? witness.get(q.slot)?.value : undefined;
      const seen = candidateValue(q, checks.answers[id]?.[i]);
      if (said === undefined || seen === undefined) return;
      if (said === seen) confirmed++;
      else contradicted = true;
    });
    return { confirmed, contradicted };
  };
  const consistent = (id: number) => !agreement(id).contradicted;
  const belief = personBelief(prepared.topK, checks, consistent);
  // An MLLM anchor leads the ranking (Eq. 7's Ŝ = 1) when it is more likely than not the person, or when the
  // witness has confirmed something it shows. A "yes" about one of several people who fit a vague
  // description is evidence, not certainty: pinned, it pushed the described person down.
  const anchors = checks.anchors.filter((id) => consistent(id) && (agreement(id).confirmed > 0 || (belief.get(id) ?? 0) >= PIN_BELIEF));
  return {
    anchors,
    dropped: checks.anchors.filter((id) => !anchors.includes(id)),
    // Until the witness has said anything, the MLLM's answers describe candidates, not the person: fed
    // into q̂ they made plain retrieval's own guesses louder (MLLM-only R10 58.0 → 55.3 on the demo world).
    mllmAnswers: witness.size > 0 ? agreedAnswers(asked, belief, checks, ctx.options.agreement) : [],
  };
}

/** One re-ranked image: its calibrated score, its raw Eq. 7 score and its cosine to the original description. */
export interface RankedImage {
  id: number;
  /**
   * Calibrated score in [0, 1]: softmax(100 · Ŝ) over the re-ranked pool, the model's probability that this
   * image, rather than another of the pool, is the one the fused descriptions point at — the same scale as
   * a plain search's scores. Anchors and the witness's picks keep their own value (they lead by position,
   * not by a score of 1).
   */
  score: number;
  /** Ŝ = λ·S(q,v) + (1−λ)·S(q̂,v) on the cosine scale (for anchors too: what they would score unpinned). */
  fused: number;
  /** S(q, v): cosine to the original description (0 outside its pool). */
  cosine: number;
  /** The image leads because it is an anchor or a witness's pick. */
  leading: boolean;
}

/** Steps 5 and 6: merge the answers into q̂ (Reconstructor) and re-rank with Eq. 7. */
export interface FinishedRound {
  refinedQuery: string;
  reconstructedBy: 'unchanged' | 'mllm' | 'template';
  /** Best first. */
  ranking: RankedImage[];
  calls: number;
  notices: string[];
}

export async function finishRound(
  ctx: RoundContext,
  memory: DialogueMemory,
  anchors: readonly number[],
  options: { refine?: boolean } = {},
): Promise<FinishedRound> {
  const o = ctx.options;
  const merged = mergeAnswers(memory.answers);
  // Without refinement (an early stop) q̂ stays the current description and no LLM call is made.
  const rec = options.refine === false ? { text: memory.current, source: 'unchanged' as const, mllmCalls: 0, notice: undefined } : await reconstruct(memory.query, merged, ctx.reconstructor);
  // The witness's picks win: they lead, then the MLLM's anchors.
  const leading = [...new Set([...memory.picked, ...anchors])];
  const ranking = await fusedRanking(ctx, memory.query, rec.text, leading, memory.rejected, o.lambda);
  return { refinedQuery: rec.text, reconstructedBy: rec.source, ranking, calls: rec.mllmCalls, notices: rec.notice ? [rec.notice] : [] };
}

/**
 * Eq. 7 over the re-rank pools of q and q̂: `leading` first (Ŝ = 1 in the paper: they lead by position),
 * `rejected` removed, the rest best first, every image with a calibrated score (see RankedImage).
 */
export async function fusedRanking(
  ctx: Pick<RoundContext, 'gallery' | 'textEncoder' | 'options'>,
  query: string,
  refined: string,
  leading: readonly number[],
  rejected: readonly number[],
  lambda: number,
): Promise<RankedImage[]> {
  const [baseVec, refinedVec] = await ctx.textEncoder.embedTexts(refined === query ? [query] : [query, refined]);
  const pool = ctx.options.rerankPool;
  const base = cosines(ctx.gallery.search(baseVec, { top: pool, exact: true }));
  const ref = refinedVec ? cosines(ctx.gallery.search(refinedVec, { top: pool, exact: true })) : base;
  const excluded = new Set(rejected);
  const order = fuseScores({ base, refined: ref, lambda, anchors: leading, rejected: excluded });
  // The same fusion without pinning gives every image, anchors included, its own Ŝ.
  const own = new Map(fuseScores({ base, refined: ref, lambda, rejected: excluded }).map((r) => [r.id, r.score]));
  const lead = new Set(leading);
  // An image outside both pools (a pick from an earlier gallery) counts as the worst of them.
  const floor = own.size > 0 ? Math.min(...own.values()) : 0;
  const fused = order.map((r) => own.get(r.id) ?? floor);
  const calibrated = calibratedScores(fused);
  return order.map((r, i) => ({ id: r.id, score: calibrated[i], fused: fused[i], cosine: base.get(r.id) ?? 0, leading: lead.has(r.id) }));
}

/** Reads a candidate's image bytes (relative paths resolve against the index's images root). */
export function imageReader(gallery: GalleryIndex): (c: { path: string }) => Promise<Buffer> {
  const root = gallery.manifest.imagesRoot;
  return (c) => readFile(isAbsolute(c.path) || !root ? c.path : resolve(root, c.path));
}

/** Reads a gallery image's bytes by id. @throws CtgiError NOT_FOUND for an id the gallery does not hold. */
export function imageByIdReader(gallery: GalleryIndex): (imageId: number) => Promise<Buffer> {
  const read = imageReader(gallery);
  return async (imageId) => {
    const record = gallery.store.getMany([imageId]).get(imageId);
    if (!record) throw new CtgiError('NOT_FOUND', `Image ${imageId} is not in the gallery.`);
    return read(record);
  };
}

/** A candidate's answer to a slot question as one of the slot's values, when it names one. */
function candidateValue(q: RankedQuestion, reply: string | undefined): string | undefined {
  return q.slot && reply ? settledValue(q.slot, reply) : undefined;
}

/**
 * How much an MLLM verdict about a candidate changes the odds that it is the person: P(verdict | the
 * person) / P(verdict | someone else). A vague description fits several people, so "yes" is weak evidence
 * (about 0.9 / 0.45) and "no" strong (0.1 / 0.5); "can't tell" and a failed call change nothing.
 */
const VERDICT_RATIO: Record<string, number> = { yes: 2, no: 0.2, unsure: 1, failed: 1 };

/** Probability of being the person at which an unconfirmed MLLM anchor leads the ranking. */
const PIN_BELIEF = 0.5;

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
function agreedAnswers(questions: readonly RankedQuestion[], belief: ReadonlyMap<number, number>, checks: CandidateChecks, agreement: number): RecordedAnswer[] {
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

function candidate(h: GalleryHit): Candidate {
  return { id: h.id, path: h.path, score: h.score, cosine: h.cosine };
}

function scoresOf(topK: readonly Candidate[]): Map<number, number> {
  return new Map(topK.map((c) => [c.id, c.score]));
}

function cosines(hits: readonly GalleryHit[]): Map<number, number> {
  return new Map(hits.map((h) => [h.id, h.cosine]));
}

function weightOf(q: RankedQuestion): number {
  return q.slot ? slot(q.slot).weight : 0;
}
