import { existsSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { ExactVectorIndex } from '../../src/retrieval/exact.vector-index.js';
import { HnswVectorIndex } from '../../src/retrieval/hnsw.vector-index.js';
import type { VectorIndex } from '../../src/retrieval/vector-index.js';
import { mulberry32 } from '../../src/util/prng.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const S = Math.SQRT1_2;
const vec = (...xs: number[]) => Float32Array.from(xs);

/** Seeded Gaussian draws (Box–Muller over mulberry32). */
function gaussian(seed: number): () => number {
  const uniform = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

function normalised(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  return v.map((x) => x / Math.sqrt(n));
}

/** `n` unit vectors around `clusters` random centres (noise 0.35 per unit of centre norm). */
function clustered(n: number, dim: number, clusters: number, seed: number): Float32Array[] {
  const g = gaussian(seed);
  const centres = Array.from({ length: clusters }, () => normalised(Float32Array.from({ length: dim }, g)));
  return Array.from({ length: n }, (_, i) => {
    const c = centres[i % clusters];
    return normalised(c.map((x) => x + (0.35 / Math.sqrt(dim)) * g()));
  });
}

/** Independent reference: every score with one accumulator, then a full sort (ties: smaller label). */
function bruteForce(items: Map<number, Float32Array>, query: Float32Array, k: number, filter?: (l: number) => boolean) {
  const all = [...items].filter(([l]) => !filter || filter(l)).map(([label, v]) => ({ label, score: v.reduce((s, x, i) => s + x * query[i], 0) }));
  return all.sort((a, b) => b.score - a.score || a.label - b.label).slice(0, k);
}

function expectBadInput(fn: () => unknown, pattern?: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(isCtgiError(err, 'BAD_INPUT'), String(err)).toBe(true);
    if (pattern) expect((err as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected a CtgiError BAD_INPUT');
}

/** The behaviour every VectorIndex adapter must share. */
export function vectorIndexContract(name: string, factory: (dim: number) => VectorIndex): void {
  describe(`VectorIndex contract: ${name}`, () => {
    it('adds vectors and reports has, size and labels', () => {
      const index = factory(3);
      expect(index.dim).toBe(3);
      expect(index.size).toBe(0);
      index.add(10, vec(1, 0, 0));
      index.add(4, vec(0, 1, 0));
      expect(index.size).toBe(2);
      expect(index.has(10)).toBe(true);
      expect(index.has(4)).toBe(true);
      expect(index.has(5)).toBe(false);
      expect(index.labels().sort((a, b) => a - b)).toEqual([4, 10]);
    });

    it('replaces the vector of an existing label', () => {
      const index = factory(2);
      index.add(1, vec(1, 0));
      index.add(2, vec(S, S));
      index.add(1, vec(0, 1));
      expect(index.size).toBe(2);
      const hits = index.search(vec(0, 1), 2);
      expect(hits.map((h) => h.label)).toEqual([1, 2]);
      expect(hits[0].score).toBeCloseTo(1, 6);
      expect(hits[1].score).toBeCloseTo(S, 6);
    });

    it('removes labels, ignores absent ones and accepts them again', () => {
      const index = factory(2);
      index.add(1, vec(1, 0));
      index.add(2, vec(0, 1));
      index.add(3, vec(S, S));
      index.remove(2);
      index.remove(2);
      index.remove(99);
      expect(index.size).toBe(2);
      expect(index.has(2)).toBe(false);
      expect(index.labels().sort((a, b) => a - b)).toEqual([1, 3]);
      expect(index.search(vec(0, 1), 3).map((h) => h.label)).toEqual([3, 1]);
      index.add(2, vec(-S, S));
      expect(index.has(2)).toBe(true);
      expect(index.size).toBe(3);
      const hits = index.search(vec(-1, 0), 3);
      expect(hits.map((h) => h.label)).toEqual([2, 3, 1]);
      expect(hits[0].score).toBeCloseTo(S, 6);
    });

    it('refuses vectors, queries and labels that do not fit, with BAD_INPUT', () => {
      const index = factory(3);
      expectBadInput(() => index.add(1, vec(1, 0)), /2 values.*3-d/);
      expectBadInput(() => index.add(1, vec(1, 0, Number.NaN)), /non-finite/);
      expectBadInput(() => index.add(-1, vec(1, 0, 0)));
      expectBadInput(() => index.add(1.5, vec(1, 0, 0)));
      index.add(1, vec(1, 0, 0));
      expectBadInput(() => index.search(vec(1, 0, 0, 0), 1), /4 values.*3-d/);
      expectBadInput(() => index.search(vec(1, 0, 0), -1));
      expect(index.size).toBe(1);
    });

    it('returns hits best first with their inner products', () => {
      const index = factory(4);
      index.add(1, vec(1, 0, 0, 0));
      index.add(2, vec(0, 1, 0, 0));
      index.add(3, vec(S, S, 0, 0));
      index.add(4, vec(-1, 0, 0, 0));
      index.add(5, vec(0.6, 0, 0.8, 0));
      const hits = index.search(vec(1, 0, 0, 0), 3);
      expect(hits.map((h) => h.label)).toEqual([1, 3, 5]);
      expect(hits.map((h) => h.score)).toEqual([expect.closeTo(1, 6), expect.closeTo(S, 6), expect.closeTo(0.6, 6)]);
      const all = index.search(vec(0, 0.6, 0.8, 0), 10);
      // Hand-computed: 5 → 0.64, 2 → 0.6, 3 → 0.6·√½ ≈ 0.424, 1 and 4 → 0 (ties: smaller label first).
      expect(all.map((h) => h.label)).toEqual([5, 2, 3, 1, 4]);
      expect(all.map((h) => h.score)).toEqual([0.64, 0.6, 0.6 * S, 0, 0].map((x) => expect.closeTo(x, 6)));
    });

    it('returns everything when k exceeds the size, and nothing for k = 0 or an empty index', () => {
      const index = factory(2);
      expect(index.search(vec(1, 0), 5)).toEqual([]);
      index.add(7, vec(0, 1));
      index.add(8, vec(1, 0));
      expect(index.search(vec(1, 0), 50).map((h) => h.label)).toEqual([8, 7]);
      expect(index.search(vec(1, 0), 0)).toEqual([]);
    });

    it('breaks ties by the smaller label', () => {
      const index = factory(3);
      const same = normalised(vec(1, 2, 3));
      for (const label of [9, 3, 7, 5]) index.add(label, same);
      index.add(1, normalised(vec(3, 2, 1)));
      expect(index.search(same, 2).map((h) => h.label)).toEqual([3, 5]);
      expect(index.search(same, 4).map((h) => h.label)).toEqual([3, 5, 7, 9]);
    });

    it('returns the best k among the labels the filter accepts, even far from the query', () => {
      const dim = 16;
      const near = clustered(300, dim, 1, 5); // all around one centre
      const index = factory(dim);
      const items = new Map<number, Float32Array>();
      near.forEach((v, i) => items.set(i, v));
      // Eight accepted labels point away from the cluster: the query's nearest accepted items are far away.
      const far = clustered(8, dim, 8, 6).map((v) => v.map((x, j) => x - near[0][j]));
      far.forEach((v, i) => items.set(1000 + i, normalised(v)));
      for (const [label, v] of items) index.add(label, v);
      const query = near[0];
      const accept = (label: number) => label >= 1000;
      const expected = bruteForce(items, query, 5, accept);
      const hits = index.search(query, 5, accept);
      expect(hits.map((h) => h.label)).toEqual(expected.map((h) => h.label));
      hits.forEach((h, i) => expect(h.score).toBeCloseTo(expected[i].score, 5));
      expect(index.search(query, 5, (label) => label % 2 === 1).every((h) => h.label % 2 === 1)).toBe(true);
      expect(index.search(query, 5, () => false)).toEqual([]);
    });

    it('lets an exception thrown by the filter propagate', () => {
      const index = factory(2);
      index.add(1, vec(1, 0));
      index.add(2, vec(0, 1));
      expect(() =>
        index.search(vec(1, 0), 2, () => {
          throw new Error('filter failed');
        }),
      ).toThrow('filter failed');
      expect(index.search(vec(1, 0), 1).map((h) => h.label)).toEqual([1]);
    });

    it('agrees with a brute-force reference on random data with removals', () => {
      const dim = 24;
      const data = clustered(400, dim, 10, 7);
      const index = factory(dim);
      const items = new Map<number, Float32Array>();
      data.forEach((v, i) => {
        index.add(i * 2, v);
        items.set(i * 2, v);
      });
      for (let i = 0; i < 400; i += 5) {
        index.remove(i * 2);
        items.delete(i * 2);
      }
      expect(index.size).toBe(items.size);
      for (const query of clustered(5, dim, 10, 8)) {
        const expected = bruteForce(items, query, 10);
        const hits = index.search(query, 10);
        expect(hits.map((h) => h.label)).toEqual(expected.map((h) => h.label));
        hits.forEach((h, i) => expect(h.score).toBeCloseTo(expected[i].score, 5));
      }
    });
  });
}

vectorIndexContract('ExactVectorIndex (WebAssembly SIMD)', (dim) => new ExactVectorIndex(dim, { initialCapacity: 2 }));
vectorIndexContract('ExactVectorIndex (plain JS)', (dim) => new ExactVectorIndex(dim, { initialCapacity: 2, simd: false }));
vectorIndexContract('HnswVectorIndex', (dim) => new HnswVectorIndex(dim, { initialCapacity: 4 }));

describe('HnswVectorIndex', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    tmp = await makeTempDir('hnsw');
  });
  afterAll(async () => {
    await tmp.cleanup();
  });

  it('reaches recall@10 ≥ 0.95 against the exact index on 5,000 clustered 64-d vectors', () => {
    const dim = 64;
    const data = clustered(5000, dim, 50, 11);
    const hnsw = new HnswVectorIndex(dim);
    const exact = new ExactVectorIndex(dim);
    data.forEach((v, i) => {
      hnsw.add(i, v);
      exact.add(i, v);
    });
    let found = 0;
    const queries = clustered(100, dim, 50, 12);
    for (const q of queries) {
      const truth = new Set(exact.search(q, 10).map((h) => h.label));
      found += hnsw.search(q, 10).filter((h) => truth.has(h.label)).length;
    }
    expect(found / (queries.length * 10)).toBeGreaterThanOrEqual(0.95);
  });

  it('grows past its initial capacity', () => {
    const dim = 8;
    const data = clustered(100, dim, 100, 13);
    const index = new HnswVectorIndex(dim, { initialCapacity: 3 });
    data.forEach((v, i) => index.add(i, v));
    expect(index.size).toBe(100);
    expect(index.capacity).toBeGreaterThanOrEqual(100);
    data.forEach((v, i) => expect(index.search(v, 1)[0].label).toBe(i));
  });

  it.each([
    [1, 2],
    [2, 1],
  ])('reuses deleted slots, and a label whose slot was taken can come back (re-adding %i, then %i)', (first, second) => {
    // hnswlib hands out deleted slots in hash order, so one of the two orders re-adds a label whose slot
    // label 10 took (it gets the other free slot) and the other revives a label's own slot.
    const dim = 8;
    const data = clustered(6, dim, 6, 14);
    const index = new HnswVectorIndex(dim, { initialCapacity: 4 });
    for (let i = 0; i < 4; i++) index.add(i, data[i]);
    index.remove(1);
    index.remove(2);
    index.add(10, data[4]);
    index.add(first, data[5]);
    expect(index.capacity).toBe(4);
    index.add(second, data[second]); // a fifth live label: the index must grow
    expect(index.capacity).toBe(8);
    expect(index.labels().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 10]);
    const expectTop = (v: Float32Array, label: number) => {
      const [hit] = index.search(v, 1);
      expect(hit.label).toBe(label);
      expect(hit.score).toBeCloseTo(1, 5);
    };
    expectTop(data[4], 10);
    expectTop(data[5], first);
    expectTop(data[second], second);
    expectTop(data[0], 0);
    expectTop(data[3], 3);
  });

  it('re-scores candidates exactly, from a given source or from hnswlib, like the exact index', () => {
    const dim = 32;
    const data = clustered(200, dim, 5, 15);
    const exact = new ExactVectorIndex(dim);
    const plain = new HnswVectorIndex(dim);
    const sourced = new HnswVectorIndex(dim, { rescore: (l) => exact.get(l) });
    data.forEach((v, i) => {
      exact.add(i, v);
      plain.add(i, v);
      sourced.add(i, v);
    });
    for (const q of clustered(5, dim, 5, 16)) {
      const truth = exact.search(q, 10);
      expect(plain.search(q, 10)).toEqual(truth);
      expect(sourced.search(q, 10)).toEqual(truth);
    }
  });

  it('saves atomically and loads back the same index, removed labels included', async () => {
    const dim = 16;
    const data = clustered(500, dim, 20, 17);
    const index = new HnswVectorIndex(dim, { initialCapacity: 64, ef: 32, M: 8, efConstruction: 40 });
    data.forEach((v, i) => index.add(i + 100, v));
    for (let i = 0; i < 500; i += 3) index.remove(i + 100);
    const path = join(tmp.dir, 'round-trip.hnsw');
    await index.save(path);
    expect((await readdir(tmp.dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);

    const loaded = await HnswVectorIndex.load(path, dim, { ef: 32, M: 99 });
    expect([loaded.M, loaded.efConstruction, loaded.ef]).toEqual([8, 40, 32]);
    expect(loaded.size).toBe(index.size);
    expect(loaded.labels().sort((a, b) => a - b)).toEqual(index.labels().sort((a, b) => a - b));
    expect(loaded.has(100)).toBe(false);
    expect(loaded.has(101)).toBe(true);
    for (const q of clustered(10, dim, 20, 18)) expect(loaded.search(q, 10)).toEqual(index.search(q, 10));
    // Removed labels stay out of results and can be added again after loading.
    expect(loaded.search(data[0], 5).some((h) => h.label === 100)).toBe(false);
    loaded.add(100, data[0]);
    expect(loaded.search(data[0], 1)[0].label).toBe(100);
    loaded.remove(101);
    await loaded.save(path);
    const again = await HnswVectorIndex.load(path, dim);
    expect(again.has(100)).toBe(true);
    expect(again.has(101)).toBe(false);
    expect(again.size).toBe(index.size);
  });

  it('round-trips an empty index and one whose every label was removed', async () => {
    const path = join(tmp.dir, 'empty.hnsw');
    await new HnswVectorIndex(4).save(path);
    const empty = await HnswVectorIndex.load(path, 4);
    expect(empty.size).toBe(0);
    expect(empty.search(vec(1, 0, 0, 0), 3)).toEqual([]);
    empty.add(5, vec(1, 0, 0, 0)); // hnswlib reloads an empty file with room for no element
    empty.remove(5);
    await empty.save(path);
    const cleared = await HnswVectorIndex.load(path, 4);
    expect(cleared.labels()).toEqual([]);
    expect(cleared.search(vec(1, 0, 0, 0), 3)).toEqual([]);
    cleared.add(6, vec(0, 1, 0, 0));
    cleared.add(5, vec(1, 0, 0, 0));
    expect(cleared.search(vec(1, 0, 0, 0), 3)).toEqual([
      { label: 5, score: 1 },
      { label: 6, score: 0 },
    ]);
  });

  it('refuses corrupt, truncated, foreign and missing files with a CtgiError naming the file', async () => {
    const dim = 8;
    const index = new HnswVectorIndex(dim, { initialCapacity: 16 });
    clustered(300, dim, 10, 19).forEach((v, i) => index.add(i, v));
    index.remove(5);
    const good = join(tmp.dir, 'good.hnsw');
    await index.save(good);
    const bytes = await readFile(good);
    expect((await stat(good)).size).toBe(bytes.length);
    const M0 = 32; // 2·M for the default M = 16
    const element = 4 + 4 * M0 + 4 * dim + 8;

    const variants: [string, Buffer][] = [
      ['empty', Buffer.alloc(0)],
      ['header only, cut', bytes.subarray(0, 50)],
      ['cut in the base layer', bytes.subarray(0, 96 + element * 100 + 7)],
      ['cut in the upper layers', bytes.subarray(0, bytes.length - 40)],
      ['one byte short', bytes.subarray(0, bytes.length - 1)],
      ['one byte too many', Buffer.concat([bytes, Buffer.from([0])])],
      ['not an index', Buffer.from('{"hello": "world"}'.repeat(20))],
    ];
    const patched = (at: number, value: number) => {
      const b = Buffer.from(bytes);
      b.writeUInt32LE(value, at);
      return b;
    };
    variants.push(['neighbour id out of range', patched(96 + element * 7 + 4, 1_000_000)]);
    variants.push(['link count too large', patched(96 + element * 7, 0xffff)]);
    variants.push(['element count too large', patched(16, 400)]);
    variants.push(['entry point out of range', patched(52, 5000)]);
    for (const [what, content] of variants) {
      const path = join(tmp.dir, `bad-${what.replace(/\W+/g, '-')}.hnsw`);
      await writeFile(path, content);
      const err = await HnswVectorIndex.load(path, dim).then(
        () => new Error(`loaded a file that is ${what}`),
        (e: unknown) => e,
      );
      expect(isCtgiError(err, 'BAD_INPUT'), `${what}: ${String(err)}`).toBe(true);
      expect((err as Error).message).toContain(path);
    }

    const mismatch = await HnswVectorIndex.load(good, 12).catch((e: unknown) => e);
    expect(isCtgiError(mismatch, 'INDEX_MISMATCH')).toBe(true);
    expect((mismatch as Error).message).toMatch(/8-d vectors but 12-d/);
    const missing = await HnswVectorIndex.load(join(tmp.dir, 'nope.hnsw'), dim).catch((e: unknown) => e);
    expect(isCtgiError(missing, 'NOT_FOUND')).toBe(true);
    // The good file still loads after all that.
    expect((await HnswVectorIndex.load(good, dim)).size).toBe(299);
  });

  it('never lets randomly damaged files crash the process: they load or are refused with a CtgiError', async () => {
    const dim = 8;
    const g = gaussian(21);
    const index = new HnswVectorIndex(dim, { initialCapacity: 16, M: 4 });
    for (let i = 0; i < 150; i++) index.add(i, Float32Array.from({ length: dim }, g));
    for (let i = 0; i < 150; i += 9) index.remove(i);
    const good = join(tmp.dir, 'fuzz-source.hnsw');
    await index.save(good);
    const bytes = await readFile(good);
    const damaged = join(tmp.dir, 'fuzz.hnsw');
    const outcomes = { loaded: 0, refused: 0 };
    for (let round = 0; round < 300; round++) {
      const b = Buffer.from(bytes);
      for (let f = 0; f <= round % 3; f++) b[Math.floor(Math.abs(g() * 1e6)) % b.length] = Math.floor(Math.abs(g() * 1e6)) % 256;
      await writeFile(damaged, b);
      try {
        const loaded = await HnswVectorIndex.load(damaged, dim);
        loaded.search(Float32Array.from({ length: dim }, g), 10);
        loaded.add(1000 + round, Float32Array.from({ length: dim }, g));
        loaded.search(Float32Array.from({ length: dim }, g), 10, (l) => l % 2 === 0);
        outcomes.loaded++;
      } catch (err) {
        expect(isCtgiError(err, 'BAD_INPUT'), String(err)).toBe(true);
        outcomes.refused++;
      }
    }
    expect(outcomes.refused).toBeGreaterThan(0);
  });

  it('reports a save into a missing directory and leaves no temporary file', async () => {
    const index = new HnswVectorIndex(4);
    index.add(1, vec(1, 0, 0, 0));
    const dir = join(tmp.dir, 'missing-dir');
    const err = await index.save(join(dir, 'x.hnsw')).catch((e: unknown) => e);
    expect(isCtgiError(err, 'BAD_INPUT'), String(err)).toBe(true);
    expect((err as Error).message).toContain(join(dir, 'x.hnsw'));
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses bad options', () => {
    expectBadInput(() => new HnswVectorIndex(4, { M: 1 }), /M must be an integer/);
    expectBadInput(() => new HnswVectorIndex(4, { ef: 0 }));
    expectBadInput(() => new HnswVectorIndex(0));
    const index = new HnswVectorIndex(4);
    expectBadInput(() => index.setEf(-3));
    expectBadInput(() => index.add(2 ** 32, vec(1, 0, 0, 0)), /4294967295/);
  });
});
