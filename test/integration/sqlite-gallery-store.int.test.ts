import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import type { NewImage } from '../../src/gallery/gallery-store.js';
import { SqliteGalleryStore } from '../../src/gallery/sqlite.gallery-store.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// What only the folder's SQLite store has beyond the Gallery port (whose contract suite covers both adapters,
// see gallery.contract.int.test.ts): single-id reads, explicit skip clearing, filter id sets, a dimension check.

const DIM = 4;

function image(n: number, over: Partial<NewImage> = {}): NewImage {
  return {
    path: `cam${n % 2}/img-${n}.jpg`,
    sha256: `sha-${n}`.padEnd(64, '0'),
    personId: null,
    camera: `c${n % 2}`,
    capturedAt: `2024-06-0${1 + (n % 5)}T10:00:00.000Z`,
    width: null,
    height: null,
    bytes: 1000 + n,
    mtimeMs: 1_717_000_000_000 + n,
    embedding: Float32Array.from({ length: DIM }, (_, i) => n + i),
    ...over,
  };
}

let tmp: { dir: string; cleanup: () => Promise<void> };
let serial = 0;
const open: SqliteGalleryStore[] = [];
beforeAll(async () => {
  tmp = await makeTempDir('sqlite-gallery-store');
});
afterAll(async () => {
  for (const s of open) {
    try {
      s.close();
    } catch {
      // Closed by the test.
    }
  }
  await tmp.cleanup();
});

function fresh(): SqliteGalleryStore {
  const store = SqliteGalleryStore.open(join(tmp.dir, `store-${++serial}.db`), { create: true });
  open.push(store);
  return store;
}

describe('SqliteGalleryStore', () => {
  it('reads one image and its captions by id', () => {
    const store = fresh();
    expect(store.get(1)).toBeUndefined();
    expect(store.captionsOf(1)).toEqual([]);
    const [a] = store.insertImages([image(1, { captions: ['First.', 'Second.'] })]);
    expect(store.get(a)?.path).toBe(image(1).path);
    store.putCaption(a, 'mtg', 'Generated.');
    expect(store.captionsOf(a)).toEqual(['First.', 'Second.', 'Generated.']);
  });

  it('forgets skip records when cleared', () => {
    const store = fresh();
    store.recordSkipped([
      { path: 'a.jpg', reason: 'corrupt' },
      { path: 'b.jpg', reason: 'corrupt' },
    ]);
    store.clearSkipped(['a.jpg', 'never-skipped.jpg']);
    store.clearSkipped([]);
    expect(store.listSkipped().map((s) => s.path)).toEqual(['b.jpg']);
  });

  it('gives the ids a filter accepts, comparing capture times as instants', () => {
    const store = fresh();
    const ids = store.insertImages([image(0), image(1), image(2, { capturedAt: '2024-06-03T12:00:00+02:00' }), image(3, { capturedAt: null })]);
    expect(store.filterIds({})).toEqual(new Set(ids));
    expect(store.filterIds({ camera: ['c1'] })).toEqual(new Set([ids[1], ids[3]]));
    // 12:00+02:00 is 10:00Z: inside a window that ends at 10:00Z, which comparing the strings would miss.
    expect(store.filterIds({ from: '2024-06-03T09:00:00.000Z', to: '2024-06-03T10:00:00.000Z' })).toEqual(new Set([ids[2]]));
    expect(store.filterIds({ to: '2024-06-01T10:00:00.000Z' })).toEqual(new Set([ids[0]]));
  });

  it('refuses to read embeddings as another dimension', () => {
    const store = fresh();
    store.insertImages([image(1)]);
    expect(store.loadEmbeddings(DIM).ids).toHaveLength(1);
    let err: unknown;
    try {
      store.loadEmbeddings(DIM + 1);
    } catch (e) {
      err = e;
    }
    expect(isCtgiError(err, 'INDEX_MISMATCH'), String(err)).toBe(true);
  });
});
