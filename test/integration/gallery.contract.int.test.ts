import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import type { GalleryStore, NewImage } from '../../src/gallery/gallery-store.js';
import { SqliteGalleryStore } from '../../src/gallery/sqlite.gallery-store.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// One suite every GalleryStore adapter passes (as langgraphjs's checkpoint `specTest`). Calls are awaited, so
// an adapter whose methods return promises (a PostgreSQL store) can join with one line at the bottom.

const DIM = 4;

/** A fresh, empty store; `reopen` (for durable stores) closes it and opens the same data again. */
export interface GalleryStoreCase {
  store: GalleryStore;
  reopen?: () => Promise<GalleryStore>;
}

let serial = 0;
/** An image to insert; fields follow `n` so every image is distinct. */
function image(n: number, over: Partial<NewImage> = {}): NewImage {
  return {
    path: `cam${n % 2}/img-${n}.jpg`,
    sha256: `sha-${n}`.padEnd(64, '0'),
    personId: n % 3 === 0 ? null : `p${n}`,
    camera: n % 4 === 3 ? null : `c${n % 2}`,
    capturedAt: n % 5 === 4 ? null : `2024-06-0${1 + (n % 5)}T10:00:00.000Z`,
    width: n % 3 === 0 ? null : 64 + n,
    height: n % 3 === 0 ? null : 128 + n,
    bytes: 1000 + n,
    mtimeMs: 1_717_000_000_000 + n * 1.5,
    embedding: Float32Array.from({ length: DIM }, (_, i) => Math.fround(Math.sin(n * 7 + i) / 2)),
    footage: n % 2 === 0 ? { source: `cam${n}.mp4`, frameTimeMs: 500 * n + 0.25, trackId: `cam${n}.mp4#${n}`, box: [n, 2 * n, 10.5 + n, 40 + n] } : null,
    ...over,
  };
}

