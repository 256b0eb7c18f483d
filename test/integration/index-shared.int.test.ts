import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/storage/postgres.js';
import { writeTinyClipModel, type TinyClipInfo } from '../fixtures/tiny-clip.js';
import { hasPostgres, makeTestDatabase, POSTGRES_SKIP_REASON } from '../helpers/postgres.js';
import { contents, openShared, sharedBuildArgs, startWorker, waitForProgress, writeImages } from '../helpers/shared-build.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// Several `ctgi index build --database` processes over one gallery share one run through the job table: each
// image is embedded and stored once, and a killed worker's claimed images go back to the queue.

if (!hasPostgres) console.warn(POSTGRES_SKIP_REASON);

const IMAGES = 240;

describe.skipIf(!hasPostgres)('shared index builds in PostgreSQL', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let db: Awaited<ReturnType<typeof makeTestDatabase>>;
  let model: TinyClipInfo;
  let images: string;

  beforeAll(async () => {
    temp = await makeTempDir('shared-build');
    db = await makeTestDatabase('shared_build');
    model = await writeTinyClipModel(join(temp.dir, 'model'), { layout: 'hf' });
    images = join(temp.dir, 'images');
    await writeImages(images, IMAGES);
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
    await temp?.cleanup();
  });

  async function pendingJobs(): Promise<number> {
    const pool = await openPostgres(db.url, { migrate: false, max: 1 });
    try {
      return (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM ingest_jobs WHERE state = 'pending'")).rows[0].n;
    } finally {
      await pool.end();
    }
  }

  it('embeds every image exactly once when two workers build the same gallery at once', async () => {
    const args = sharedBuildArgs({ model: model.dir, images, index: 'together', database: db.url });
    const [a, b] = await Promise.all([startWorker(args).done, startWorker(args).done]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const ra = JSON.parse(a.stdout);
    const rb = JSON.parse(b.stdout);
    // Both joined one run; between them they embedded each image once and never re-checked the other's.
    expect(ra.shared.run.id).toBe(rb.shared.run.id);
    expect(ra.added + rb.added).toBe(IMAGES);
    expect(ra.unchanged + rb.unchanged).toBe(0);
    expect(ra.considered + rb.considered).toBe(IMAGES);
    expect(ra.shared.run).toMatchObject({ items: IMAGES, done: IMAGES });
    console.info(`shared build: worker A embedded ${ra.added}, worker B ${rb.added} of ${IMAGES}`);

    const gallery = (await openShared(db.url, 'together'))!;
    try {
      const c = await contents(gallery);
      expect(c.count).toBe(IMAGES);
      expect(new Set(c.paths).size).toBe(IMAGES);
      expect(new Set(c.shas).size).toBe(IMAGES);
    } finally {
      await gallery.close({ save: false });
    }
    expect(await pendingJobs()).toBe(0);
  }, 480_000);

  it('hands a SIGKILLed worker’s claimed images to the workers that resume: nothing lost or doubled', async () => {
    const args = sharedBuildArgs({ model: model.dir, images, index: 'killed', database: db.url, lease: 3 });
    const victim = startWorker(args);
    await waitForProgress(victim, 40);
    victim.child.kill('SIGKILL');
    expect((await victim.done).signal).toBe('SIGKILL');

    const before = (await openShared(db.url, 'killed'))!;
    const stored = await before.count();
    await before.close({ save: false });
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThan(IMAGES);
    expect(await pendingJobs()).toBeGreaterThan(0);

    // Two workers resume the run; they release the victim's claims at once (its process is gone from this
    // machine; from another machine they would wait for the 3 s lease).
    const [a, b] = await Promise.all([startWorker(args).done, startWorker(args).done]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const ra = JSON.parse(a.stdout);
    const rb = JSON.parse(b.stdout);
    // What the victim stored is not embedded again: the resumers embed exactly the rest.
    expect(ra.added + rb.added).toBe(IMAGES - stored);
    expect(ra.shared.run).toMatchObject({ items: IMAGES, done: IMAGES });

    const gallery = (await openShared(db.url, 'killed'))!;
    try {
      const c = await contents(gallery);
      expect(c.count).toBe(IMAGES);
      expect(new Set(c.paths).size).toBe(IMAGES);
      expect(new Set(c.shas).size).toBe(IMAGES);
    } finally {
      await gallery.close({ save: false });
    }
    expect(await pendingJobs()).toBe(0);

    // A later build starts a new run and finds everything indexed.
    const again = await startWorker(args).done;
    expect(again.code, again.stderr).toBe(0);
    const r = JSON.parse(again.stdout);
    expect(r.shared.run.id).not.toBe(ra.shared.run.id);
    expect(r).toMatchObject({ added: 0, unchanged: IMAGES, images: IMAGES });
  }, 480_000);
});
