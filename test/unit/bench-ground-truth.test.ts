import { describe, expect, it } from 'vitest';
import { embeddingLike } from '../../bench/clustered-vectors.js';
import { recallAtK, StreamingTopK } from '../../bench/ground-truth.js';

const DIM = 16;

/** The reference: every vector held at once, scored in float64, sorted. */
function bruteTopK(all: Float32Array[], q: Float32Array, k: number): number[] {
  const scored = all.map((v, position) => {
    let s = 0;
    for (let i = 0; i < DIM; i++) s += v[i] * q[i];
    return { position, s };
  });
  return scored.sort((a, b) => b.s - a.s || a.position - b.position).slice(0, k).map((x) => x.position);
}

describe('bench ground truth', () => {
  it('streams chunks of any size to the same top-k as sorting everything at once', () => {
    const draw = embeddingLike({ dim: DIM, clusters: 20, seed: 7 });
    const all = Array.from({ length: 1000 }, () => draw(new Float32Array(DIM)));
    const queries = Array.from({ length: 25 }, () => draw(new Float32Array(DIM)));
    const acc = new StreamingTopK(queries, 10);
    for (const [from, to] of [[0, 1], [1, 300], [300, 301], [301, 1000]]) {
      const chunk = new Float32Array((to - from) * DIM);
      all.slice(from, to).forEach((v, r) => chunk.set(v, r * DIM));
      acc.addChunk(chunk, to - from);
    }
    expect(acc.count).toBe(1000);
    const want = queries.map((q) => bruteTopK(all, q, 10));
    expect(acc.neighbours().map((n) => n.map((x) => x.position))).toEqual(want);
    expect(recallAtK(acc.truth(), want, 10)).toBe(1);
  });

  it('counts recall@k as found true neighbours over k per query, looking at the first k results only', () => {
    const truth = [new Set([1, 2, 3, 4]), new Set([5, 6, 7, 8])];
    // first query: 3 of 4 in its first 4 (the 4 at rank 5 does not count); second: 1 of 4.
    expect(recallAtK(truth, [[1, 2, 9, 3, 4], [8, 0, 0, 0]], 4)).toBeCloseTo(4 / 8, 12);
    expect(() => recallAtK(truth, [[1]], 4)).toThrow(/2 truths but 1/);
  });
});
