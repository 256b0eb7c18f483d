import { isAbsolute, resolve } from 'node:path';
import type { EvalView } from '../datasets/dataset-split.js';
import { CtgiError } from '../errors/ctgi-error.js';
import type { ImageEncoder, TextEncoder } from '../models/encoder.js';
import { rankingMetrics, type RankingMetrics } from '../retrieval/metrics.js';
import { similarityMatrix } from './similarity-matrix.js';

/** Where an evaluation run is: embedding gallery images, embedding captions, or ranking. */
export type EvaluationProgress = { phase: 'images' | 'captions'; done: number; total: number } | { phase: 'ranking'; done: 0; total: undefined };

/** What `runEvaluation` needs: the two towers of one model, the split's view and where its images are. */
export interface EvaluationInput {
  textEncoder: Pick<TextEncoder, 'embedTexts' | 'dim'>;
  imageEncoder: Pick<ImageEncoder, 'embedImageFilesSettled' | 'dim'>;
  view: EvalView;
  /** Gallery image paths are resolved against this directory (absolute paths are kept). */
  imagesRoot: string;
  onProgress?: (event: EvaluationProgress) => void;
  /** Captions per `embedTexts` call (default 256); only changes how often progress is reported. */
  textChunkSize?: number;
  /** Length of the CMC curve (default 50). */
  maxRank?: number;
}

/** A gallery image left out because it could not be read. */
export interface SkippedImage {
  /** As the dataset gives it. */
  path: string;
  reason: string;
}

/** A query left out because every gallery image of its person was skipped. */
export interface ExcludedQuery {
  /** Position among the view's queries (0-based). */
  index: number;
  personId: string;
  text: string;
}

/** Metrics of one evaluation with the sizes they were computed on. */
export interface EvaluationResult {
  metrics: RankingMetrics;
  /** Queries ranked (the view's queries minus the excluded ones). */
  queries: number;
  /** Gallery images ranked (the view's gallery minus the skipped ones). */
  gallery: number;
  skipped: SkippedImage[];
  excludedQueries: ExcludedQuery[];
}

/**
 * The standard text-to-image person retrieval protocol: every gallery image is embedded once, every
 * caption is a query, similarity is the dot product of the L2-normalised vectors, and a gallery image
 * matches a query when their person ids are equal (IRRA/RDE metrics, see `rankingMetrics`).
 * Unreadable images leave the gallery (listed in `skipped`); queries left with no match are excluded.
 * @throws CtgiError BAD_INPUT when nothing is left to evaluate; MODEL_INVALID when the towers disagree.
 */
export async function runEvaluation(input: EvaluationInput): Promise<EvaluationResult> {
  const { textEncoder, imageEncoder, view, imagesRoot, onProgress } = input;
  if (view.gallery.length === 0 || view.queries.length === 0) {
    throw new CtgiError('BAD_INPUT', 'The evaluation split has no images or no captions; choose a split with both (see --split).');
  }
  if (textEncoder.dim !== imageEncoder.dim) {
    throw new CtgiError(
      'MODEL_INVALID',
      `The text encoder outputs ${textEncoder.dim} dimensions but the image encoder ${imageEncoder.dim}; use the two towers of one model.`,
    );
  }

  const imageTotal = view.gallery.length;
  onProgress?.({ phase: 'images', done: 0, total: imageTotal });
  const paths = view.gallery.map((g) => (isAbsolute(g.imagePath) ? g.imagePath : resolve(imagesRoot, g.imagePath)));
  const embedded = await imageEncoder.embedImageFilesSettled(paths, (done) => onProgress?.({ phase: 'images', done, total: imageTotal }));
  const galleryVectors: Float32Array[] = [];
  const galleryIds: string[] = [];
  const skipped: SkippedImage[] = [];
  embedded.forEach((result, i) => {
    if (result.ok) {
      galleryVectors.push(result.vector);
      galleryIds.push(view.gallery[i].personId);
    } else {
      skipped.push({ path: view.gallery[i].imagePath, reason: result.error.message });
    }
  });
  if (galleryVectors.length === 0) {
    throw new CtgiError(
      'BAD_INPUT',
      `None of the ${imageTotal} gallery images could be read (first: ${skipped[0].reason}); check --images-root.`,
    );
  }

  const present = new Set(galleryIds);
  const excludedQueries: ExcludedQuery[] = [];
  const kept = view.queries.filter((q, index) => {
    if (present.has(q.personId)) return true;
    excludedQueries.push({ index, personId: q.personId, text: q.text });
    return false;
  });
  if (kept.length === 0) {
    throw new CtgiError('BAD_INPUT', `No query has a readable gallery image of its person (${skipped.length} images skipped); check --images-root.`);
  }

  const queryVectors = await embedCaptions(textEncoder, kept.map((q) => q.text), input.textChunkSize ?? 256, onProgress);
  onProgress?.({ phase: 'ranking', done: 0, total: undefined });
  const similarity = similarityMatrix(queryVectors, galleryVectors);
  const metrics = rankingMetrics(
    similarity,
    kept.map((q) => q.personId),
    galleryIds,
    { maxRank: input.maxRank },
  );
  return { metrics, queries: kept.length, gallery: galleryVectors.length, skipped, excludedQueries };
}

async function embedCaptions(
  encoder: EvaluationInput['textEncoder'],
  texts: string[],
  chunkSize: number,
  onProgress: EvaluationInput['onProgress'],
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  onProgress?.({ phase: 'captions', done: 0, total: texts.length });
  for (let start = 0; start < texts.length; start += Math.max(1, chunkSize)) {
    const chunk = texts.slice(start, start + Math.max(1, chunkSize));
    const vectors = await encoder.embedTexts(chunk);
    if (vectors.length !== chunk.length) {
      throw new CtgiError('INTERNAL', `The text encoder returned ${vectors.length} vectors for ${chunk.length} captions.`);
    }
    out.push(...vectors);
    onProgress?.({ phase: 'captions', done: out.length, total: texts.length });
  }
  return out;
}
