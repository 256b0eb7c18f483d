import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gallery } from '../../src/gallery/gallery.js';
import { itemsFromFiles } from '../../src/gallery/ingest-items.js';
import { IngestQueue } from '../../src/gallery/ingest-queue.js';
import { galleryRef, openOrCreateGallery } from '../../src/gallery/open-gallery.js';
import { ingestShared } from '../../src/gallery/shared-ingest.js';
import type { ImageEmbedding } from '../../src/models/encoder.js';
import { openPostgres, type PgPool } from '../../src/storage/postgres.js';
import { hasPostgres, makeTestDatabase, POSTGRES_SKIP_REASON } from '../helpers/postgres.js';
import { writeImages } from '../helpers/shared-build.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// The worker loop of shared builds in one process, with an encoder that counts what it embeds.

if (!hasPostgres) console.warn(POSTGRES_SKIP_REASON);

const DIM = 8;
const MODEL = { id: 'shared-model', dir: '/nowhere', layout: 'demo' as const, dim: DIM, contextLength: 77, preprocess: null };

/** An encoder that gives each file a vector from its name and remembers every file it embedded. */
function countingEncoder() {
  const embedded: string[] = [];
  return {
    embedded,
    async embedImageFilesSettled(paths: string[]): Promise<ImageEmbedding[]> {
      embedded.push(...paths);
      return paths.map((path) => {
        const v = Float32Array.from({ length: DIM }, (_, i) => Math.sin(path.length * 3.1 + i + Number(/(\d+)\.png$/.exec(path)?.[1] ?? 0)));
        const n = Math.hypot(...v);
        return { path, ok: true as const, vector: v.map((x) => x / n) };
      });
    },
  };
}

describe.skipIf(!hasPostgres)('ingestShared', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let db: Awaited<ReturnType<typeof makeTestDatabase>>;
  let pool: PgPool;
  let images: string;

  beforeAll(async () => {
    temp = await makeTempDir('shared-ingest');
    db = await makeTestDatabase('shared_ingest');
    pool = await openPostgres(db.url, { max: 2 });
    images = join(temp.dir, 'images');
    await writeImages(images, 24);
  }, 60_000);
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
    await temp?.cleanup();
  });

  const open = (name: string) => openOrCreateGallery(galleryRef(name, { url: db.url }), { model: MODEL, hnsw: { M: 8, efConstruction: 40, ef: 20 }, imagesRoot: images });
  const files = () => Array.from({ length: 24 }, (_, k) => join(images, `img${String(k).padStart(4, '0')}.png`));

  it('three workers in one process embed each image once', async () => {
    const gallery = await open('trio');
    try {
      const items = itemsFromFiles(files(), images, () => null);
      const encoders = [countingEncoder(), countingEncoder(), countingEncoder()];
      const reports = await Promise.all(
        encoders.map(async (encoder) => ingestShared({ gallery, encoder, queue: await IngestQueue.join(pool, 'trio'), items, batchSize: 3, pollMs: 50 })),
      );
      const all = encoders.flatMap((e) => e.embedded);
      expect(all).toHaveLength(24);
      expect(new Set(all).size).toBe(24);
      expect(reports.reduce((n, r) => n + r.added, 0)).toBe(24);
      expect(await gallery.count()).toBe(24);
    } finally {
      await gallery.close();
    }
  }, 60_000);

  it('gets past a path stored meanwhile by a worker that outlived its lease, instead of failing the build', async () => {
    const gallery = await open('stalled');
    try {
      const items = itemsFromFiles(files().slice(0, 6), images, () => null);
      // A worker claimed the first batch, then stalled past its lease without storing anything yet.
      const stalled = await IngestQueue.join(pool, 'stalled', { worker: 'stalled', leaseSeconds: 0.2 });
      await stalled.enqueue(items);
      expect(await stalled.claim(3)).toHaveLength(3);
      await new Promise((r) => setTimeout(r, 400));
      const late = countingEncoder();
      const lateImages = items.slice(0, 3);
      // It wakes up and stores its batch just before the worker that took the batch over stores the same paths.
      let first = true;
      const racing = new Proxy(gallery, {
        get(t, key, receiver) {
          if (key !== 'add') return Reflect.get(t, key, receiver) as unknown;
          return async (...args: Parameters<Gallery['add']>) => {
            if (first) {
              first = false;
              const vectors = await late.embedImageFilesSettled(lateImages.map((i) => i.absPath));
              const stored = args[0].filter((img) => lateImages.some((i) => i.storedPath === img.path));
              await t.add(stored.map((img, k) => ({ ...img, embedding: (vectors[k] as { vector: Float32Array }).vector })));
            }
            return t.add(...args);
          };
        },
      });
      const report = await ingestShared({ gallery: racing, encoder: countingEncoder(), queue: await IngestQueue.join(pool, 'stalled', { worker: 'taker' }), items, batchSize: 6, pollMs: 50 });
      expect(report).toMatchObject({ added: 3, unchanged: 3 });
      expect(report.reclaimed).toBe(1);
      expect(await gallery.count()).toBe(6);
    } finally {
      await gallery.close();
    }
  }, 60_000);
});
