import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gallery } from '../../src/gallery/gallery.js';
import type { ImageRecord, NewImage } from '../../src/gallery/gallery-store.js';
import { copyGallery } from '../../src/gallery/gallery-copy.js';
import { galleryRef, openGallery, openOrCreateGallery } from '../../src/gallery/open-gallery.js';
import { runCli } from '../helpers/cli.js';
import { hasPostgres, makeTestDatabase, POSTGRES_SKIP_REASON } from '../helpers/postgres.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// `ctgi index migrate`: a folder gallery copied into PostgreSQL and back gives the same gallery: records,
// captions, attribute answers, skipped list and search results. The model directory does not exist, so the
// copy provably re-encodes nothing.

if (!hasPostgres) console.warn(POSTGRES_SKIP_REASON);

const DIM = 16;
const N = 90;
const MODEL = { id: 'migrate-model', dir: '/nowhere/model', layout: 'demo' as const, dim: DIM, contextLength: 77, preprocess: null };
const HNSW = { M: 12, efConstruction: 80, ef: 40 };

function vector(seed: number): Float32Array {
  const v = Float32Array.from({ length: DIM }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 43758.5453 % 1);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function image(k: number): NewImage {
  return {
    path: `cam${k % 3}/img-${k}.png`,
    sha256: `sha${k}`.padEnd(64, 'f'),
    personId: k % 4 === 0 ? null : `p${k % 9}`,
    camera: k % 5 === 0 ? null : `cam${k % 3}`,
    capturedAt: k % 6 === 0 ? null : `2026-11-${String(1 + (k % 27)).padStart(2, '0')}T0${k % 10}:15:00.000+02:00`,
    width: 32 + k,
    height: 64 + k,
    bytes: 1000 + k,
    mtimeMs: 1_760_000_000_000 + k * 0.5,
    embedding: vector(k),
    captions: k % 2 === 0 ? [`a person ${k} in a coat, with a "quote" and it's`, `second dataset caption ${k}`] : [],
    footage: k % 7 === 0 ? { source: 'cam0.mp4', frameTimeMs: k * 40, trackId: `cam0.mp4#${k}`, box: [k, k + 1, k + 20.5, k + 60] } : null,
  };
}

/** Everything a gallery holds, by path, ready to compare (ids too: copies keep the order of the source). */
async function snapshot(g: Gallery) {
  const { ids } = await g.loadEmbeddings();
  const records = await g.getMany(ids);
  const captions = await g.captionsOf(ids);
  const answers = await g.attributeAnswers(ids);
  const embeddings = await g.embeddingsOf(ids);
  const byPath = [...records.values()]
    .sort((a, b) => a.id - b.id)
    .map((r: ImageRecord) => ({ ...r, captions: captions.get(r.id) ?? [], answers: answers.get(r.id) ?? [], embedding: [...embeddings.get(r.id)!] }));
  const skipped = (await g.listSkipped()).map((s) => ({ path: s.path, reason: s.reason }));
  const { model, hnsw, imagesRoot } = g.manifest;
  return { count: await g.count(), images: byPath, skipped, manifest: { model, hnsw, imagesRoot } };
}

async function searches(g: Gallery) {
  const out: string[][] = [];
  for (const seed of [1001, 1002, 1003]) {
    for (const exact of [true, false]) {
      const hits = await g.search(vector(seed), { top: 10, exact, filter: seed === 1003 ? { camera: ['cam1', 'cam2'] } : undefined });
      out.push(hits.map((h) => `${h.path} ${h.cosine.toFixed(6)} ${h.score.toFixed(6)}`));
    }
  }
  return out;
}

describe.skipIf(!hasPostgres)('ctgi index migrate', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let db: Awaited<ReturnType<typeof makeTestDatabase>>;
  let source: string;

  beforeAll(async () => {
    temp = await makeTempDir('index-migrate');
    db = await makeTestDatabase('index_migrate');
    source = join(temp.dir, 'source');
    const g = await openOrCreateGallery(source, { model: MODEL, hnsw: HNSW, imagesRoot: '/data/images' });
    const ids = await g.add(Array.from({ length: N }, (_, k) => image(k)));
    for (const [k, id] of ids.entries()) if (k % 3 === 0) await g.putCaption(id, 'mtg', `mtg caption of ${k}: red jacket, \u00e9t\u00e9`);
    await g.putAttributeAnswers(
      ids.flatMap((id, k) => (k % 4 === 1 ? [{ imageId: id, attribute: 'bag', question: 'Does the person carry a bag?', answer: k % 8 === 1 ? 'yes' : 'no', source: 'mtg', confidence: 0.75 }, { imageId: id, attribute: 'upper_color', question: 'What colour is the top?', answer: 'red', source: 'mtg-caption' }] : [])),
    );
    await g.recordSkipped([
      { path: 'broken.png', reason: 'cannot read the file (EIO)' },
      { path: 'fifo.png', reason: 'it is a FIFO, not a regular file' },
    ]);
    await g.close();
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
    await temp?.cleanup();
  });

  it('copies a folder into PostgreSQL and back without re-encoding: same records, captions, answers, skipped list and search results', async () => {
    const there = await runCli(['index', 'migrate', '--from', source, '--to', 'people', '--database', db.url, '--json']);
    expect(there.code, there.stderr).toBe(0);
    expect(JSON.parse(there.stdout)).toMatchObject({ images: N, copied: N, alreadyThere: 0, conflicts: [], skipped: 2 });
    const back = join(temp.dir, 'back');
    const home = await runCli(['index', 'migrate', '--from', 'people', '--to', back, '--database', db.url]);
    expect(home.code, home.stderr).toBe(0);
    expect(home.stdout).toMatch(/postgres gallery people → .*back: 90 images copied/);

    const a = await openGallery(source);
    const pg = await openGallery(galleryRef('people', { url: db.url }));
    const b = await openGallery(back);
    try {
      const original = await snapshot(a);
      expect(original.images.filter((i) => i.answers.length > 0)).toHaveLength(23);
      expect(await snapshot(pg)).toEqual(original);
      expect(await snapshot(b)).toEqual(original);
      const expected = await searches(a);
      expect(await searches(pg)).toEqual(expected);
      expect(await searches(b)).toEqual(expected);
    } finally {
      await Promise.all([a.close({ save: false }), pg.close({ save: false }), b.close({ save: false })]);
    }
  }, 120_000);

  it('resumes: a second run copies nothing again', async () => {
    const again = await runCli(['index', 'migrate', '--from', source, '--to', 'people', '--database', db.url, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ images: N, copied: 0, alreadyThere: N });
    const pg = await openGallery(galleryRef('people', { url: db.url }));
    try {
      expect(await pg.count()).toBe(N);
      const caps = await pg.captionsOf([1, 4]);
      expect(caps.get(1)!.map((c) => c.source)).toEqual(['dataset', 'dataset', 'mtg']);
    } finally {
      await pg.close({ save: false });
    }
  }, 60_000);

  it('finishes a copy interrupted between storing images and their captions when run again', async () => {
    const a = await openGallery(source);
    const ref = galleryRef('interrupted', { url: db.url });
    const target = await openOrCreateGallery(ref, { model: a.manifest.model, hnsw: a.manifest.hnsw, imagesRoot: a.manifest.imagesRoot });
    // The second chunk's images get stored, then the process "dies" before their captions are written.
    let adds = 0;
    const failing = new Proxy(target, {
      get(t, key, receiver) {
        if (key === 'add') return async (...args: Parameters<Gallery['add']>) => (++adds, t.add(...args));
        if (key === 'putCaption') return async (...args: Parameters<Gallery['putCaption']>) => { if (adds >= 2) throw new Error('killed'); return t.putCaption(...args); };
        return Reflect.get(t, key, receiver) as unknown;
      },
    });
    await expect(copyGallery(a, failing, { chunkSize: 30 })).rejects.toThrow('killed');
    expect(await target.count()).toBe(60);
    const resumed = await copyGallery(a, target, { chunkSize: 30 });
    expect(resumed).toMatchObject({ copied: 30, alreadyThere: 60 });
    try {
      expect(await snapshot(target)).toEqual(await snapshot(a));
    } finally {
      await Promise.all([a.close({ save: false }), target.close()]);
    }
  }, 60_000);

  it('refuses a target made with another model (INDEX_MISMATCH), and a source that is neither a folder nor a database gallery', async () => {
    const other = join(temp.dir, 'other');
    const g = await openOrCreateGallery(other, { model: { ...MODEL, id: 'another-model' }, hnsw: HNSW, imagesRoot: null });
    await g.add([image(1)]);
    await g.close();
    const refused = await runCli(['index', 'migrate', '--from', other, '--to', 'people', '--database', db.url]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/built with migrate-model .* the model given is another-model/);
    expect(refused.stderr).not.toMatch(/\n\s+at /);

    const missing = await runCli(['index', 'migrate', '--from', 'nobody', '--to', join(temp.dir, 'x'), '--database', db.url]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/nobody is neither a gallery folder nor a gallery in the database/);
    const noDb = await runCli(['index', 'migrate', '--from', source, '--to', 'people']);
    expect(noDb.code).not.toBe(0);
    expect(noDb.stderr).toMatch(/give --database URL or set CTGI_DATABASE_URL/);
  }, 60_000);
});
