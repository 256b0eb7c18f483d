import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readDataset } from '../datasets/dataset-io.js';
import { CtgiError } from '../errors/ctgi-error.js';
import { OnnxClipImageEncoder } from '../models/clip-image-encoder.js';
import { OnnxClipTextEncoder } from '../models/clip-text-encoder.js';
import { readModelDir } from '../models/model-dir.js';
import { hashFileInto, sha256File } from '../util/file-hash.js';
import type { ImageLimits } from '../vision/image-limits.js';
import { exportAdaptedModel, type ExportResult } from './adapter-export.js';
import { AdapterTrainer } from './adapter-trainer.js';
import { EmbeddingCache } from './embedding-cache.js';
import { frozenEmbeddings, imageEmbedder, textEmbedder, type EmbedProgress, type EmbeddingTable } from './frozen-embeddings.js';
import { loadTf } from './tf-backend.js';
import { prepareTrainData } from './train-data.js';
import { runTrainingLoop, type EpochRecord, type LoopData, type LoopResult, type LoopSettings } from './train-loop.js';

export interface TrainOptions {
  modelDir: string;
  datasetFile: string;
  imagesRoot: string;
  outDir: string;
  split?: string;
  valSplit?: string;
  valFraction?: number;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  rank?: number;
  patience?: number;
  textOnly?: boolean;
  force?: boolean;
  limits?: ImageLimits;
  signal?: AbortSignal;
  onEmbed?: (p: EmbedProgress) => void;
  onStep?: LoopSettings['onStep'];
  onEpoch?: (r: EpochRecord) => void;
}

export interface TrainResult {
  /** Undefined when interrupted before training started (the embedding cache keeps what was done). */
  exported: ExportResult | undefined;
  loop: LoopResult | undefined;
  cacheDir: string;
  pairs: number;
  identities: number;
  validationIdentities: number;
}

/** Defaults of `ctgi train`: the adapter trains alone, so a higher rate than the paper's 1e-5 for the backbone. */
export const TRAIN_DEFAULTS = { split: 'train', valFraction: 0.1, epochs: 10, batchSize: 64, lr: 1e-3, seed: 1, rank: 64, patience: 3 } as const;

/** Where the frozen embeddings of a run writing `outDir` are kept. */
export function embeddingCacheDir(outDir: string): string {
  return `${resolve(outDir)}.embeddings`;
}

/**
 * `ctgi train`: learns a residual adapter over a frozen CLIP model from a captioned dataset (MTG
 * pseudo-captions or any dataset file) and writes the adapted model directory.
 * @throws CtgiError with a sentence for bad input (nothing written but the embedding cache).
 */
