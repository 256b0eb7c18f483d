import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EvalView } from '../../src/datasets/dataset-split.js';
import type { ImageEmbedding } from '../../src/models/encoder.js';
import { runEvaluation, type EvaluationProgress } from '../../src/eval/run-evaluation.js';

/** A fake image tower: vectors by file name; names in `unreadable` fail like a corrupt file. */
function fakeImageEncoder(vectors: Record<string, number[]>, unreadable: string[] = [], dim = 2) {
  const calls: string[][] = [];
  return {
    dim,
    calls,
    async embedImageFilesSettled(paths: string[], onProgress?: (done: number) => void): Promise<ImageEmbedding[]> {
      calls.push(paths);
      const out = paths.map((path): ImageEmbedding => {
        const name = path.split('/').pop()!;
        if (unreadable.includes(name)) return { path, ok: false, error: new Error(`Cannot read image ${path}: its header is corrupt or truncated.`) };
        return { path, ok: true, vector: Float32Array.from(vectors[name]) };
      });
      onProgress?.(paths.length);
      return out;
    },
  };
}

/** A fake text tower: vectors by caption. */
function fakeTextEncoder(vectors: Record<string, number[]>, dim = 2) {
  const calls: string[][] = [];
  return {
    dim,
    calls,
    async embedTexts(texts: string[]): Promise<Float32Array[]> {
      calls.push(texts);
      return texts.map((t) => Float32Array.from(vectors[t]));
    },
  };
}

// Gallery: g0 (A) = (1, 0), g1 (A) = (0, 1), g2 (B) = (0.6, 0.8), g3 (C) unreadable.
// q0 "alpha" (A) = (1, 0): scores 1, 0, .6 → order g0 A, g2 B, g1 A → matches at 1, 3: AP 5/6, INP 2/3.
// q1 "beta" (B) = (0, 1): scores 0, 1, .8 → order g1 A, g2 B, g0 A → match at 2: AP 1/2, INP 1/2.
// q2 "gamma" (C): its only image g3 is unreadable → excluded.
// q3 "delta" (A) = (.8, .6): scores .8, .6, .96 → order g2 B, g0 A, g1 A → matches at 2, 3: AP 7/12, INP 2/3.
// Over 3 queries: R1 = 1/3, R5 = R10 = 1, mAP = 23/36, mINP = 11/18.
const view: EvalView = {
  gallery: [
    { imagePath: 'cam1/g0.png', personId: 'A' },
    { imagePath: 'cam2/g1.png', personId: 'A' },
    { imagePath: 'cam1/g2.png', personId: 'B' },
    { imagePath: 'cam2/g3.png', personId: 'C' },
  ],
  queries: [
    { text: 'alpha', personId: 'A', galleryIndex: 0 },
    { text: 'beta', personId: 'B', galleryIndex: 2 },
    { text: 'gamma', personId: 'C', galleryIndex: 3 },
    { text: 'delta', personId: 'A', galleryIndex: 1 },
  ],
};
const imageVectors = { 'g0.png': [1, 0], 'g1.png': [0, 1], 'g2.png': [0.6, 0.8] };
const textVectors = { alpha: [1, 0], beta: [0, 1], gamma: [0.5, 0.5], delta: [0.8, 0.6] };

describe('runEvaluation', () => {
  it('computes the metrics of hand-picked vectors, skipping an unreadable image and the query it orphans', async () => {
    const imageEncoder = fakeImageEncoder(imageVectors, ['g3.png']);
    const textEncoder = fakeTextEncoder(textVectors);
    const events: EvaluationProgress[] = [];
    const result = await runEvaluation({ textEncoder, imageEncoder, view, imagesRoot: '/data/imgs', onProgress: (e) => events.push(e), textChunkSize: 2 });

    expect(result.metrics.R1).toBeCloseTo(100 / 3, 5);
    expect(result.metrics.R5).toBeCloseTo(100, 5);
    expect(result.metrics.R10).toBeCloseTo(100, 5);
    expect(result.metrics.mAP).toBeCloseTo((100 * 23) / 36, 5);
    expect(result.metrics.mINP).toBeCloseTo((100 * 11) / 18, 5);
    expect(result.metrics.rSum).toBeCloseTo(100 / 3 + 200, 5);
    expect(result.metrics.cmc.slice(0, 3)).toEqual([100 / 3, 100, 100]);
    expect(result.queries).toBe(3);
    expect(result.gallery).toBe(3);
    expect(result.skipped).toEqual([{ path: 'cam2/g3.png', reason: expect.stringContaining('corrupt') }]);
    expect(result.excludedQueries).toEqual([{ index: 2, personId: 'C', text: 'gamma' }]);

    // Each image is embedded once, resolved under the images root; only kept captions are embedded.
    expect(imageEncoder.calls).toEqual([view.gallery.map((g) => resolve('/data/imgs', g.imagePath))]);
    expect(textEncoder.calls).toEqual([['alpha', 'beta'], ['delta']]);
    expect(events).toContainEqual({ phase: 'images', done: 4, total: 4 });
    expect(events).toContainEqual({ phase: 'captions', done: 3, total: 3 });
    expect(events.at(-1)?.phase).toBe('ranking');
  });

  it('keeps a query whose own image is unreadable when another image of its person remains', async () => {
    // g0 unreadable, g3 readable as (.5, .5): q0 "alpha" (A) still has g1; its order is g2 B (.6), g3 C (.5),
    // g1 A (0) → match at 3: AP = INP = 1/3.
    const result = await runEvaluation({
      textEncoder: fakeTextEncoder(textVectors),
      imageEncoder: fakeImageEncoder({ ...imageVectors, 'g3.png': [0.5, 0.5] }, ['g0.png']),
      view: { gallery: view.gallery, queries: [view.queries[0]] },
      imagesRoot: '/data',
    });
    expect(result.excludedQueries).toEqual([]);
    expect(result.gallery).toBe(3);
    expect(result.metrics.mAP).toBeCloseTo(100 / 3, 5);
    expect(result.metrics.mINP).toBeCloseTo(100 / 3, 5);
    expect(result.metrics.R1).toBe(0);
  });

  it('refuses when no image can be read, and when the towers disagree on the dimension', async () => {
    await expect(
      runEvaluation({ textEncoder: fakeTextEncoder(textVectors), imageEncoder: fakeImageEncoder({}, ['g0.png', 'g1.png', 'g2.png', 'g3.png']), view, imagesRoot: '/x' }),
    ).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/None of the 4 gallery images could be read.*--images-root/) });
    await expect(
      runEvaluation({ textEncoder: fakeTextEncoder(textVectors, 3), imageEncoder: fakeImageEncoder(imageVectors), view, imagesRoot: '/x' }),
    ).rejects.toMatchObject({ code: 'MODEL_INVALID' });
    await expect(
      runEvaluation({ textEncoder: fakeTextEncoder(textVectors), imageEncoder: fakeImageEncoder(imageVectors), view: { gallery: [], queries: [] }, imagesRoot: '/x' }),
    ).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});
