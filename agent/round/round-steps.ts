import { parseDescription } from '../../src/attributes/description-parser.js';
import { slot, type AttributeEvidence } from '../../src/attributes/vocabulary.js';
import type { GalleryHit } from '../../src/gallery/gallery.js';
import { searchText } from '../../src/gallery/text-search.js';
import { knownSlots, mergeAnswers, settledValue, type RecordedAnswer } from '../core/answers.js';
import { questionKey, routeQuestions, selectQuestions, type RankedQuestion } from '../core/question-selection.js';
import { agreedAnswers, answerKey, personBelief, PIN_BELIEF } from './candidate-belief.js';
import { checkCandidates, type CandidateChecks, type CheckOptions } from './candidate-checks.js';
import { fusedRanking, type RankedImage } from './fused-ranking.js';
import { reconstruct } from './reconstruct.js';
import type { Candidate, DialogueMemory, PreparedRound, RoundContext } from './round-state.js';

// The steps of one MTI round (DESIGN.md flow 3), as separate functions so the LangGraph dialogue can put the
// witness's interrupts between them and checkpoint after each. Everything a step returns is plain JSON,
// because the dialogue's state is checkpointed.

/** Free-text follow-ups each candidate check carries besides the slot questions. */
const FREE_FOLLOW_UPS_CHECKED = 2;

export async function prepareRound(ctx: RoundContext, memory: DialogueMemory): Promise<PreparedRound> {
  const o = ctx.options;
  const rejected = new Set(memory.rejected);
  const hits = await searchText(ctx.gallery, ctx.textEncoder, memory.current, { top: o.rerankPool, exact: true, ...(memory.filter ? { filter: memory.filter } : {}) });
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
  const ranking = await fusedRanking(ctx, memory.query, rec.text, leading, memory.rejected, o.lambda, memory.filter);
  return { refinedQuery: rec.text, reconstructedBy: rec.source, ranking, calls: rec.mllmCalls, notices: rec.notice ? [rec.notice] : [] };
}

/** A candidate's answer to a slot question as one of the slot's values, when it names one. */
function candidateValue(q: RankedQuestion, reply: string | undefined): string | undefined {
  return q.slot && reply ? settledValue(q.slot, reply) : undefined;
}

function candidate(h: GalleryHit): Candidate {
  return { id: h.id, path: h.path, score: h.score, cosine: h.cosine };
}

function scoresOf(topK: readonly Candidate[]): Map<number, number> {
  return new Map(topK.map((c) => [c.id, c.score]));
}

function weightOf(q: RankedQuestion): number {
  return q.slot ? slot(q.slot).weight : 0;
}
