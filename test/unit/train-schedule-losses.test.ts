import { describe, expect, it } from 'vitest';
import { imageTowerId } from '../../src/gallery/gallery-manifest.js';
import { learningRateAt, warmupEpochs } from '../../src/train/lr-schedule.js';
import { contrastiveLoss, sdmLoss, SDM_SCALE } from '../../src/train/train-losses.js';
import { loadTf } from '../../src/train/tf-backend.js';

describe('learning-rate schedule (paper §4.2: warm-up from lr/10, then cosine)', () => {
  const s = { lr: 1e-3, totalSteps: 120, warmupSteps: 10 };
  it('warms up linearly from a tenth of the rate, peaks, then decays to zero', () => {
    expect(learningRateAt(s, 0)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(s, 5)).toBeCloseTo(1e-4 + 0.5 * 9e-4, 12);
    expect(learningRateAt(s, 10)).toBeCloseTo(1e-3, 12);
    expect(learningRateAt(s, 65)).toBeCloseTo(5e-4, 12);
    expect(learningRateAt(s, 120)).toBeCloseTo(0, 12);
  });
  it('warms up over 5 of every 60 epochs, at least one when there are several', () => {
    expect(warmupEpochs(60)).toBe(5);
    expect(warmupEpochs(10)).toBe(1);
    expect(warmupEpochs(1)).toBe(0);
  });
});

/** Plain-number reference of IRRA's compute_sdm for one direction. */
function sdmReference(sim: number[][], ids: number[]): number {
  let total = 0;
  for (let i = 0; i < sim.length; i++) {
    const logits = sim[i].map((x) => x * SDM_SCALE);
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((a, x) => a + Math.exp(x - max), 0));
    const matches = ids.filter((id) => id === ids[i]).length;
    let kl = 0;
    for (let j = 0; j < sim.length; j++) {
      const logP = logits[j] - lse;
      const q = ids[j] === ids[i] ? 1 / matches : 0;
      kl += Math.exp(logP) * (logP - Math.log(q + 1e-8));
    }
    total += kl;
  }
  return total / sim.length;
}

describe('losses', () => {
  const sim = [
    [0.31, 0.12, 0.05],
    [0.1, 0.22, 0.19],
    [0.02, 0.2, 0.25],
  ];
  const ids = [4, 9, 9];
  const transpose = sim[0].map((_, j) => sim.map((row) => row[j]));

  it('SDM is the KL of the scaled-similarity softmax from the identity-match distribution, both directions', async () => {
    const tf = await loadTf();
    const got = tf.tidy(() => sdmLoss(tf, tf.tensor2d(sim), tf.tensor1d(ids, 'int32')).dataSync()[0]);
    expect(got).toBeCloseTo(sdmReference(sim, ids) + sdmReference(transpose, ids), 4);
  });

  it('the contrastive loss is the mean cross-entropy of the pair’s own image and caption at the learned scale', async () => {
    const tf = await loadTf();
    const scale = tf.variable(tf.scalar(Math.log(10)));
    const got = tf.tidy(() => contrastiveLoss(tf, tf.tensor2d(sim), scale).dataSync()[0]);
    scale.dispose();
    const ce = (m: number[][]) => m.reduce((a, row, i) => a - (row[i] * 10 - Math.log(row.reduce((s, x) => s + Math.exp(x * 10), 0))), 0) / m.length;
    expect(got).toBeCloseTo((ce(sim) + ce(transpose)) / 2, 5);
  });
});

describe('imageTowerId', () => {
  it('a text-only adapted model shares its base’s image tower; a fully adapted one does not', () => {
    expect(imageTowerId('org/clip+text-adapter-0123456789ab')).toBe('org/clip');
    expect(imageTowerId('org/clip+pes248+text-adapter-0123456789ab')).toBe('org/clip');
    expect(imageTowerId('org/clip+text-adapter-0123456789ab+pes248')).toBe('org/clip');
    expect(imageTowerId('org/clip+adapter-0123456789ab')).toBe('org/clip+adapter-0123456789ab');
    expect(imageTowerId('org/clip+adapter-0123456789ab+text-adapter-00ff')).toBe('org/clip+adapter-0123456789ab');
  });
});
