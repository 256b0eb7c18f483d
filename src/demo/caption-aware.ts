import { DemoTextEncoder } from './demo-encoder.js';
import { spreadSample } from '../util/spread-sample.js';
import type { DemoBuild } from './demo-build.js';
import { similarityMatrix } from '../eval/similarity-matrix.js';
import { CtgiError } from '../errors/ctgi-error.js';
import type { Gallery } from '../gallery/gallery.js';
import { openGallery } from '../gallery/open-gallery.js';
import type { TextEncoder } from '../models/encoder.js';
import { rankingMetrics, type RankingMetrics } from '../retrieval/metrics.js';

// Caption-aware retrieval: an image's score fuses the query↔image similarity with the query↔caption
// similarity of its MTG caption, both texts through the same text encoder:
//   s(q, v) = (1 − w)·cos(q, v) + w·cos(q, caption(v)),
// and an image without a caption keeps cos(q, v).

/**
 * The caption's share w of the fused score: the best R1 of a sweep over w = 0.1…1 on the demo world (seed 1,
 * 100 people, MTG captions from the demo MLLM), with mAP within 0.5 of the sweep's best; see the README.
 */
export const DEFAULT_CAPTION_WEIGHT = 0.8;

/** The caption source whose captions are fused (MTG's pseudo-captions). */
export const MTG_CAPTION_SOURCE = 'mtg';

/**
 * Fuses a queries × gallery matrix of image similarities with one of caption similarities (row-major,
 * same shape); columns without a caption keep the image score.
 */
export function fuseCaptionScores(imageScores: Float32Array, captionScores: Float32Array, hasCaption: readonly boolean[], weight = DEFAULT_CAPTION_WEIGHT): Float32Array {
  const g = hasCaption.length;
  if (imageScores.length !== captionScores.length || (g > 0 && imageScores.length % g !== 0)) {
    throw new CtgiError('BAD_INPUT', `The image (${imageScores.length}) and caption (${captionScores.length}) score matrices must both be queries × ${g}.`);
  }
  if (!(weight >= 0 && weight <= 1)) throw new CtgiError('BAD_INPUT', `The caption weight must be between 0 and 1, not ${weight}.`);
  const out = new Float32Array(imageScores.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = hasCaption[i % g] ? (1 - weight) * imageScores[i] + weight * captionScores[i] : imageScores[i];
  }
  return out;
}

/**
 * Caption-aware scores for text queries: the image scores (queries × gallery, row-major) fused with the
 * similarity between each query and each gallery image's caption (undefined: none), both embedded by
 * `encoder`.
 */
export async function captionAwareScores(options: {
  encoder: TextEncoder;
  queries: readonly string[];
  imageScores: Float32Array;
  captions: ReadonlyArray<string | undefined>;
  weight?: number;
}): Promise<Float32Array> {
  const { encoder, queries, captions } = options;
  const present = captions.map((c) => c !== undefined && c.trim() !== '');
  const texts = captions.filter((c, i): c is string => present[i]);
  const queryVectors = await encoder.embedTexts([...queries]);
  const captionVectors = texts.length > 0 ? await encoder.embedTexts(texts) : [];
  const zero = new Float32Array(encoder.dim);
  let k = 0;
  const columns = present.map((p) => (p ? captionVectors[k++] : zero));
  const captionScores = similarityMatrix(queryVectors, columns);
  return fuseCaptionScores(options.imageScores, captionScores, present, options.weight);
}

/** One row of the caption-aware benchmark. */
export type CaptionAwareRow = { mode: 'retrieval' | 'caption-aware'; weight: number } & Omit<RankingMetrics, 'cmc'>;

export interface CaptionAwareEvalResult {
  queries: number;
  gallery: number;
  /** Gallery images that have an MTG caption. */
  captioned: number;
  rows: CaptionAwareRow[];
}

/**
 * R1/mAP on the demo world's vague witness queries, with and without caption-aware fusion, in one run:
 * the same queries, gallery and encoder, the MTG captions read from the build's gallery index (`ctgi
 * caption --dataset OUT/reid_raw.json --index OUT/index` or captionDemoGallery put them there). Extra
 * `weights` add one caption-aware row each (a sweep).
 * @throws CtgiError NOT_FOUND when no gallery image has an MTG caption.
 */
export async function evaluateCaptionAware(build: DemoBuild, options: { weight?: number; weights?: readonly number[]; queries?: number } = {}): Promise<CaptionAwareEvalResult> {
  const index = await openGallery(build.indexDir);
  try {
    const dim = index.manifest.model.dim;
    const { ids, matrix } = await index.loadEmbeddings();
    const records = await index.getMany(ids);
    const stored = await index.captionsOf(ids);
    const captions = ids.map((id) => stored.get(id)?.filter((c) => c.source === MTG_CAPTION_SOURCE).at(-1)?.text);
    const captioned = captions.filter((c) => c !== undefined).length;
    if (captioned === 0) {
      throw new CtgiError('NOT_FOUND', `The demo gallery ${build.indexDir} has no MTG captions; run \`ctgi caption --dataset ${build.out}/reid_raw.json --index ${build.indexDir} --out …\` first.`);
    }
    const gallery = ids.map((_, row) => matrix.subarray(row * dim, (row + 1) * dim));
    const galleryIds = ids.map((id) => records.get(id)?.personId ?? '');
    const all = build.world.identities.flatMap((identity) => identity.vagueQueries.map((text) => ({ text, personId: String(identity.id) })));
    const queries = spreadSample(all, options.queries);
    const encoder = new DemoTextEncoder();
    const texts = queries.map((q) => q.text);
    const imageScores = similarityMatrix(await encoder.embedTexts(texts), gallery);
    const personIds = queries.map((q) => q.personId);
    const rows: CaptionAwareRow[] = [row('retrieval', 0, rankingMetrics(imageScores, personIds, galleryIds))];
    for (const weight of options.weights ?? [options.weight ?? DEFAULT_CAPTION_WEIGHT]) {
      const fused = await captionAwareScores({ encoder, queries: texts, imageScores, captions, weight });
      rows.push(row('caption-aware', weight, rankingMetrics(fused, personIds, galleryIds)));
    }
    return { queries: queries.length, gallery: ids.length, captioned, rows };
  } finally {
    await index.close({ save: false });
  }
}

function row(mode: CaptionAwareRow['mode'], weight: number, m: RankingMetrics): CaptionAwareRow {
  return { mode, weight, R1: m.R1, R5: m.R5, R10: m.R10, mAP: m.mAP, mINP: m.mINP, rSum: m.rSum };
}