export async function trainAdapter(o: TrainOptions): Promise<TrainResult> {
  const outDir = resolve(o.outDir);
  if (!o.force && (await stat(outDir).then(() => true, () => false))) {
    throw new CtgiError('BAD_INPUT', `${outDir} already exists; choose a new --out directory or add --force to replace it.`);
  }
  const model = await readModelDir(o.modelDir);
  const split = o.split ?? TRAIN_DEFAULTS.split;
  const seed = o.seed ?? TRAIN_DEFAULTS.seed;
  const imagesRoot = resolve(o.imagesRoot);
  const dataset = await readDataset(o.datasetFile);
  const data = await prepareTrainData(dataset, imagesRoot, { split, valSplit: o.valSplit, valFraction: o.valFraction ?? TRAIN_DEFAULTS.valFraction, seed });

  const modelHash = createHash('sha256');
  await hashFileInto(modelHash, model.textModelPath);
  await hashFileInto(modelHash, model.visionModelPath);
  const baseSha256 = modelHash.digest('hex');
  const cacheDir = embeddingCacheDir(outDir);
  const common = { cacheDir, pairs: data.pairs.length, identities: data.identities, validationIdentities: data.validation.identities };

  const imageKeys = [...data.pairs.map((p) => p.imagePath), ...data.validation.gallery.map((g) => g.imagePath)];
  const textKeys = [...data.pairs.map((p) => p.text), ...data.validation.queries.map((q) => q.text)];
  let images: EmbeddingTable | undefined;
  let texts: EmbeddingTable | undefined;
  const imageEncoder = await OnnxClipImageEncoder.open(model, { limits: o.limits });
  const textEncoder = await OnnxClipTextEncoder.open(model).catch(async (err) => {
    await imageEncoder.close();
    throw err;
  });
  try {
    const cache = await EmbeddingCache.open(cacheDir, { modelSha256: baseSha256, dim: imageEncoder.dim });
    images = await frozenEmbeddings('images', imageKeys, imageEmbedder(imageEncoder, imagesRoot), cache, { signal: o.signal, onProgress: o.onEmbed });
    if (images) texts = await frozenEmbeddings('captions', textKeys, textEmbedder(textEncoder), cache, { signal: o.signal, onProgress: o.onEmbed });
  } finally {
    await imageEncoder.close();
    await textEncoder.close();
  }
  if (!images || !texts) return { exported: undefined, loop: undefined, ...common };

  const dim = imageEncoder.dim;
  const codes = new Map<string, number>();
  const loopData: LoopData = {
    dim,
    texts: texts.matrix,
    images: images.matrix,
    pairs: {
      textRows: Int32Array.from(data.pairs, (p) => texts.rowOf.get(p.text)!),
      imageRows: Int32Array.from(data.pairs, (p) => images.rowOf.get(p.imagePath)!),
      personCodes: Int32Array.from(data.pairs, (p) => codes.get(p.personId) ?? (codes.set(p.personId, codes.size), codes.size - 1)),
    },
    validation: {
      queryRows: data.validation.queries.map((q) => texts.rowOf.get(q.text)!),
      queryIds: data.validation.queries.map((q) => q.personId),
      galleryRows: data.validation.gallery.map((g) => images.rowOf.get(g.imagePath)!),
      galleryIds: data.validation.gallery.map((g) => g.personId),
    },
  };
  const settings = {
    epochs: o.epochs ?? TRAIN_DEFAULTS.epochs,
    batchSize: o.batchSize ?? TRAIN_DEFAULTS.batchSize,
    lr: o.lr ?? TRAIN_DEFAULTS.lr,
    seed,
    rank: o.rank ?? TRAIN_DEFAULTS.rank,
    patience: o.patience ?? TRAIN_DEFAULTS.patience,
    sides: o.textOnly ? (['text'] as const) : (['image', 'text'] as const),
  };
  const tf = await loadTf();
  const loop = await runTrainingLoop(tf, loopData, { ...settings, sides: [...settings.sides], signal: o.signal, onStep: o.onStep, onEpoch: o.onEpoch });

  // Probes: the trainer's own forward pass with the kept weights, on a few validation captions and images.
  const probeQueries = data.validation.queries.slice(0, 8);
  const probeImages = data.validation.gallery.slice(0, 8);
  const probeTrainer = new AdapterTrainer(tf, { dim, rank: loop.best.rank }, loop.best);
  const pick = (table: EmbeddingTable, keys: string[]) => {
    const packed = new Float32Array(keys.length * dim);
    keys.forEach((k, i) => packed.set(table.matrix.subarray(table.rowOf.get(k)! * dim, (table.rowOf.get(k)! + 1) * dim), i * dim));
    return packed;
  };
  const rows = (flat: Float32Array, n: number) => Array.from({ length: n }, (_, i) => flat.slice(i * dim, (i + 1) * dim));
  const textVectors = rows(probeTrainer.embed('text', pick(texts, probeQueries.map((q) => q.text)), probeQueries.length), probeQueries.length);
  const imageVectors = rows(probeTrainer.embed('image', pick(images, probeImages.map((g) => g.imagePath)), probeImages.length), probeImages.length);
  probeTrainer.dispose();

  const exported = await exportAdaptedModel({
    base: model,
    baseSha256,
    weights: loop.best,
    outDir,
    force: o.force ?? false,
    probes: { texts: probeQueries.map((q) => q.text), textVectors, imagePaths: probeImages.map((g) => resolve(imagesRoot, g.imagePath)), imageVectors },
    run: {
      dataset: resolve(o.datasetFile),
      dataset_sha256: await sha256File(o.datasetFile),
      split,
      validation: o.valSplit !== undefined ? { split: o.valSplit } : { fraction: o.valFraction ?? TRAIN_DEFAULTS.valFraction, by: 'person id' },
      pairs: data.pairs.length,
      identities: data.identities,
      validation_identities: data.validation.identities,
      ...settings,
      losses: 'SDM (tau 0.02) + image-text contrastive (learnable temperature)',
      optimiser: 'AdamW, linear warm-up from lr/10 then cosine decay',
      epochs_run: loop.records.length - 1,
      best_epoch: loop.bestEpoch,
      stopped_by: loop.stoppedBy,
      learned_logit_scale: loop.best.logitScale,
      validation_figures: loop.records.map((r) => ({ epoch: r.epoch, loss: r.loss ?? null, R1: r.R1, mAP: r.mAP })),
      finished_at: new Date().toISOString(),
    },
  });
  return { exported, loop, ...common };
}
