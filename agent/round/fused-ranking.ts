import type { GalleryHit } from '../../src/gallery/gallery.js';
import type { ImageFilter } from '../../src/gallery/gallery-store.js';
import { searchTexts } from '../../src/gallery/text-search.js';
import { calibratedScores } from '../../src/retrieval/calibration.js';
import { fuseScores } from '../core/fusion.js';
import type { RoundContext } from './round-state.js';

// MTI step 6: Eq. 7 over the re-rank pools of q and q̂, on the calibrated scale every gallery shows.

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

/**
 * Eq. 7 over the re-rank pools of q and q̂: `leading` first (Ŝ = 1 in the paper: they lead by position),
 * `rejected` removed, the rest (within `filter`) best first, every image with a calibrated score (see RankedImage).
 */
export async function fusedRanking(
  ctx: Pick<RoundContext, 'gallery' | 'textEncoder' | 'options'>,
  query: string,
  refined: string,
  leading: readonly number[],
  rejected: readonly number[],
  lambda: number,
  filter?: ImageFilter,
): Promise<RankedImage[]> {
  const [baseHits, refinedHits] = await searchTexts(ctx.gallery, ctx.textEncoder, refined === query ? [query] : [query, refined], { top: ctx.options.rerankPool, exact: true, ...(filter ? { filter } : {}) });
  const base = cosines(baseHits);
  const ref = refinedHits ? cosines(refinedHits) : base;
  const excluded = new Set(rejected);
  // Eq. 7 without pinning gives every image, anchors included, its own Ŝ; the leading images then go first
  // in their given order (Ŝ = 1 as a position), the rest keep the fused order.
  const unpinned = fuseScores({ base, refined: ref, lambda, rejected: excluded });
  const own = new Map(unpinned.map((r) => [r.id, r.score]));
  const lead = new Set(leading.filter((id) => !excluded.has(id)));
  const order = [...lead, ...unpinned.filter((r) => !lead.has(r.id)).map((r) => r.id)];
  // An image outside both pools (a pick from an earlier gallery) counts as the worst of them.
  const floor = own.size > 0 ? Math.min(...own.values()) : 0;
  const fused = order.map((id) => own.get(id) ?? floor);
  const calibrated = calibratedScores(fused);
  return order.map((id, i) => ({ id, score: calibrated[i], fused: fused[i], cosine: base.get(id) ?? 0, leading: lead.has(id) }));
}

function cosines(hits: readonly GalleryHit[]): Map<number, number> {
  return new Map(hits.map((h) => [h.id, h.cosine]));
}
