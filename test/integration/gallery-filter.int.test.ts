import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gallery } from '../../src/gallery/gallery.js';
import type { NewImage } from '../../src/gallery/gallery-store.js';
import { openOrCreateGallery } from '../../src/gallery/open-gallery.js';
import { mulberry32 } from '../../src/util/prng.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// The folder gallery's filtered search: a selective filter (≤ 25% of the images) is searched exactly among
// its own images; the hits must be exactly the best matches the filter admits, on both paths, and a filter
// searched before must see images added after it.

const DIM = 16;
const rand = mulberry32(3);
const unit = () => {
  const v = Float32Array.from({ length: DIM }, () => rand() * 2 - 1);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const image = (i: number, camera: string, embedding = unit()): NewImage => ({
  path: `${camera}/${i}.jpg`,
  sha256: i.toString(16).padStart(64, '0'),
  personId: null,
  camera,
  capturedAt: new Date(Date.UTC(2026, 11, 4, 8) + i * 60_000).toISOString(),
  width: 10,
  height: 20,
  bytes: 1,
  mtimeMs: 0,
  embedding,
});

let tmp: { dir: string; cleanup: () => Promise<void> };
let gallery: Gallery;
const vectors = new Map<number, Float32Array>();

beforeAll(async () => {
  tmp = await makeTempDir('gallery-filter');
  gallery = await openOrCreateGallery(join(tmp.dir, 'index'), { model: { id: 'test', dir: tmp.dir, layout: 'demo', dim: DIM, contextLength: 77, preprocess: null }, hnsw: { M: 8, efConstruction: 50, ef: 50 }, imagesRoot: null });
  const images = Array.from({ length: 80 }, (_, i) => image(i, `c${i % 8}`));
  const ids = await gallery.add(images);
  ids.forEach((id, i) => vectors.set(id, images[i]!.embedding));
});
afterAll(async () => {
  await gallery?.close({ save: false });
  await tmp?.cleanup();
});

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe('filtered search of the folder gallery', () => {
  it('returns exactly the best images the filter admits, on the exact and the HNSW path', async () => {
    const q = unit();
    const records = await gallery.getMany([...vectors.keys()]);
    const admitted = [...vectors.keys()].filter((id) => records.get(id)!.camera === 'c3');
    const expected = admitted.sort((a, b) => dot(vectors.get(b)!, q) - dot(vectors.get(a)!, q)).slice(0, 5);
    for (const exact of [true, false]) {
      const hits = await gallery.search(q, { top: 5, exact, filter: { camera: ['c3'] } });
      expect(hits.map((h) => h.id)).toEqual(expected);
      hits.forEach((h) => expect(h.cosine).toBeCloseTo(dot(vectors.get(h.id)!, q), 5));
    }
  });

  it('sees images added after the same filter was searched', async () => {
    const q = unit();
    await gallery.search(q, { top: 3, filter: { camera: ['c5'] } });
    const [id] = await gallery.add([image(500, 'c5', q)]);
    const hits = await gallery.search(q, { top: 3, filter: { camera: ['c5'] } });
    expect(hits[0]!.id).toBe(id);
    await gallery.remove(['c5/500.jpg']);
    expect((await gallery.search(q, { top: 3, filter: { camera: ['c5'] } })).map((h) => h.id)).not.toContain(id);
  });
});
