import { describe, expect, it } from 'vitest';
import { dotAt, ExactVectorIndex, selectTopK, topKExact } from '../../src/retrieval/exact.vector-index.js';
import { WasmMatrix, wasmSimdAvailable } from '../../src/retrieval/wasm-matrix.js';
import { mulberry32 } from '../../src/util/prng.js';

function randomMatrix(rows: number, dim: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: rows * dim }, () => r() * 2 - 1);
}

/** Independent reference: one accumulator, every score computed, a full sort. */
function reference(matrix: Float32Array, rows: number, dim: number, query: Float32Array, k: number, accept?: (row: number) => boolean, key?: ArrayLike<number>) {
  const all: { row: number; score: number }[] = [];
  for (let row = 0; row < rows; row++) {
    if (accept && !accept(row)) continue;
    let s = 0;
    for (let j = 0; j < dim; j++) s += matrix[row * dim + j] * query[j];
    all.push({ row, score: s });
  }
  const keyOf = (row: number) => (key ? key[row] : row);
  return all.sort((a, b) => b.score - a.score || keyOf(a.row) - keyOf(b.row)).slice(0, Math.max(0, k));
}

function expectSameHits(actual: { row: number; score: number }[], expected: { row: number; score: number }[]): void {
  expect(actual.map((h) => h.row)).toEqual(expected.map((h) => h.row));
  actual.forEach((h, i) => expect(h.score).toBeCloseTo(expected[i].score, 10));
}

describe('topKExact', () => {
  it.each([
    [500, 16, 10],
    [300, 17, 7], // a dimension that is not a multiple of the unrolling
    [200, 3, 25],
    [64, 1, 5],
    [1000, 64, 1],
    [50, 8, 50],
  ])('matches a full sort on %i random %i-d rows for k = %i', (rows, dim, k) => {
    const matrix = randomMatrix(rows, dim, rows * 31 + dim);
    for (let t = 0; t < 5; t++) {
      const query = randomMatrix(1, dim, 1000 + t);
      expectSameHits(topKExact(matrix, rows, dim, query, k), reference(matrix, rows, dim, query, k));
    }
  });

  it('returns nothing for k = 0 or an empty matrix', () => {
    const matrix = randomMatrix(10, 4, 1);
    expect(topKExact(matrix, 10, 4, randomMatrix(1, 4, 2), 0)).toEqual([]);
    expect(topKExact(new Float32Array(0), 0, 4, randomMatrix(1, 4, 2), 5)).toEqual([]);
  });

  it('returns every row, sorted, when k exceeds the row count', () => {
    const matrix = randomMatrix(12, 5, 3);
    const query = randomMatrix(1, 5, 4);
    const hits = topKExact(matrix, 12, 5, query, 100);
    expect(hits).toHaveLength(12);
    expectSameHits(hits, reference(matrix, 12, 5, query, 12));
  });

  it('only scores the rows that are part of the matrix (rows < buffer length)', () => {
    const matrix = new Float32Array([1, 0, 0, 1, 5, 5]);
    expect(topKExact(matrix, 2, 2, new Float32Array([1, 1]), 3).map((h) => h.row)).toEqual([0, 1]);
  });

  it('breaks ties by the smaller row, or by the smaller tie key when given', () => {
    // Rows 1, 3, 4 and 6 are the same vector; rows 0, 2, 5 score lower.
    const v = [0.6, 0.8];
    const w = [0.8, -0.6];
    const rows = [w, v, w, v, v, w, v];
    const matrix = Float32Array.from(rows.flat());
    const query = Float32Array.from(v);
    expect(topKExact(matrix, 7, 2, query, 3).map((h) => h.row)).toEqual([1, 3, 4]);
    const key = [70, 60, 50, 40, 30, 20, 10];
    expect(topKExact(matrix, 7, 2, query, 3, undefined, key).map((h) => h.row)).toEqual([6, 4, 3]);
    expect(topKExact(matrix, 7, 2, query, 5, undefined, key).map((h) => h.row)).toEqual([6, 4, 3, 1, 5]);
  });

  it('keeps the best k among the rows the filter accepts', () => {
    const rows = 400;
    const dim = 8;
    const matrix = randomMatrix(rows, dim, 9);
    const query = randomMatrix(1, dim, 10);
    // Accept only the rows that score worst: the filter's best k are far from the query.
    const worst = new Set(reference(matrix, rows, dim, query, rows).slice(-20).map((h) => h.row));
    const accept = (row: number) => worst.has(row);
    const hits = topKExact(matrix, rows, dim, query, 6, accept);
    expectSameHits(hits, reference(matrix, rows, dim, query, 6, accept));
    expect(hits.every((h) => worst.has(h.row))).toBe(true);
    expect(topKExact(matrix, rows, dim, query, 6, () => false)).toEqual([]);
  });

  it('selectTopK selects from precomputed scores like topKExact', () => {
    const rows = 300;
    const dim = 12;
    const matrix = randomMatrix(rows, dim, 11);
    const query = randomMatrix(1, dim, 12);
    const q = Float64Array.from(query);
    const scores = Float64Array.from({ length: rows }, (_, r) => dotAt(matrix, r * dim, q, dim));
    const accept = (row: number) => row % 3 !== 0;
    expect(selectTopK(scores, rows, 9, accept)).toEqual(topKExact(matrix, rows, dim, query, 9, accept));
    expect(selectTopK(scores, rows, 0)).toEqual([]);
  });
});

