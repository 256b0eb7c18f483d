import { CtgiError } from '../../src/errors/ctgi-error.js';

// MTI re-ranking, the paper's Eq. 7: Ŝ(q,v) = λ·S(q,v) + (1−λ)·S(q̂,v), with Ŝ = 1 for anchors.

/** Inputs of one re-ranking: both score maps, the mixing weight and the witness's/MLLM's decisions. */
export interface FuseInput<Id> {
  /** S(q,v): scores for the original description q. Its insertion order breaks ties. */
  base: ReadonlyMap<Id, number>;
  /** S(q̂,v): scores for the refined description q̂. */
  refined: ReadonlyMap<Id, number>;
  /** Weight of the original description, in [0, 1]. */
  lambda: number;
  /** Confirmed anchors, ranked first in the given order with Ŝ = 1. */
  anchors?: ReadonlySet<Id> | readonly Id[];
  /** Images the witness rejected; they drop out of the ranking. */
  rejected?: ReadonlySet<Id>;
}

/** One re-ranked image. */
export interface FusedScore<Id> {
  id: Id;
  score: number;
}

/** Score given to anchors (Eq. 7: Ŝ(q, v̄) = 1). */
export const ANCHOR_SCORE = 1;

/**
 * Eq. 7 re-ranking, best first. An id scored in only one map gets the lowest score of the other map for
 * the missing one (it was not retrieved there, so it counts as the worst retrieved image, not as 0, which
 * would be arbitrary on a cosine scale). Anchors come first in their given order even if absent from both
 * maps; rejected ids are removed (a rejection wins over an anchor). Ties keep `base` insertion order, then
 * `refined` order for ids only in `refined`.
 * @throws CtgiError BAD_INPUT when λ is outside [0, 1] or a score is not finite.
 */
export function fuseScores<Id>(input: FuseInput<Id>): Array<FusedScore<Id>> {
  const { base, refined, lambda } = input;
  if (!Number.isFinite(lambda) || lambda < 0 || lambda > 1) {
    throw new CtgiError('BAD_INPUT', `The re-ranking weight lambda must be a number between 0 and 1, got ${lambda}.`);
  }
  checkFinite(base, 'original');
  checkFinite(refined, 'refined');
  const rejected = input.rejected ?? new Set<Id>();
  const anchors = [...new Set(input.anchors ?? [])].filter((id) => !rejected.has(id));
  const anchorSet = new Set(anchors);

  const baseMin = minimum(base);
  const refinedMin = minimum(refined);
  const order = new Map<Id, number>();
  for (const id of base.keys()) order.set(id, order.size);
  for (const id of refined.keys()) if (!order.has(id)) order.set(id, order.size);

  const rest: Array<FusedScore<Id> & { pos: number }> = [];
  for (const [id, pos] of order) {
    if (rejected.has(id) || anchorSet.has(id)) continue;
    const s = base.get(id) ?? baseMin;
    const sHat = refined.get(id) ?? refinedMin;
    rest.push({ id, score: lambda * s + (1 - lambda) * sHat, pos });
  }
  rest.sort((a, b) => b.score - a.score || a.pos - b.pos);
  return [...anchors.map((id) => ({ id, score: ANCHOR_SCORE })), ...rest.map(({ id, score }) => ({ id, score }))];
}

function minimum<Id>(scores: ReadonlyMap<Id, number>): number {
  let min = Infinity;
  for (const s of scores.values()) if (s < min) min = s;
  // Only reached for ids missing from an empty map, whose other score then decides alone.
  return min === Infinity ? 0 : min;
}

function checkFinite<Id>(scores: ReadonlyMap<Id, number>, which: string): void {
  for (const [id, s] of scores) {
    if (!Number.isFinite(s)) throw new CtgiError('BAD_INPUT', `The ${which} score of image ${String(id)} is not a finite number (${s}); recompute the similarities.`);
  }
}
