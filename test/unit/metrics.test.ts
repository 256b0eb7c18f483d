import { describe, expect, it } from 'vitest';
import { rankingMetrics, type PersonId } from '../../src/retrieval/metrics.js';
import { mulberry32 as rng } from '../../src/util/prng.js';

/** Expects `fn` to throw a BAD_INPUT CtgiError whose message matches `pattern`. */
function expectBadInput(fn: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toMatchObject({ name: 'CtgiError', code: 'BAD_INPUT' });
  expect((caught as Error).message).toMatch(pattern);
}

/**
 * Independent reference: a full sort of the gallery per query (score descending, then gallery index),
 * then the definitions read literally.
 */
function referenceMetrics(sim: number[][], queryIds: PersonId[], galleryIds: PersonId[]) {
  let r1 = 0;
  let r5 = 0;
  let r10 = 0;
  let ap = 0;
  let inp = 0;
  sim.forEach((row, q) => {
    const order = row.map((_, g) => g).sort((a, b) => (row[b] === row[a] ? a - b : row[b] - row[a]));
    const hit = order.map((g) => String(galleryIds[g]) === String(queryIds[q]));
    const positions = hit.flatMap((h, i) => (h ? [i + 1] : []));
    if (positions[0] <= 1) r1++;
    if (positions[0] <= 5) r5++;
    if (positions[0] <= 10) r10++;
    ap += positions.reduce((s, p, k) => s + (k + 1) / p, 0) / positions.length;
    inp += positions.length / positions[positions.length - 1];
  });
  const n = sim.length;
  return { R1: (100 * r1) / n, R5: (100 * r5) / n, R10: (100 * r10) / n, mAP: (100 * ap) / n, mINP: (100 * inp) / n };
}