describe.runIf(wasmSimdAvailable())('WebAssembly SIMD kernel', () => {
  it('gives scores bit-identical to dotAt', () => {
    const dim = 36;
    const rows = 257;
    const m = WasmMatrix.create(dim, 8)!;
    expect(m.grow(rows)).toBe(true);
    const data = randomMatrix(rows, dim, 21);
    m.matrix.set(data);
    const query = randomMatrix(1, dim, 22);
    const q = Float64Array.from(query);
    const scores = m.scoreRows(query, rows);
    for (let r = 0; r < rows; r++) expect(scores[r]).toBe(dotAt(data, r * dim, q, dim));
    expect(m.scoreRows(query, 0)).toHaveLength(0);
  });

  it('refuses dimensions that are not a multiple of 4', () => {
    expect(WasmMatrix.create(6, 4)).toBeUndefined();
  });

  it('makes the exact index return the same hits as the plain-JS path through growth and removals', () => {
    const dim = 16;
    const fast = new ExactVectorIndex(dim, { initialCapacity: 2 });
    const plain = new ExactVectorIndex(dim, { initialCapacity: 2, simd: false });
    expect(fast.simd).toBe(true);
    expect(plain.simd).toBe(false);
    const data = randomMatrix(200, dim, 23);
    for (let i = 0; i < 200; i++) {
      const v = data.subarray(i * dim, (i + 1) * dim);
      fast.add(i * 3, v);
      plain.add(i * 3, v);
    }
    for (let i = 0; i < 200; i += 7) {
      fast.remove(i * 3);
      plain.remove(i * 3);
    }
    for (let t = 0; t < 5; t++) {
      const query = randomMatrix(1, dim, 30 + t);
      expect(fast.search(query, 15)).toEqual(plain.search(query, 15));
      expect(fast.search(query, 5, (l) => l % 2 === 0)).toEqual(plain.search(query, 5, (l) => l % 2 === 0));
    }
  });
});

describe('ExactVectorIndex.searchAmong', () => {
  it('equals a filtered full pass: same labels, same scores, ties to the smaller label, unknown labels skipped', () => {
    const dim = 24;
    const rows = 500;
    const matrix = randomMatrix(rows, dim, 7);
    for (const simd of [true, false]) {
      const index = new ExactVectorIndex(dim, { initialCapacity: 2, simd });
      // Labels far from row numbers, with a duplicate vector so a tie must be broken by label.
      for (let row = 0; row < rows; row++) index.add(1000 + row * 3, matrix.subarray(row * dim, (row + 1) * dim));
      index.add(5, matrix.subarray(10 * dim, 11 * dim));
      const allowed = new Set<number>([5, 1030, 99_999]);
      for (let row = 0; row < rows; row += 7) allowed.add(1000 + row * 3);
      const query = randomMatrix(1, dim, 8);
      const among = index.searchAmong(query, 20, allowed);
      const filtered = index.search(query, 20, (label) => allowed.has(label));
      expect(among.map((h) => h.label)).toEqual(filtered.map((h) => h.label));
      among.forEach((h, i) => expect(h.score).toBeCloseTo(filtered[i]!.score, 6));
      expect(among.map((h) => h.label)).not.toContain(99_999);
      if (among.some((h) => h.label === 1030)) expect(among.findIndex((h) => h.label === 5)).toBeLessThan(among.findIndex((h) => h.label === 1030));
    }
  });
});