async function failure(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

/** The behaviour every GalleryStore adapter must share. */
export function galleryStoreContract(name: string, factory: () => Promise<GalleryStoreCase>): void {
  describe(`GalleryStore contract: ${name}`, () => {
    const open: GalleryStore[] = [];
    const fresh = async (): Promise<GalleryStoreCase> => {
      const c = await factory();
      open.push(c.store);
      return c;
    };
    afterAll(async () => {
      for (const store of open) {
        try {
          await store.close();
        } catch {
          // Already closed by the test.
        }
      }
    });

    it('starts empty', async () => {
      const { store } = await fresh();
      expect(await store.count()).toBe(0);
      expect(await store.get(1)).toBeUndefined();
      expect(await store.getMany([1, 2])).toEqual(new Map());
      expect(await store.findByPath('a.jpg')).toBeUndefined();
      expect(await store.findBySha('0'.repeat(64))).toBeUndefined();
      expect(await store.filterIds({})).toEqual(new Set());
      expect(await store.loadEmbeddings(DIM)).toEqual({ ids: [], matrix: new Float32Array(0) });
      expect(await store.listSkipped()).toEqual([]);
      expect(await store.cameras()).toEqual([]);
      expect(await store.captionsFor([1])).toEqual(new Map());
      expect(await store.attributeAnswers([1])).toEqual(new Map());
      expect(await store.insertImages([])).toEqual([]);
    });

    it('inserts images with new distinct ids, in order, and returns every field as given', async () => {
      const { store } = await fresh();
      const before = new Date().toISOString();
      const images = [0, 1, 2, 3, 4, 5].map((n) => image(n));
      const ids = await store.insertImages(images);
      const after = new Date().toISOString();
      expect(ids).toHaveLength(6);
      expect(new Set(ids).size).toBe(6);
      // Ids are the vector index's labels: non-negative 32-bit integers.
      for (const id of ids) expect(Number.isInteger(id) && id >= 0 && id < 2 ** 32).toBe(true);
      expect(await store.count()).toBe(6);
      const more = await store.insertImages([image(6)]);
      expect(ids).not.toContain(more[0]);
      for (const [i, id] of ids.entries()) {
        const { embedding: _e, captions: _c, ...fields } = images[i];
        const record = await store.get(id);
        expect(record).toEqual({ ...fields, id, addedAt: expect.any(String) });
        expect(record!.addedAt >= before && record!.addedAt <= after).toBe(true);
        expect(await store.findByPath(images[i].path)).toEqual(record);
        expect(await store.findBySha(images[i].sha256)).toEqual(record);
      }
      const many = await store.getMany([ids[2], 999_999, ids[0], ids[2]]);
      expect([...many.keys()].sort()).toEqual([ids[0], ids[2]].sort());
      expect(many.get(ids[2])?.path).toBe(images[2].path);
    });

    it('inserts a batch atomically: a duplicate path fails it and stores none of it', async () => {
      const { store } = await fresh();
      await store.insertImages([image(1)]);
      await failure(() => store.insertImages([image(2), image(3, { path: image(1).path })]));
      expect(await store.count()).toBe(1);
      expect(await store.findByPath(image(2).path)).toBeUndefined();
    });

    it('finds one of several images sharing a hash', async () => {
      const { store } = await fresh();
      const ids = await store.insertImages([image(1), image(2, { sha256: image(1).sha256 })]);
      expect(ids).toContain((await store.findBySha(image(1).sha256))?.id);
    });

    it('returns every embedding exactly, by id, as one row-major matrix, and refuses another dimension', async () => {
      const { store } = await fresh();
      // An embedding that is a view into a larger buffer must be stored as its own values only.
      const big = Float32Array.from({ length: 10 }, (_, i) => i + 0.25);
      const images = [image(1), image(2, { embedding: big.subarray(3, 3 + DIM) }), image(3)];
      const ids = await store.insertImages(images);
      const { ids: got, matrix } = await store.loadEmbeddings(DIM);
      expect(got).toEqual([...ids].sort((a, b) => a - b));
      expect(matrix).toHaveLength(3 * DIM);
      for (const [row, id] of got.entries()) {
        expect(Array.from(matrix.subarray(row * DIM, (row + 1) * DIM))).toEqual(Array.from(images[ids.indexOf(id)].embedding));
      }
      const err = await failure(() => store.loadEmbeddings(DIM + 1));
      expect(isCtgiError(err, 'INDEX_MISMATCH'), String(err)).toBe(true);
    });

    it('removes by path with captions and answers, ignores unknown paths, and takes the path again', async () => {
      const { store } = await fresh();
      const [a, b, c] = await store.insertImages([image(1, { captions: ['A man.'] }), image(2), image(3)]);
      await store.putAttributeAnswers([{ imageId: a, attribute: 'hat', question: 'Hat?', answer: 'No.', source: 'mtg' }]);
      await store.putCaption(a, 'mtg', 'A man in red.');
      expect(await store.removeByPaths([image(1).path, 'nowhere.jpg', image(3).path, image(1).path])).toEqual([a, c]);
      expect(await store.count()).toBe(1);
      expect(await store.get(a)).toBeUndefined();
      expect(await store.findByPath(image(1).path)).toBeUndefined();
      expect(await store.captionsOf(a)).toEqual([]);
      expect(await store.captionsFor([a])).toEqual(new Map());
      expect(await store.attributeAnswers([a])).toEqual(new Map());
      expect((await store.loadEmbeddings(DIM)).ids).toEqual([b]);
      expect(await store.removeByPaths([])).toEqual([]);
      const [again] = await store.insertImages([image(1)]);
      expect((await store.get(again))?.path).toBe(image(1).path);
      expect(await store.captionsOf(again)).toEqual([]);
    });

    it('filters by camera and by an inclusive capture-time window, leaving out images without a time', async () => {
      const { store } = await fresh();
      const ids = await store.insertImages([0, 1, 2, 3, 4, 5, 6, 7].map((n) => image(n)));
      const idOf = (n: number) => ids[n];
      const set = (...ns: number[]) => new Set(ns.map(idOf));
      // Cameras: even n → c0, odd → c1, n % 4 === 3 → none. Times: day 1 + n % 5, none when n % 5 === 4.
      expect(await store.filterIds({})).toEqual(set(0, 1, 2, 3, 4, 5, 6, 7));
      expect(await store.filterIds({ camera: [] })).toEqual(set(0, 1, 2, 3, 4, 5, 6, 7));
      expect(await store.filterIds({ camera: ['c1'] })).toEqual(set(1, 5));
      expect(await store.filterIds({ camera: ['c0', 'c1', 'c9'] })).toEqual(set(0, 1, 2, 4, 5, 6));
      expect(await store.filterIds({ from: '2024-06-03T10:00:00.000Z' })).toEqual(set(2, 3, 7));
      expect(await store.filterIds({ to: '2024-06-02T10:00:00.000Z' })).toEqual(set(0, 1, 5, 6));
      expect(await store.filterIds({ from: '2024-06-02T10:00:00.000Z', to: '2024-06-03T10:00:00.000Z', camera: ['c0'] })).toEqual(set(2, 6));
    });

    it('lists cameras with their counts, sorted, without images that have none', async () => {
      const { store } = await fresh();
      await store.insertImages([0, 1, 2, 3, 4, 5, 6].map((n) => image(n)));
      expect(await store.cameras()).toEqual([
        { camera: 'c0', count: 4 },
        { camera: 'c1', count: 2 },
      ]);
    });

    it('records skipped files (a later reason wins), lists them by path, and forgets them when cleared or indexed', async () => {
      const { store } = await fresh();
      await store.recordSkipped([
        { path: 'z.jpg', reason: 'corrupt' },
        { path: 'a.jpg', reason: 'too large' },
        { path: image(1).path, reason: 'unreadable' },
      ]);
      await store.recordSkipped([{ path: 'z.jpg', reason: 'not an image' }]);
      const listed = await store.listSkipped();
      expect(listed.map((s) => [s.path, s.reason])).toEqual(
        [
          ['a.jpg', 'too large'],
          [image(1).path, 'unreadable'],
          ['z.jpg', 'not an image'],
        ].sort((x, y) => (x[0] < y[0] ? -1 : 1)),
      );
      for (const s of listed) expect(Number.isNaN(Date.parse(s.at))).toBe(false);
      await store.clearSkipped(['a.jpg', 'never-skipped.jpg']);
      await store.insertImages([image(1)]);
      expect((await store.listSkipped()).map((s) => s.path)).toEqual(['z.jpg']);
      await store.recordSkipped([]);
      await store.clearSkipped([]);
      expect(await store.listSkipped()).toHaveLength(1);
    });

    it('keeps dataset captions and one caption per other source, replacing that source’s earlier ones', async () => {
      const { store } = await fresh();
      const [a, b] = await store.insertImages([image(1, { captions: ['First.', 'Second.'] }), image(2)]);
      expect(await store.captionsOf(a)).toEqual(['First.', 'Second.']);
      expect(await store.captionsOf(b)).toEqual([]);
      await store.putCaption(b, 'mtg', 'Old.');
      await store.putCaption(b, 'mtg', 'New.');
      await store.putCaption(b, 'human', 'Checked.');
      await store.putCaption(a, 'mtg', 'Generated.');
      expect(await store.captionsOf(b)).toEqual(['New.', 'Checked.']);
      const all = await store.captionsFor([b, a, 424242, b]);
      expect([...all.keys()].sort()).toEqual([a, b].sort());
      expect(all.get(a)).toEqual([
        { source: 'dataset', text: 'First.' },
        { source: 'dataset', text: 'Second.' },
        { source: 'mtg', text: 'Generated.' },
      ]);
      expect(all.get(b)).toEqual([
        { source: 'mtg', text: 'New.' },
        { source: 'human', text: 'Checked.' },
      ]);
      const err = await failure(() => store.putCaption(424242, 'mtg', 'Nobody.'));
      expect(isCtgiError(err, 'NOT_FOUND'), String(err)).toBe(true);
      expect((err as Error).message).toContain('424242');
    });

    it('upserts attribute answers per image, attribute and source, in one transaction', async () => {
      const { store } = await fresh();
      const [a, b] = await store.insertImages([image(1), image(2)]);
      await store.putAttributeAnswers([
        { imageId: a, attribute: 'upperColour', question: 'Top colour?', answer: 'Red.', source: 'mtg', confidence: 0.9 },
        { imageId: a, attribute: 'hat', question: 'Hat?', answer: 'No.', source: 'mtg-caption' },
        { imageId: a, attribute: 'hat', question: 'Hat?', answer: 'Yes.', source: 'mtg' },
        { imageId: a, attribute: 'hat', question: 'Any hat?', answer: 'A cap.', source: 'mtg' },
      ]);
      await store.putAttributeAnswers([{ imageId: a, attribute: 'upperColour', question: 'Top colour?', answer: 'Dark red.', source: 'mtg' }]);
      await store.putAttributeAnswers([]);
      const answers = await store.attributeAnswers([a, b, a]);
      expect([...answers.keys()]).toEqual([a]);
      expect(answers.get(a)).toEqual([
        { attribute: 'hat', question: 'Any hat?', answer: 'A cap.', source: 'mtg', confidence: null },
        { attribute: 'hat', question: 'Hat?', answer: 'No.', source: 'mtg-caption', confidence: null },
        { attribute: 'upperColour', question: 'Top colour?', answer: 'Dark red.', source: 'mtg', confidence: null },
      ]);
      const err = await failure(() =>
        store.putAttributeAnswers([
          { imageId: b, attribute: 'hat', question: 'Hat?', answer: 'No.', source: 'mtg' },
          { imageId: 424242, attribute: 'hat', question: 'Hat?', answer: 'No.', source: 'mtg' },
        ]),
      );
      expect(isCtgiError(err, 'NOT_FOUND'), String(err)).toBe(true);
      expect(await store.attributeAnswers([b])).toEqual(new Map());
    });

    it('keeps everything across a close and reopen (durable stores)', async (ctx) => {
      const c = await fresh();
      if (!c.reopen) return ctx.skip();
      const ids = await c.store.insertImages([image(1, { captions: ['A man.'] }), image(2)]);
      await c.store.putAttributeAnswers([{ imageId: ids[1], attribute: 'hat', question: 'Hat?', answer: 'No.', source: 'mtg', confidence: 0.5 }]);
      await c.store.recordSkipped([{ path: 'bad.jpg', reason: 'corrupt' }]);
      const before = { records: await c.store.getMany(ids), embeddings: await c.store.loadEmbeddings(DIM) };
      const again = await c.reopen();
      open.push(again);
      expect(await again.getMany(ids)).toEqual(before.records);
      expect(await again.loadEmbeddings(DIM)).toEqual(before.embeddings);
      expect(await again.captionsOf(ids[0])).toEqual(['A man.']);
      expect((await again.attributeAnswers([ids[1]])).get(ids[1])).toEqual([{ attribute: 'hat', question: 'Hat?', answer: 'No.', source: 'mtg', confidence: 0.5 }]);
      expect((await again.listSkipped()).map((s) => s.path)).toEqual(['bad.jpg']);
    });
  });
}

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await makeTempDir('gallery-store-contract');
});
afterAll(() => tmp.cleanup());

galleryStoreContract('SqliteGalleryStore', async () => {
  const path = join(tmp.dir, `gallery-${++serial}.db`);
  const store = SqliteGalleryStore.open(path, { create: true });
  return {
    store,
    reopen: async () => {
      store.close();
      return SqliteGalleryStore.open(path);
    },
  };
});