describe('rankingMetrics', () => {
  // Gallery ids: a b a c b.
  // Query 0 ("a"): ranking g0 .9 a, g1 .8 b, g3 .7 c, g4 .3 b, g2 .1 a → matches at 1 and 5.
  //   AP = (1/1 + 2/5) / 2 = 0.7; INP = 2/5 = 0.4; first hit at 1.
  // Query 1 ("b"): ranking g2 .6 a, g3 .5 c, g4 .4 b, g0 .2 a, g1 .1 b → matches at 3 and 5.
  //   AP = (1/3 + 2/5) / 2 = 11/30; INP = 2/5; first hit at 3.
  // R1 = 50, R5 = R10 = 100, mAP = (0.7 + 11/30) / 2 = 16/30 → 53.33…, mINP = 40, rSum = 250.
  const sim2x5 = [
    [0.9, 0.8, 0.1, 0.7, 0.3],
    [0.2, 0.1, 0.6, 0.5, 0.4],
  ];
  const gallery2x5 = ['a', 'b', 'a', 'c', 'b'];

  it('computes R1/R5/R10, mAP, mINP and rSum of a hand-worked 2×5 example', () => {
    const m = rankingMetrics(sim2x5, ['a', 'b'], gallery2x5);
    expect(m.R1).toBeCloseTo(50, 10);
    expect(m.R5).toBeCloseTo(100, 10);
    expect(m.R10).toBeCloseTo(100, 10);
    expect(m.mAP).toBeCloseTo((100 * 16) / 30, 10);
    expect(m.mINP).toBeCloseTo(40, 10);
    expect(m.rSum).toBeCloseTo(250, 10);
  });

  it('gives a CMC curve of maxRank points (default 50) that reaches 100 at the last first hit', () => {
    const m = rankingMetrics(sim2x5, ['a', 'b'], gallery2x5);
    expect(m.cmc).toHaveLength(50);
    expect(m.cmc.slice(0, 4)).toEqual([50, 50, 100, 100]);
    expect(m.cmc[49]).toBe(100);
    const short = rankingMetrics(sim2x5, ['a', 'b'], gallery2x5, { maxRank: 2 });
    expect(short.cmc).toEqual([50, 50]);
    // R10 does not depend on the curve's length.
    expect(short.R10).toBe(100);
  });

  it('accepts a row-major Float32Array with the same result as rows of numbers', () => {
    const flat = Float32Array.from(sim2x5.flat());
    const rows = flat.reduce<number[][]>((acc, v, i) => (i % 5 === 0 ? [...acc, [v]] : (acc[acc.length - 1].push(v), acc)), []);
    expect(rankingMetrics(flat, ['a', 'b'], gallery2x5)).toEqual(rankingMetrics(rows, ['a', 'b'], gallery2x5));
  });

  it('separates mINP from mAP when the last match is ranked far down', () => {
    // One query "x" with matches at positions 1, 2 and 10 (scores descend with the index).
    // AP = (1/1 + 2/2 + 3/10) / 3 = 2.3 / 3 → 76.67 %; INP = 3/10 → 30 %.
    const ids = ['x', 'x', 'o', 'o', 'o', 'o', 'o', 'o', 'o', 'x'];
    const row = ids.map((_, i) => 1 - i / 10);
    const m = rankingMetrics([row], ['x'], ids);
    expect(m.mAP).toBeCloseTo((100 * 2.3) / 3, 10);
    expect(m.mINP).toBeCloseTo(30, 10);
    expect(m.R1).toBe(100);
  });

  it('breaks ties by gallery order: the earlier gallery item ranks first', () => {
    expect(rankingMetrics([[0.5, 0.5]], ['x'], ['x', 'y']).R1).toBe(100);
    expect(rankingMetrics([[0.5, 0.5]], ['x'], ['y', 'x']).R1).toBe(0);
    // All tied, ids y x y x → matches at 2 and 4: AP = (1/2 + 2/4) / 2 = 0.5, INP = 2/4.
    const allTied = rankingMetrics([[0.5, 0.5, 0.5, 0.5]], ['x'], ['y', 'x', 'y', 'x']);
    expect(allTied.mAP).toBeCloseTo(50, 10);
    expect(allTied.mINP).toBeCloseTo(50, 10);
    // Scores .3 .9 .9 .1 with ids x y x x: g1 (y) precedes its tie g2 (x) → matches at 2, 3, 4:
    // AP = (1/2 + 2/3 + 3/4) / 3 = 23/36, INP = 3/4.
    const partial = rankingMetrics([[0.3, 0.9, 0.9, 0.1]], ['x'], ['x', 'y', 'x', 'x']);
    expect(partial.mAP).toBeCloseTo((100 * 23) / 36, 10);
    expect(partial.mINP).toBeCloseTo(75, 10);
    // Same scores with ids x x y x: now the tied match g1 comes first → matches at 1, 3, 4: AP = 29/36.
    const swapped = rankingMetrics([[0.3, 0.9, 0.9, 0.1]], ['x'], ['x', 'x', 'y', 'x']);
    expect(swapped.mAP).toBeCloseTo((100 * 29) / 36, 10);
  });

  it('treats numeric and string ids as equal after String(), but not "01" and 1', () => {
    // Query 1 → gallery "1" (g0) ranks 3rd of [g1 .9, g2 .5, g0 .1]; query "2" → gallery 2 (g1) ranks
    // 3rd of [g0 .9, g2 .5, g1 .1]. R1 = 0, R5 = 100, mAP = mINP = 1/3.
    const m = rankingMetrics(
      [
        [0.1, 0.9, 0.5],
        [0.9, 0.1, 0.5],
      ],
      [1, '2'],
      ['1', 2, 3],
    );
    expect(m.R1).toBe(0);
    expect(m.R5).toBe(100);
    expect(m.mAP).toBeCloseTo(100 / 3, 10);
    expect(m.mINP).toBeCloseTo(100 / 3, 10);
    expectBadInput(() => rankingMetrics([[0.1, 0.2]], ['01'], [1, 2]), /Query 0 \(id "01"\) has no match in the gallery/);
  });

  it('refuses a query without a match, naming its index and id', () => {
    expectBadInput(
      () => rankingMetrics([[1, 0], [0, 1], [0, 0], [1, 1]], ['a', 'b', 'a', 'p7'], ['a', 'b']),
      /^Query 3 \(id "p7"\) has no match in the gallery/,
    );
  });

  it('agrees with a full-sort reference on random matrices with many ties and repeated ids', () => {
    const random = rng(7);
    for (let trial = 0; trial < 20; trial++) {
      const gallerySize = 5 + Math.floor(random() * 40);
      const people = 1 + Math.floor(random() * 6);
      const galleryIds = Array.from({ length: gallerySize }, () => Math.floor(random() * people));
      const present = [...new Set(galleryIds)];
      const queryIds = Array.from({ length: 1 + Math.floor(random() * 12) }, () => present[Math.floor(random() * present.length)]);
      // Scores on a coarse grid so that ties are common.
      const sim = queryIds.map(() => galleryIds.map(() => Math.round(random() * 6) / 6));
      const m = rankingMetrics(sim, queryIds, galleryIds.map(String));
      const ref = referenceMetrics(sim, queryIds, galleryIds);
      for (const key of ['R1', 'R5', 'R10', 'mAP', 'mINP'] as const) expect(m[key]).toBeCloseTo(ref[key], 9);
    }
  });

  describe('input validation', () => {
    it('refuses a ragged matrix, naming the row', () => {
      expectBadInput(() => rankingMetrics([[1, 2, 3], [1, 2]], ['a', 'b'], ['a', 'b', 'c']), /^Row 1 of the similarity matrix has 2 values but there are 3 gallery ids/);
    });

    it('refuses a row count that differs from the query ids', () => {
      expectBadInput(() => rankingMetrics([[1, 2]], ['a', 'b'], ['a', 'b']), /has 1 rows but there are 2 query ids/);
    });

    it('refuses a Float32Array of the wrong length', () => {
      expectBadInput(() => rankingMetrics(new Float32Array(5), ['a', 'b'], ['a', 'b', 'c']), /has 5 values but 2 queries × 3 gallery items need 6/);
    });

    it('refuses NaN, infinities and non-numbers, naming the cell', () => {
      expectBadInput(() => rankingMetrics([[0.1, NaN]], ['a'], ['a', 'b']), /^Similarity \[0\]\[1\] is NaN/);
      expectBadInput(() => rankingMetrics(Float32Array.from([0, 1, 2, Infinity]), ['a', 'b'], ['a', 'b']), /^Similarity \[1\]\[1\] is Infinity/);
      expectBadInput(() => rankingMetrics([[0.1, '0.2']] as unknown as number[][], ['a'], ['a', 'b']), /^Similarity \[0\]\[1\] is string/);
      expectBadInput(() => rankingMetrics({} as unknown as number[][], ['a'], ['a']), /must be a matrix/);
    });

    it('refuses ids that are not strings or numbers, and empty id lists', () => {
      expectBadInput(() => rankingMetrics([[1]], [null] as unknown as string[], ['a']), /^Query 0 has id null/);
      expectBadInput(() => rankingMetrics([[1, 2]], ['a'], ['a', { id: 1 }] as unknown as string[]), /^Gallery item 1 has id object/);
      expectBadInput(() => rankingMetrics([], [], ['a']), /no queries/);
      expectBadInput(() => rankingMetrics([[]], ['a'], []), /gallery is empty/);
      expectBadInput(() => rankingMetrics([[1]], ['a'], ['a'], { maxRank: 0 }), /maxRank/);
    });
  });
});
