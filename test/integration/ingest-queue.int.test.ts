import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processAlive } from '../../src/util/process.js';
import { IngestQueue } from '../../src/gallery/ingest-queue.js';
import type { IngestItem } from '../../src/gallery/ingest.js';
import { openPostgres, type PgPool } from '../../src/storage/postgres.js';
import { hasPostgres, makeTestDatabase, POSTGRES_SKIP_REASON } from '../helpers/postgres.js';

// The job table of shared index builds against a real server: two pools stand for two worker processes.

if (!hasPostgres) console.warn(POSTGRES_SKIP_REASON);

const items = (n: number, prefix = 'img'): IngestItem[] =>
  Array.from({ length: n }, (_, k) => ({ absPath: `/data/${prefix}${k}.png`, storedPath: `${prefix}${k}.png`, personId: String(k % 7), camera: k % 2 ? 'c1' : null, capturedAt: null, captions: [`caption ${k} with 'quotes' and \u00e9`] }));

describe.skipIf(!hasPostgres)('the shared ingest queue', () => {
  let db: { url: string; drop: () => Promise<void> };
  let a: PgPool;
  let b: PgPool;
  beforeAll(async () => {
    db = await makeTestDatabase('ingest_queue');
    a = await openPostgres(db.url);
    b = await openPostgres(db.url);
  }, 60_000);
  afterAll(async () => {
    await a?.end();
    await b?.end();
    await db?.drop();
  });

  it('lets two workers join one run, enqueue the same items once and claim disjoint batches covering them all', async () => {
    const [qa, qb] = await Promise.all([IngestQueue.join(a, 'people', { worker: 'A' }), IngestQueue.join(b, 'people', { worker: 'B' })]);
    expect(qa.runId).toBe(qb.runId);
    const list = items(200);
    const [na, nb] = await Promise.all([qa.enqueue(list), qb.enqueue(list)]);
    expect(na + nb).toBe(200);
    expect((await qa.progress()).total).toBe(200);

    const seen = new Map<string, string>();
    const work = async (q: IngestQueue) => {
      for (;;) {
        const batch = await q.claim(7);
        if (batch.length === 0) return;
        for (const c of batch) {
          expect(seen.has(c.item.storedPath)).toBe(false);
          seen.set(c.item.storedPath, q.worker);
        }
        await q.complete(batch.map((c) => c.item.storedPath));
      }
    };
    await Promise.all([work(qa), work(qb), work(qa), work(qb)]);
    expect([...seen.keys()].sort()).toEqual(list.map((i) => i.storedPath).sort());
    expect(new Set(seen.values())).toEqual(new Set(['A', 'B']));
    expect(await qa.progress()).toEqual({ total: 200, done: 200, leased: 0 });

    expect(await qa.finishIfDone()).toBe(true);
    const next = await IngestQueue.join(b, 'people', { worker: 'B' });
    expect(next.runId).not.toBe(qa.runId);
  }, 60_000);

  it('returns a claimed item with its metadata intact, and hands a dead worker’s claims to another once its lease expires', async () => {
    const dead = await IngestQueue.join(a, 'lobby', { worker: 'dead', leaseSeconds: 0.5 });
    const live = await IngestQueue.join(b, 'lobby', { worker: 'live', leaseSeconds: 30 });
    await dead.enqueue(items(5, 'lobby'));
    const held = await dead.claim(3);
    expect(held.map((c) => c.item)).toEqual(items(3, 'lobby'));
    // The live worker gets only what is not leased…
    const first = await live.claim(10);
    expect(first.map((c) => c.item.storedPath)).toEqual(['lobby3.png', 'lobby4.png']);
    await live.complete(first.map((c) => c.item.storedPath));
    expect(await live.finishIfDone()).toBe(false);
    // …and the dead worker's items once its lease has run out, as a second attempt.
    let taken: Awaited<ReturnType<IngestQueue['claim']>> = [];
    while (taken.length === 0) {
      await new Promise((r) => setTimeout(r, 100));
      taken = await live.claim(10);
    }
    expect(taken.map((c) => [c.item.storedPath, c.attempts])).toEqual([
      ['lobby0.png', 2],
      ['lobby1.png', 2],
      ['lobby2.png', 2],
    ]);
    expect(await live.complete(taken.map((c) => c.item.storedPath))).toBe(3);
    expect(await live.finishIfDone()).toBe(true);
  }, 30_000);

  it('keeps a lease alive while its worker renews it', async () => {
    const slow = await IngestQueue.join(a, 'garage', { worker: 'slow', leaseSeconds: 0.6 });
    const other = await IngestQueue.join(b, 'garage', { worker: 'other' });
    await slow.enqueue(items(2, 'garage'));
    expect(await slow.claim(2)).toHaveLength(2);
    for (let k = 0; k < 6; k++) {
      await new Promise((r) => setTimeout(r, 200));
      expect(await slow.renew()).toBe(2);
      expect(await other.claim(2)).toEqual([]);
    }
  }, 30_000);

  it('deletes the job rows of runs finished over a day ago when a worker joins, keeping recent and open runs', async () => {
    const runOf = async (gallery: string) => {
      const q = await IngestQueue.join(a, gallery, { worker: 'W' });
      await q.enqueue(items(3, gallery));
      return q.runId;
    };
    const [old, recent, open] = [await runOf('porch'), await runOf('patio'), await runOf('attic')];
    await a.query("UPDATE ingest_runs SET finished_at = now() - interval '25 hours' WHERE id = $1", [old]);
    await a.query("UPDATE ingest_runs SET finished_at = now() - interval '23 hours' WHERE id = $1", [recent]);
    const jobs = async (run: number) => (await a.query<{ n: number }>('SELECT count(*)::int AS n FROM ingest_jobs WHERE run_id = $1', [run])).rows[0].n;
    expect([await jobs(old), await jobs(recent), await jobs(open)]).toEqual([3, 3, 3]);
    await IngestQueue.join(b, 'somewhere-else', { worker: 'B' });
    expect([await jobs(old), await jobs(recent), await jobs(open)]).toEqual([0, 3, 3]);
    const runs = (await a.query<{ id: string }>('SELECT id FROM ingest_runs WHERE id = ANY($1::bigint[])', [[old, recent, open]])).rows.map((r) => Number(r.id));
    expect(runs.sort((x, y) => x - y)).toEqual([recent, open].sort((x, y) => x - y));
  }, 30_000);

  it('releases at once the claims of a worker of this machine whose process is gone, and only those', async () => {
    const me = hostname();
    const gone = await IngestQueue.join(a, 'yard', { worker: `${me}:999999999:dead01` });
    const alive = await IngestQueue.join(a, 'yard', { worker: `${me}:${process.pid}:live01` });
    const remote = await IngestQueue.join(a, 'yard', { worker: 'another-host:1:far001' });
    const taker = await IngestQueue.join(b, 'yard', { worker: `${me}:${process.pid}:taker1` });
    await taker.enqueue(items(6, 'yard'));
    expect(await gone.claim(2)).toHaveLength(2);
    expect(await alive.claim(2)).toHaveLength(2);
    expect(await remote.claim(2)).toHaveLength(2);
    expect(await taker.claim(6)).toEqual([]);
    expect(await taker.releaseDeadLocal(processAlive)).toBe(2);
    expect((await taker.claim(6)).map((c) => c.item.storedPath)).toEqual(['yard0.png', 'yard1.png']);
    expect(await taker.releaseDeadLocal(processAlive)).toBe(0);
  }, 30_000);
});
