import { similarityMatrix } from '../eval/similarity-matrix.js';
import { rankingMetrics } from '../retrieval/metrics.js';
import { mulberry32 } from '../util/prng.js';
import { AdapterTrainer } from './adapter-trainer.js';
import { initialWeights, type AdapterSide, type AdapterWeights } from './adapter-weights.js';
import { learningRateAt, warmupEpochs } from './lr-schedule.js';
import type { Tf } from './tf-backend.js';

/** Frozen embeddings (L2-normalised rows) and which rows make the training pairs and the validation set. */
export interface LoopData {
  dim: number;
  texts: Float32Array;
  images: Float32Array;
  pairs: { textRows: Int32Array; imageRows: Int32Array; personCodes: Int32Array };
  validation: { queryRows: number[]; queryIds: string[]; galleryRows: number[]; galleryIds: string[] };
}

export interface LoopSettings {
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  rank: number;
  sides: AdapterSide[];
  /** Epochs without a better validation mAP before stopping. */
  patience: number;
  signal?: AbortSignal;
  onStep?: (s: { epoch: number; step: number; steps: number; loss: number }) => void;
  onEpoch?: (r: EpochRecord) => void;
}

/** One validation row; epoch 0 is the base model (the adapter is the identity). */
export interface EpochRecord {
  epoch: number;
  /** Mean training loss of the epoch (undefined for epoch 0). */
  loss?: number;
  R1: number;
  mAP: number;
  best: boolean;
}

export interface LoopResult {
  records: EpochRecord[];
  bestEpoch: number;
  best: AdapterWeights;
  stoppedBy: 'epochs' | 'early-stop' | 'interrupted';
  steps: number;
  /** Pairs seen per second of training steps (validation excluded). */
  pairsPerSecond: number;
}

/**
 * The training loop: SDM + contrastive on shuffled batches, warm-up then cosine decay, validation R1/mAP after
 * every epoch, the best epoch (by mAP) kept, early stop after `patience` epochs without improvement.
 * Deterministic for a seed. Stops between steps when `signal` aborts, keeping the best epoch so far.
 */
export async function runTrainingLoop(tf: Tf, data: LoopData, s: LoopSettings): Promise<LoopResult> {
  const rank = Math.min(s.rank, data.dim);
  const start = initialWeights(data.dim, rank, s.sides, s.seed);
  const trainer = new AdapterTrainer(tf, { dim: data.dim, rank }, start);
  try {
    const n = data.pairs.personCodes.length;
    const stepsPerEpoch = Math.max(1, Math.floor(n / s.batchSize) + (n % s.batchSize >= 2 ? 1 : 0));
    const schedule = { lr: s.lr, totalSteps: stepsPerEpoch * s.epochs, warmupSteps: stepsPerEpoch * warmupEpochs(s.epochs) };
    const base = validate(trainer, data);
    const records: EpochRecord[] = [{ epoch: 0, ...base, best: true }];
    s.onEpoch?.(records[0]);
    let best = { epoch: 0, mAP: base.mAP, weights: trainer.snapshot() };
    let stoppedBy: LoopResult['stoppedBy'] = 'epochs';
    let step = 0;
    let trainMs = 0;
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const random = mulberry32(s.seed);
    epochs: for (let epoch = 1; epoch <= s.epochs; epoch++) {
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      let lossSum = 0;
      let batches = 0;
      for (let b = 0; b < n; b += s.batchSize) {
        const rows = order.subarray(b, Math.min(n, b + s.batchSize));
        if (rows.length < 2) continue;
        // Let a pending Ctrl-C reach its handler between steps.
        await new Promise((r) => setImmediate(r));
        if (s.signal?.aborted) {
          stoppedBy = 'interrupted';
          break epochs;
        }
        const t0 = performance.now();
        const loss = trainer.trainStep(gather(data.texts, data.pairs.textRows, rows, data.dim), gather(data.images, data.pairs.imageRows, rows, data.dim), Int32Array.from(rows, (r) => data.pairs.personCodes[r]), learningRateAt(schedule, step));
        trainMs += performance.now() - t0;
        step++;
        lossSum += loss;
        batches++;
        s.onStep?.({ epoch, step: batches, steps: stepsPerEpoch, loss });
      }
      const v = validate(trainer, data);
      const improved = v.mAP > best.mAP;
      if (improved) best = { epoch, mAP: v.mAP, weights: trainer.snapshot() };
      const record: EpochRecord = { epoch, loss: lossSum / Math.max(1, batches), ...v, best: improved };
      records.push(record);
      s.onEpoch?.(record);
      if (epoch - best.epoch >= s.patience && epoch < s.epochs) {
        stoppedBy = 'early-stop';
        break;
      }
    }
    return { records, bestEpoch: best.epoch, best: best.weights, stoppedBy, steps: step, pairsPerSecond: trainMs > 0 ? (step * s.batchSize * 1000) / trainMs : 0 };
  } finally {
    trainer.dispose();
  }
}

/** Copies the rows `table[rowsOf[i]]` for each i in `picks` into one packed batch. */
function gather(table: Float32Array, rowsOf: Int32Array, picks: Int32Array, dim: number): Float32Array {
  const out = new Float32Array(picks.length * dim);
  picks.forEach((p, i) => out.set(table.subarray(rowsOf[p] * dim, (rowsOf[p] + 1) * dim), i * dim));
  return out;
}

/** R1 and mAP (percent) of the validation set under the trainer's current adapter. */
export function validate(trainer: AdapterTrainer, data: LoopData): { R1: number; mAP: number } {
  const v = data.validation;
  const embed = (side: AdapterSide, table: Float32Array, rows: number[]) => {
    const packed = new Float32Array(rows.length * data.dim);
    rows.forEach((r, i) => packed.set(table.subarray(r * data.dim, (r + 1) * data.dim), i * data.dim));
    const out = trainer.embed(side, packed, rows.length);
    return rows.map((_, i) => out.subarray(i * data.dim, (i + 1) * data.dim));
  };
  const sim = similarityMatrix(embed('text', data.texts, v.queryRows), embed('image', data.images, v.galleryRows));
  const m = rankingMetrics(sim, v.queryIds, v.galleryIds, { maxRank: 1 });
  return { R1: m.R1, mAP: m.mAP };
}
