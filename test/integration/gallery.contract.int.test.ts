import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import type { Gallery, GalleryHit } from '../../src/gallery/gallery.js';
import type { ImageFilter, NewImage } from '../../src/gallery/gallery-store.js';
import { openPostgres } from '../../src/storage/postgres.js';
import { galleryRef, openGallery, openOrCreateGallery, type GalleryInit, type GalleryRef } from '../../src/gallery/open-gallery.js';
import { hasPostgres, makeTestDatabase, POSTGRES_SKIP_REASON } from '../helpers/postgres.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// One suite every Gallery adapter passes (as langgraphjs's checkpoint `specTest`): the folder (SQLite + hnswlib)
// and PostgreSQL + pgvector, both opened through openGallery / openOrCreateGallery as product code opens them.

const DIM = 4;

function init(over: Partial<GalleryInit['model']> = {}): GalleryInit {
  return {
    model: { id: 'contract-model', dir: '/models/contract', layout: 'demo', dim: DIM, contextLength: 77, preprocess: null, ...over },
    hnsw: { M: 16, efConstruction: 200, ef: 64 },
    imagesRoot: '/images',
  };
}

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

/** A unit query vector of the contract's dimension. */
function query(seed: number): Float32Array {
  const v = Array.from({ length: DIM }, (_, i) => Math.cos(seed * 3 + i * 1.7));
  const norm = Math.hypot(...v);
  return Float32Array.from(v.map((x) => x / norm));
}

