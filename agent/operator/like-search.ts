import { CtgiError } from '../../src/errors/ctgi-error.js';
import { calibratedScores } from '../../src/retrieval/calibration.js';
import type { RankedTile } from '../round/gallery-items.js';
import type { RoundContext } from '../round/round-state.js';

// "More like #n": the gallery searched with that image's embedding, fused with the description as Eq. 7
// fuses q and q̂ — S = λ·S(q,v) + (1−λ)·S(image,v) over the union of both searches' pools, on the calibrated
// scale every gallery shows. The liked image itself scores S(image,image) = 1 and so comes first.

/** Weight of the description against the liked image; the image weighs more, that is what was asked. */
export const LIKE_DESCRIPTION_WEIGHT = 0.3;

/**
 * The gallery ranked by likeness to image `imageId` fused with `description`, best first; `rejected` images
 * are left out and `leading` ones (the witness's picks) go first.
 * @throws CtgiError NOT_FOUND when the image has no stored embedding.
 */
export async function likeRanking(
  ctx: Pick<RoundContext, 'gallery' | 'textEncoder' | 'options'>,
  description: string,
  imageId: number,
  rejected: readonly number[],
  leading: readonly number[] = [],
): Promise<RankedTile[]> {
  const image = (await ctx.gallery.embeddingsOf([imageId])).get(imageId);
  if (!image) throw new CtgiError('NOT_FOUND', `Image ${imageId} has no stored embedding, so nothing can be searched like it.`);
  const [text] = await ctx.textEncoder.embedTexts([description]);
  const top = ctx.options.rerankPool;
  const [byText, byImage] = await Promise.all([ctx.gallery.search(text, { top, exact: true }), ctx.gallery.search(image, { top, exact: true })]);
  const excluded = new Set(rejected);
  const pool = [...new Set([...byImage.map((h) => h.id), ...byText.map((h) => h.id), ...leading])].filter((id) => !excluded.has(id));
  const vectors = await ctx.gallery.embeddingsOf(pool);
  const scored = pool.flatMap((id) => {
    const v = vectors.get(id);
    if (!v) return [];
    const cosine = dot(text, v);
    return [{ id, cosine, fused: LIKE_DESCRIPTION_WEIGHT * cosine + (1 - LIKE_DESCRIPTION_WEIGHT) * dot(image, v) }];
  });
  const lead = new Set(leading.filter((id) => !excluded.has(id)));
  scored.sort((a, b) => Number(lead.has(b.id)) - Number(lead.has(a.id)) || b.fused - a.fused || a.id - b.id);
  const calibrated = calibratedScores(scored.map((s) => s.fused));
  return scored.map((s, i) => ({ id: s.id, score: calibrated[i], cosine: s.cosine, leading: lead.has(s.id) }));
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
