import { describe, expect, it } from 'vitest';
import { similarityMatrix } from '../../src/eval/similarity-matrix.js';

describe('similarityMatrix', () => {
  it('equals plain dot products, row-major queries × gallery, for gallery sizes around the 4-row blocks', () => {
    const vec = (i: number, dim: number) => Float32Array.from({ length: dim }, (_, k) => Math.sin(i * 7 + k * 3) / 2);
    for (const galleryCount of [1, 3, 4, 7, 9]) {
      const dim = 5;
      const queries = [0, 1, 2].map((i) => vec(100 + i, dim));
      const gallery = Array.from({ length: galleryCount }, (_, j) => vec(j, dim));
      const sim = similarityMatrix(queries, gallery);
      expect(sim).toHaveLength(3 * galleryCount);
      queries.forEach((q, i) =>
        gallery.forEach((g, j) => {
          let dot = 0;
          for (let k = 0; k < dim; k++) dot += q[k] * g[k];
          expect(sim[i * galleryCount + j]).toBeCloseTo(dot, 6);
        }),
      );
    }
  });

  it('refuses vectors of different dimensions', () => {
    expect(() => similarityMatrix([new Float32Array(4)], [new Float32Array(4), new Float32Array(3)])).toThrow(/3 dimensions but the others have 4/);
  });
});