async function failure(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

const strip = (hits: GalleryHit[]) => hits.map((h) => ({ id: h.id, path: h.path, cosine: h.cosine, score: h.score }));

/** A place for fresh galleries of one adapter: each call to `ref` names a new, empty one. */
export interface GalleryPlace {
  ref: () => GalleryRef;
  /** Stores embeddings in 16-bit floats (halfvec): they come back rounded to about 3 significant digits. */
  halfPrecision?: boolean;
}

/** The behaviour every Gallery adapter must share. */
export function galleryContract(name: string, place: () => GalleryPlace): void {
  describe(`Gallery contract: ${name}`, () => {
    /** Stored values as they come back: exact, or within half precision's rounding. */
    const expectStored = (got: ArrayLike<number>, given: ArrayLike<number>) => {
      if (!place().halfPrecision) return expect(Array.from(got)).toEqual(Array.from(given));
      expect(got.length).toBe(given.length);
      for (let i = 0; i < given.length; i++) expect(Math.abs(got[i] - given[i])).toBeLessThanOrEqual(Math.abs(given[i]) / 1024 + 1e-7);
    };
    const open: Gallery[] = [];
    const fresh = async (): Promise<{ gallery: Gallery; ref: GalleryRef }> => {
      const ref = place().ref();
      const gallery = await openOrCreateGallery(ref, init());
      open.push(gallery);
      return { gallery, ref };
    };
    afterAll(async () => {
      for (const g of open) await g.close({ save: false }).catch(() => undefined);
    });

    it('starts empty', async () => {
      const { gallery } = await fresh();
      expect(await gallery.count()).toBe(0);
      expect(await gallery.getMany([1, 2])).toEqual(new Map());
      expect(await gallery.findByPath('a.jpg')).toBeUndefined();
      expect(await gallery.findBySha('0'.repeat(64))).toBeUndefined();
      expect(await gallery.search(query(1))).toEqual([]);
      expect(await gallery.search(query(1), { exact: false })).toEqual([]);
      expect(await gallery.loadEmbeddings()).toEqual({ ids: [], matrix: new Float32Array(0) });
      expect(await gallery.imageIds()).toEqual([]);
      expect(await gallery.embeddingsOf([1])).toEqual(new Map());
      expect(await gallery.listSkipped()).toEqual([]);
      expect(await gallery.cameras()).toEqual([]);
      expect(await gallery.captionsOf([1])).toEqual(new Map());
      expect(await gallery.attributeAnswers([1])).toEqual(new Map());
      expect(await gallery.add([])).toEqual([]);
      expect(gallery.manifest.model.id).toBe('contract-model');
    });

    it('adds images with new distinct ids, in order, and returns every field as given', async () => {
      const { gallery } = await fresh();
      const before = new Date().toISOString();
      const images = [0, 1, 2, 3, 4, 5].map((n) => image(n));
      const ids = await gallery.add(images);
      const after = new Date().toISOString();
      expect(ids).toEqual([1, 2, 3, 4, 5, 6]);
      expect(await gallery.count()).toBe(6);
      const more = await gallery.add([image(6)]);
      expect(ids).not.toContain(more[0]);
      for (const [i, id] of ids.entries()) {
        const { embedding: _e, captions: _c, ...fields } = images[i];
        const record = (await gallery.getMany([id])).get(id);
        expect(record).toEqual({ ...fields, id, addedAt: expect.any(String) });
        expect(record!.addedAt >= before && record!.addedAt <= after).toBe(true);
        expect(await gallery.findByPath(images[i].path)).toEqual(record);
        expect(await gallery.findBySha(images[i].sha256)).toEqual(record);
      }
      const many = await gallery.getMany([ids[2], 999_999, ids[0], ids[2], -1, 2 ** 40]);
      expect([...many.keys()]).toEqual([ids[2], ids[0]]);
      expect(many.get(ids[2])?.path).toBe(images[2].path);
    });

    it('stores quotes, SQL-looking text, non-ASCII, offsets and 5,000-character strings as given', async () => {
      const { gallery } = await fresh();
      const long = 'a tall man with a long coat, '.repeat(200).slice(0, 5000);
      const odd = image(1, {
        path: `it's "quoted"; DROP TABLE gallery_images; --/naïve ${'x'.repeat(300)}.jpg`,
        camera: "O'Hare \\ gate",
        personId: long,
        capturedAt: '2024-06-01T12:00:00+02:00',
        captions: [long, "He said 'hi'."],
      });
      const [id] = await gallery.add([odd]);
      const record = (await gallery.getMany([id])).get(id)!;
      expect(record.path).toBe(odd.path);
      expect(record.camera).toBe(odd.camera);
      expect(record.personId).toBe(long);
      expect(record.capturedAt).toBe('2024-06-01T12:00:00+02:00');
      expect((await gallery.findByPath(odd.path))?.id).toBe(id);
      expect(await gallery.findByPath("it's")).toBeUndefined();
      await gallery.putCaption(id, "o'mtg", long);
      await gallery.putAttributeAnswers([{ imageId: id, attribute: 'bag', question: `"Bag"? ${long}`, answer: long, source: "it's" }]);
      expect((await gallery.captionsOf([id])).get(id)).toEqual([
        { source: 'dataset', text: long },
        { source: 'dataset', text: "He said 'hi'." },
        { source: "o'mtg", text: long },
      ]);
      expect((await gallery.attributeAnswers([id])).get(id)).toEqual([{ attribute: 'bag', question: `"Bag"? ${long}`, answer: long, source: "it's", confidence: null }]);
      // A capture time with an offset is filtered by the instant it names (10:00Z).
      const hit = await gallery.search(query(1), { exact: true, filter: { from: '2024-06-01T09:59:00.000Z', to: '2024-06-01T10:01:00.000Z' } });
      expect(hit.map((h) => h.id)).toEqual([id]);
    });

    it('refuses text with a NUL character, naming the field, and stores nothing of it', async () => {
      const { gallery } = await fresh();
      const [ok] = await gallery.add([image(1)]);
      const cases: Array<[string, () => Promise<unknown>]> = [
        ['image path', () => gallery.add([image(2), image(3, { path: 'a\0b.jpg' })])],
        ['camera', () => gallery.add([image(2, { camera: 'c\0' })])],
        ['caption', () => gallery.add([image(2, { captions: ['x\0'] })])],
        ['caption', () => gallery.putCaption(ok, 'mtg', 'red\0coat')],
        ['answer', () => gallery.putAttributeAnswers([{ imageId: ok, attribute: 'hat', question: 'Hat?', answer: 'n\0o', source: 'mtg' }])],
        ['skipped path', () => gallery.recordSkipped([{ path: 'x\0.jpg', reason: 'bad' }])],
      ];
      for (const [field, call] of cases) {
        const err = await failure(call);
        expect(isCtgiError(err, 'BAD_INPUT'), String(err)).toBe(true);
        expect((err as Error).message).toContain(field);
        expect((err as Error).message).toContain('NUL');
      }
      expect(await gallery.count()).toBe(1);
      expect(await gallery.captionsOf([ok])).toEqual(new Map());
      expect(await gallery.attributeAnswers([ok])).toEqual(new Map());
      expect(await gallery.listSkipped()).toEqual([]);
      expect(await gallery.findByPath('a\0b.jpg')).toBeUndefined();
      expect(await gallery.remove(['a\0b.jpg'])).toEqual({ removed: 0, missing: ['a\0b.jpg'] });
    });

    it('adds a batch atomically: a duplicate path fails it and stores none of it', async () => {
      const { gallery } = await fresh();
      await gallery.add([image(1)]);
      await failure(() => gallery.add([image(2), image(3, { path: image(1).path })]));
      expect(await gallery.count()).toBe(1);
      expect(await gallery.findByPath(image(2).path)).toBeUndefined();
      const [next] = await gallery.add([image(2)]);
      expect(next).toBe(2);
    });

    it('finds one of several images sharing a hash', async () => {
      const { gallery } = await fresh();
      const ids = await gallery.add([image(1), image(2, { sha256: image(1).sha256 })]);
      expect(ids).toContain((await gallery.findBySha(image(1).sha256))?.id);
    });

    it('looks up many paths and hashes at once: known ones by key, the earliest image per hash, nothing for unknown or NUL keys', async () => {
      const { gallery } = await fresh();
      const ids = await gallery.add([image(1), image(2), image(3, { sha256: image(1).sha256 }), image(4, { path: "o'brien \"cam\".jpg" })]);
      expect(await gallery.findByPaths([])).toEqual(new Map());
      expect(await gallery.findByShas([])).toEqual(new Map());
      const byPath = await gallery.findByPaths([image(2).path, 'nowhere.jpg', "o'brien \"cam\".jpg", image(2).path, 'a\0b.jpg', image(1).path]);
      expect([...byPath.keys()].sort()).toEqual([image(1).path, image(2).path, "o'brien \"cam\".jpg"].sort());
      expect(byPath.get(image(2).path)).toEqual(await gallery.findByPath(image(2).path));
      expect(byPath.get("o'brien \"cam\".jpg")?.id).toBe(ids[3]);
      const bySha = await gallery.findByShas([image(1).sha256, image(2).sha256, 'f'.repeat(64), '\0']);
      expect([...bySha.keys()].sort()).toEqual([image(1).sha256, image(2).sha256].sort());
      // Two images share image(1)'s bytes: the one added first answers, as findBySha does.
      expect(bySha.get(image(1).sha256)?.id).toBe(ids[0]);
      expect(bySha.get(image(1).sha256)).toEqual(await gallery.findBySha(image(1).sha256));
      expect(bySha.get(image(2).sha256)?.path).toBe(image(2).path);
    });

    it('returns every embedding exactly, by id, and refuses another dimension', async () => {
      const { gallery } = await fresh();
      // An embedding that is a view into a larger buffer must be stored as its own values only.
      const big = Float32Array.from({ length: 10 }, (_, i) => i + 0.25);
      const images = [image(1), image(2, { embedding: big.subarray(3, 3 + DIM) }), image(3)];
      const ids = await gallery.add(images);
      const { ids: got, matrix } = await gallery.loadEmbeddings();
      expect(got).toEqual([...ids].sort((a, b) => a - b));
      expect(await gallery.imageIds()).toEqual(got);
      expect(matrix).toHaveLength(3 * DIM);
      for (const [row, id] of got.entries()) {
        expectStored(matrix.subarray(row * DIM, (row + 1) * DIM), images[ids.indexOf(id)].embedding);
      }
      const some = await gallery.embeddingsOf([ids[1], 424242]);
      expect([...some.keys()]).toEqual([ids[1]]);
      expectStored(some.get(ids[1])!, [3.25, 4.25, 5.25, 6.25]);
      const err = await failure(() => gallery.add([image(4, { embedding: new Float32Array(DIM + 1) })]));
      expect(isCtgiError(err, 'INDEX_MISMATCH'), String(err)).toBe(true);
      const q = await failure(() => gallery.search(new Float32Array(DIM + 1)));
      expect(isCtgiError(q, 'INDEX_MISMATCH'), String(q)).toBe(true);
      expect(await gallery.count()).toBe(3);
    });

    it('removes by path with captions and answers, ignores unknown paths, and takes the path again', async () => {
      const { gallery } = await fresh();
      const [a, b, c] = await gallery.add([image(1, { captions: ['A man.'] }), image(2), image(3)]);
      await gallery.putAttributeAnswers([{ imageId: a, attribute: 'hat', question: 'Hat?', answer: 'No.', source: 'mtg' }]);
      await gallery.putCaption(a, 'mtg', 'A man in red.');
      expect(await gallery.remove([image(1).path, 'nowhere.jpg', image(3).path, image(1).path])).toEqual({ removed: 2, missing: ['nowhere.jpg'] });
      expect(await gallery.count()).toBe(1);
      expect(await gallery.getMany([a, c])).toEqual(new Map());
      expect(await gallery.findByPath(image(1).path)).toBeUndefined();
      expect(await gallery.captionsOf([a])).toEqual(new Map());
      expect(await gallery.attributeAnswers([a])).toEqual(new Map());
      expect((await gallery.loadEmbeddings()).ids).toEqual([b]);
      expect(await gallery.imageIds()).toEqual([b]);
      expect((await gallery.search(query(2), { top: 10 })).map((h) => h.id)).toEqual([b]);
      expect(await gallery.remove([])).toEqual({ removed: 0, missing: [] });
      const [again] = await gallery.add([image(1)]);
      expect((await gallery.getMany([again])).get(again)?.path).toBe(image(1).path);
      expect(await gallery.captionsOf([again])).toEqual(new Map());
    });

    it('searches: best first, exact and approximate agree on small data, calibrated over the pool', async () => {
      const { gallery } = await fresh();
      await gallery.add(Array.from({ length: 60 }, (_, n) => image(n)));
      await gallery.save();
      for (const seed of [1, 2, 3]) {
        const exact = await gallery.search(query(seed), { top: 10, exact: true });
        expect(exact.map((h) => h.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        for (let i = 1; i < exact.length; i++) expect(exact[i - 1].cosine >= exact[i].cosine).toBe(true);
        expect(strip(await gallery.search(query(seed), { top: 10, exact: false }))).toEqual(strip(exact));
        expect(strip(await gallery.search(query(seed), { top: 10 }))).toEqual(strip(exact));
        // Scores are a softmax over all 60 candidates (fewer than the pool): every image's score sums to 1.
        const all = await gallery.search(query(seed), { top: 100, exact: true });
        expect(all).toHaveLength(60);
        expect(all.reduce((s, h) => s + h.score, 0)).toBeCloseTo(1, 9);
        expect(strip(all.slice(0, 10))).toEqual(strip(exact));
        const { embedding } = image(all[0].id - 1);
        expect(all[0].cosine).toBeCloseTo(Array.from(embedding).reduce((s, x, i) => s + x * query(seed)[i], 0), place().halfPrecision ? 3 : 6);
      }
    });

    it('filters search by camera and by an inclusive capture-time window, leaving out images without a time', async () => {
      const { gallery } = await fresh();
      const ids = await gallery.add([0, 1, 2, 3, 4, 5, 6, 7].map((n) => image(n)));
      await gallery.save();
      const set = (...ns: number[]) => new Set(ns.map((n) => ids[n]));
      // Cameras: even n → c0, odd → c1, n % 4 === 3 → none. Times: day 1 + n % 5, none when n % 5 === 4.
      const found = async (filter: ImageFilter) => {
        const exact = await gallery.search(query(5), { top: 100, exact: true, filter });
        const approximate = await gallery.search(query(5), { top: 100, exact: false, filter });
        expect(strip(approximate)).toEqual(strip(exact));
        return new Set(exact.map((h) => h.id));
      };
      expect(await found({})).toEqual(set(0, 1, 2, 3, 4, 5, 6, 7));
      expect(await found({ camera: [] })).toEqual(set(0, 1, 2, 3, 4, 5, 6, 7));
      expect(await found({ camera: ['c1'] })).toEqual(set(1, 5));
      expect(await found({ camera: ['c0', 'c1', 'c9'] })).toEqual(set(0, 1, 2, 4, 5, 6));
      expect(await found({ from: '2024-06-03T10:00:00.000Z' })).toEqual(set(2, 3, 7));
      expect(await found({ to: '2024-06-02T10:00:00.000Z' })).toEqual(set(0, 1, 5, 6));
      expect(await found({ from: '2024-06-02T10:00:00.000Z', to: '2024-06-03T10:00:00.000Z', camera: ['c0'] })).toEqual(set(2, 6));
      const top1 = await gallery.search(query(5), { top: 1, filter: { camera: ['c1'] } });
      expect(top1).toHaveLength(1);
      expect(set(1, 5).has(top1[0].id)).toBe(true);
    });

    it('lists cameras with their counts, sorted, without images that have none', async () => {
      const { gallery } = await fresh();
      await gallery.add([0, 1, 2, 3, 4, 5, 6].map((n) => image(n)));
      expect(await gallery.cameras()).toEqual([
        { camera: 'c0', count: 4 },
        { camera: 'c1', count: 2 },
      ]);
    });

    it('records skipped files (a later reason wins), lists them by path, and forgets them once indexed', async () => {
      const { gallery } = await fresh();
      await gallery.recordSkipped([
        { path: 'z.jpg', reason: 'corrupt' },
        { path: 'a.jpg', reason: 'too large' },
        { path: image(1).path, reason: 'unreadable' },
        { path: 'B.jpg', reason: 'first' },
        { path: 'B.jpg', reason: 'second' },
      ]);
      await gallery.recordSkipped([{ path: 'z.jpg', reason: 'not an image' }]);
      const listed = await gallery.listSkipped();
      expect(listed.map((s) => [s.path, s.reason])).toEqual([
        ['B.jpg', 'second'],
        ['a.jpg', 'too large'],
        [image(1).path, 'unreadable'],
        ['z.jpg', 'not an image'],
      ]);
      for (const s of listed) expect(Number.isNaN(Date.parse(s.at))).toBe(false);
      await gallery.add([image(1)]);
      expect((await gallery.listSkipped()).map((s) => s.path)).toEqual(['B.jpg', 'a.jpg', 'z.jpg']);
      await gallery.recordSkipped([]);
      expect(await gallery.listSkipped()).toHaveLength(3);
    });

    it('keeps dataset captions and one caption per other source, replacing that source’s earlier ones', async () => {
      const { gallery } = await fresh();
      const [a, b] = await gallery.add([image(1, { captions: ['First.', 'Second.'] }), image(2)]);
      await gallery.putCaption(b, 'mtg', 'Old.');
      await gallery.putCaption(b, 'mtg', 'New.');
      await gallery.putCaption(b, 'human', 'Checked.');
      await gallery.putCaption(a, 'mtg', 'Generated.');
      const all = await gallery.captionsOf([b, a, 424242, b]);
      expect([...all.keys()]).toEqual([b, a]);
      expect(all.get(a)).toEqual([
        { source: 'dataset', text: 'First.' },
        { source: 'dataset', text: 'Second.' },
        { source: 'mtg', text: 'Generated.' },
      ]);
      expect(all.get(b)).toEqual([
        { source: 'mtg', text: 'New.' },
        { source: 'human', text: 'Checked.' },
      ]);
      const err = await failure(() => gallery.putCaption(424242, 'mtg', 'Nobody.'));
      expect(isCtgiError(err, 'NOT_FOUND'), String(err)).toBe(true);
      expect((err as Error).message).toContain('424242');
    });

    it('upserts attribute answers per image, attribute and source, in one transaction', async () => {
      const { gallery } = await fresh();
      const [a, b] = await gallery.add([image(1), image(2)]);
      await gallery.putAttributeAnswers([
        { imageId: a, attribute: 'upperColour', question: 'Top colour?', answer: 'Red.', source: 'mtg', confidence: 0.9 },
        { imageId: a, attribute: 'hat', question: 'Hat?', answer: 'No.', source: 'mtg-caption' },
        { imageId: a, attribute: 'hat', question: 'Hat?', answer: 'Yes.', source: 'mtg' },
        { imageId: a, attribute: 'hat', question: 'Any hat?', answer: 'A cap.', source: 'mtg', confidence: 0.1 },
      ]);
      await gallery.putAttributeAnswers([{ imageId: a, attribute: 'upperColour', question: 'Top colour?', answer: 'Dark red.', source: 'mtg' }]);
      await gallery.putAttributeAnswers([]);
      const answers = await gallery.attributeAnswers([a, b, a]);
      expect([...answers.keys()]).toEqual([a]);
      expect(answers.get(a)).toEqual([
        { attribute: 'hat', question: 'Any hat?', answer: 'A cap.', source: 'mtg', confidence: 0.1 },
        { attribute: 'hat', question: 'Hat?', answer: 'No.', source: 'mtg-caption', confidence: null },
        { attribute: 'upperColour', question: 'Top colour?', answer: 'Dark red.', source: 'mtg', confidence: null },
      ]);
      const err = await failure(() =>
        gallery.putAttributeAnswers([
          { imageId: b, attribute: 'hat', question: 'Hat?', answer: 'No.', source: 'mtg' },
          { imageId: 424242, attribute: 'hat', question: 'Hat?', answer: 'No.', source: 'mtg' },
        ]),
      );
      expect(isCtgiError(err, 'NOT_FOUND'), String(err)).toBe(true);
      expect(await gallery.attributeAnswers([b])).toEqual(new Map());
    });

    it('keeps camera aliases in the manifest across a reopen, and clears them', async () => {
      const { gallery, ref } = await fresh();
      await gallery.add([image(1), image(2)]);
      await gallery.setCameraAliases({ c0: ['lobby', "O'Hare gate"], c1: [] });
      expect(gallery.manifest.cameraAliases).toEqual({ c0: ['lobby', "O'Hare gate"] });
      await gallery.close();
      const again = await openGallery(ref);
      open.push(again);
      expect(again.manifest.cameraAliases).toEqual({ c0: ['lobby', "O'Hare gate"] });
      expect(again.manifest.model).toEqual(init().model);
      await again.setCameraAliases({});
      await again.close();
      const cleared = await openGallery(ref);
      open.push(cleared);
      expect(cleared.manifest.cameraAliases).toBeUndefined();
      expect(await cleared.count()).toBe(2);
    });

    it('keeps everything across a close and reopen, and refuses to reopen with another model', async () => {
      const { gallery, ref } = await fresh();
      const ids = await gallery.add([image(1, { captions: ['A man.'] }), image(2), image(3)]);
      await gallery.putAttributeAnswers([{ imageId: ids[1], attribute: 'hat', question: 'Hat?', answer: 'No.', source: 'mtg', confidence: 0.5 }]);
      await gallery.recordSkipped([{ path: 'bad.jpg', reason: 'corrupt' }]);
      const before = { records: await gallery.getMany(ids), embeddings: await gallery.loadEmbeddings(), hits: strip(await gallery.search(query(4), { exact: true })) };
      await gallery.close();
      const again = await openGallery(ref);
      open.push(again);
      expect(again.manifest).toMatchObject({ ...init(), vectorCount: 3 });
      expect(await again.count()).toBe(3);
      expect(await again.getMany(ids)).toEqual(before.records);
      expect(await again.loadEmbeddings()).toEqual(before.embeddings);
      expect(strip(await again.search(query(4), { exact: true }))).toEqual(before.hits);
      expect(strip(await again.search(query(4), { exact: false }))).toEqual(before.hits);
      expect((await again.captionsOf([ids[0]])).get(ids[0])).toEqual([{ source: 'dataset', text: 'A man.' }]);
      expect((await again.attributeAnswers([ids[1]])).get(ids[1])).toEqual([{ attribute: 'hat', question: 'Hat?', answer: 'No.', source: 'mtg', confidence: 0.5 }]);
      expect((await again.listSkipped()).map((s) => s.path)).toEqual(['bad.jpg']);
      const [next] = await again.add([image(4)]);
      expect(ids).not.toContain(next);
      const same = await openOrCreateGallery(ref, init({ id: 'contract-model+pes248' }));
      open.push(same);
      expect(await same.count()).toBe(4);
      for (const other of [init({ id: 'another-model' }), init({ dim: DIM + 4 })]) {
        const err = await failure(() => openOrCreateGallery(ref, other));
        expect(isCtgiError(err, 'INDEX_MISMATCH'), String(err)).toBe(true);
        expect((err as Error).message).toContain('contract-model');
      }
    });
  });
}

let tmp: { dir: string; cleanup: () => Promise<void> };
let serial = 0;
beforeAll(async () => {
  tmp = await makeTempDir('gallery-contract');
});
afterAll(() => tmp.cleanup());

galleryContract('FolderGallery', () => ({ ref: () => galleryRef(join(tmp.dir, `gallery-${++serial}`)) }));

describe.skipIf(!hasPostgres)('PostgreSQL galleries', () => {
  let db: { url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    db = await makeTestDatabase('gallery_contract');
  });
  afterAll(async () => {
    await db?.drop();
  });

  galleryContract('PostgresGallery', () => ({ ref: () => galleryRef(`contract-${++serial}`, { url: db.url }) }));
  galleryContract('PostgresGallery (halfvec)', () => ({ ref: () => ({ ...galleryRef(`half-${++serial}`, { url: db.url }), vector: 'halfvec' }) as GalleryRef, halfPrecision: true }));

  it('gives the same hits, cosines and calibrated scores as the folder for the same data', async () => {
    const images = Array.from({ length: 150 }, (_, n) => image(n));
    const folder = await openOrCreateGallery(galleryRef(join(tmp.dir, 'twin')), init());
    const pg = await openOrCreateGallery(galleryRef('twin', { url: db.url }), init());
    try {
      expect(await folder.add(images)).toEqual(await pg.add(images));
      await folder.save();
      await pg.save();
      for (const seed of [1, 2, 3, 4]) {
        for (const exact of [true, false]) {
          for (const filter of [undefined, { camera: ['c0'] }, { from: '2024-06-02T00:00:00.000Z' }]) {
            const a = await folder.search(query(seed), { top: 20, exact, ...(filter ? { filter } : {}) });
            const b = await pg.search(query(seed), { top: 20, exact, ...(filter ? { filter } : {}) });
            expect(strip(b)).toEqual(strip(a));
            expect(b.map((h) => ({ ...h.record, addedAt: 0 }))).toEqual(a.map((h) => ({ ...h.record, addedAt: 0 })));
          }
        }
      }
    } finally {
      await folder.close();
      await pg.close();
    }
  });

  it('allocates ids without collisions or gaps when two writers (two pools, as two processes) add at once', async () => {
    const ref = galleryRef('shared', { url: db.url });
    const [one, two] = await Promise.all([openOrCreateGallery(ref, init()), openOrCreateGallery(ref, init())]);
    try {
      const batch = (writer: number, b: number) => Array.from({ length: 25 }, (_, i) => image(1000 * writer + 30 * b + i, { path: `w${writer}/b${b}/${i}.jpg` }));
      const runs = await Promise.all(
        [one, two].map(async (g, writer) => {
          const ids: number[] = [];
          for (let b = 0; b < 6; b++) {
            ids.push(...(await g.add(batch(writer, b))));
            // A failing batch (a path already stored) in between must not leave a hole in the ids.
            if (b === 2) await failure(() => g.add([image(1, { path: `w${writer}/b0/0.jpg` })]));
          }
          return ids;
        }),
      );
      const all = runs.flat().sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
      expect(await one.count()).toBe(300);
      expect(await two.count()).toBe(300);
      expect((await two.findByPath('w0/b5/24.jpg'))?.id).toBe(runs[0].at(-1));
    } finally {
      // Both save at once: one builds the HNSW index, the other waits and finds it.
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('builds the gallery’s HNSW index at the first save, not per add, and keeps it current after', async () => {
    const gallery = await openOrCreateGallery(galleryRef('deferred', { url: db.url }), init());
    const admin = await openPostgres(db.url, { migrate: false, max: 1 });
    const { id } = (await admin.query<{ id: number }>("SELECT id FROM galleries WHERE name = 'deferred'")).rows[0];
    const indexes = async () => (await admin.query<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE indexdef LIKE '%USING hnsw%' AND indexdef LIKE $1", [`%gallery_id = ${id})`])).rows.map((r) => r.indexdef);
    try {
      await gallery.add(Array.from({ length: 40 }, (_, n) => image(n)));
      await gallery.add([image(40)]);
      expect(await indexes()).toEqual([]);
      await gallery.save();
      const [def] = await indexes();
      expect(def).toMatch(/USING hnsw \(\(\(?embedding\)?::vector\(4\)\)\)? vector_ip_ops\)/);
      expect(def).toMatch(/m='?16'?, ef_construction='?200'?/);
      await gallery.save();
      expect(await indexes()).toHaveLength(1);
      const [late] = await gallery.add([image(41, { embedding: query(9) })]);
      expect((await gallery.search(query(9), { top: 1, exact: false }))[0].id).toBe(late);
    } finally {
      await admin.end();
      await gallery.close();
    }
  });

  it('keeps taking writes, in the gallery and beside it, while its index builds, and rebuilds an index a cancelled build left invalid', async () => {
    const building = await openOrCreateGallery(galleryRef('building', { url: db.url }), init());
    const beside = await openOrCreateGallery(galleryRef('beside', { url: db.url }), init());
    const admin = await openPostgres(db.url, { migrate: false, max: 2 });
    const holder = await admin.connect();
    const buildingNow = async () => {
      for (;;) {
        const r = await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'CREATE INDEX CONCURRENTLY%' AND state = 'active'");
        if (r.rows.length > 0) return r.rows[0].pid;
        await new Promise((f) => setTimeout(f, 50));
      }
    };
    /** Fails (instead of hanging the suite) when a write waits behind the build. */
    const notBlocked = <T>(p: Promise<T>, what: string) =>
      Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} waited behind the index build`)), 20_000))]);
    try {
      await building.add(Array.from({ length: 30 }, (_, n) => image(n)));
      await beside.add([image(100)]);
      // An open writer transaction on the table: a concurrent build waits for it to end (an ordinary CREATE
      // INDEX would too, and would queue every later writer behind it).
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE gallery_images IN ROW EXCLUSIVE MODE');
      let saved = false;
      const save = building.save().then(() => {
        saved = true;
      });
      await buildingNow();
      const [late] = await notBlocked(building.add([image(200, { embedding: query(9) })]), 'an add to the gallery');
      await notBlocked(beside.add([image(101)]), 'an add to another gallery');
      expect((await notBlocked(building.search(query(9), { top: 1, exact: false }), 'a search'))[0].id).toBe(late);
      expect(saved).toBe(false);
      await holder.query('COMMIT');
      await save;
      const valid = async () => (await admin.query<{ v: boolean }>("SELECT bool_and(indisvalid) AS v FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE 'gallery_images_hnsw_%'")).rows[0].v;
      expect(await valid()).toBe(true);
      expect((await building.search(query(9), { top: 1, exact: false }))[0].id).toBe(late);

      // A build cancelled half-way leaves an invalid index behind; the next save drops it and builds again.
      await beside.add(Array.from({ length: 20 }, (_, n) => image(300 + n)));
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE gallery_images IN ROW EXCLUSIVE MODE');
      const cancelled = failure(() => beside.save());
      await admin.query('SELECT pg_cancel_backend($1)', [await buildingNow()]);
      const err = await cancelled;
      expect(isCtgiError(err, 'UPSTREAM_FAILED'), String(err)).toBe(true);
      expect((err as Error).message).toContain('postgres gallery beside');
      await holder.query('COMMIT');
      expect(await valid()).toBe(false);
      expect((await beside.search(image(305).embedding, { top: 1, exact: false }))[0].path).toBe(image(305).path);
      await beside.save();
      expect(await valid()).toBe(true);
      expect((await beside.search(image(305).embedding, { top: 1, exact: false }))[0].path).toBe(image(305).path);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
      await admin.end();
      await building.close({ save: false });
      await beside.close({ save: false });
    }
  });

  it('reports a failing database as one sentence naming the gallery (UPSTREAM_FAILED), not an internal error', async () => {
    const gallery = await openOrCreateGallery(galleryRef('failing', { url: db.url }), init());
    const admin = await openPostgres(db.url, { migrate: false, max: 1 });
    try {
      await gallery.add([image(1)]);
      await admin.query('ALTER TABLE gallery_captions RENAME TO gallery_captions_away');
      const err = await failure(() => gallery.captionsOf([1]));
      expect(isCtgiError(err, 'UPSTREAM_FAILED'), String(err)).toBe(true);
      expect((err as Error).message).toContain('postgres gallery failing');
      expect((err as Error).message).not.toContain(db.url);
    } finally {
      await admin.query('ALTER TABLE gallery_captions_away RENAME TO gallery_captions');
      await admin.end();
      await gallery.close();
    }
  });

  it('names a gallery that is not there, and refuses a bad gallery name', async () => {
    const err = await failure(() => openGallery(galleryRef('nobody', { url: db.url })));
    expect(isCtgiError(err, 'NOT_FOUND'), String(err)).toBe(true);
    expect((err as Error).message).toContain('nobody');
    for (const bad of ['', 'a b', "x'; DROP TABLE galleries; --", 'x'.repeat(64), 'ü']) {
      const e = await failure(() => galleryRef(bad, { url: db.url }));
      expect(isCtgiError(e, 'BAD_INPUT'), String(e)).toBe(true);
    }
  });
});

describe.skipIf(hasPostgres)('PostgreSQL galleries', () => {
  it.skip(POSTGRES_SKIP_REASON, () => undefined);
});
