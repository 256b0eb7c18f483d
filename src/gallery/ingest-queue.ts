import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { openDatabase, type DatabaseTarget } from '../storage/open-database.js';
import type { PgPool } from '../storage/postgres.js';
import type { IngestItem } from './ingest.js';

// The job table of shared index builds (migration 0006_ingest_jobs): one open run per gallery that every
// build process joins, its items enqueued idempotently by stored path, claimed in batches with
// FOR UPDATE SKIP LOCKED under a lease that the worker renews while it works. A worker that dies stops
// renewing; once its lease expires its claimed items are claimable again.

/** Items enqueued per INSERT statement. */
const ENQUEUE_CHUNK = 1000;

/** Hours a finished run's job rows are kept (workers still reporting on it read them), then deleted. */
const FINISHED_RUN_KEEP_HOURS = 24;

/** A claimed item and the run it belongs to. */
export interface ClaimedItem {
  seq: number;
  item: IngestItem;
  /** Claims of this item so far, this one included (above 1: an earlier worker's lease expired). */
  attempts: number;
}

/** Where a run stands. */
export interface RunProgress {
  total: number;
  done: number;
  /** Pending items some worker holds a live lease on. */
  leased: number;
}

/** A name for this worker, unique across machines and processes: `host:pid:random`. */
export function workerName(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/**
 * A small pool of its own for the queue (the gallery keeps its own), on the gallery's database.
 * @throws CtgiError as openDatabase (CONFIG_INVALID for an unreadable CA file).
 */
export async function openQueuePool(db: DatabaseTarget): Promise<PgPool> {
  return openDatabase(db, { max: 2, applicationName: 'ctgi index build' });
}

/** The shared queue of one gallery's open index run. */
export class IngestQueue {
  private constructor(
    private readonly pool: PgPool,
    readonly runId: number,
    readonly worker: string,
    readonly leaseSeconds: number,
  ) {}

  /** Joins the gallery's open run, or starts one when none is open. */
  static async join(pool: PgPool, gallery: string, options: { worker?: string; leaseSeconds?: number } = {}): Promise<IngestQueue> {
    // Runs finished a day ago have no workers left to report on them: their job rows (one per image) go.
    await pool.query(`DELETE FROM ingest_runs WHERE finished_at < now() - interval '${FINISHED_RUN_KEEP_HOURS} hours'`);
    for (;;) {
      await pool.query('INSERT INTO ingest_runs (gallery) VALUES ($1) ON CONFLICT (gallery) WHERE finished_at IS NULL DO NOTHING', [gallery]);
      const open = await pool.query<{ id: string }>('SELECT id FROM ingest_runs WHERE gallery = $1 AND finished_at IS NULL', [gallery]);
      // Empty when another worker finished the run between the two statements: start the next one.
      if (open.rows.length > 0) return new IngestQueue(pool, Number(open.rows[0].id), options.worker ?? workerName(), options.leaseSeconds ?? 60);
    }
  }

  /** Adds items not in the run yet (another worker may have enqueued the same ones); returns how many were new. */
  async enqueue(items: readonly IngestItem[]): Promise<number> {
    let added = 0;
    for (let start = 0; start < items.length; start += ENQUEUE_CHUNK) {
      const chunk = items.slice(start, start + ENQUEUE_CHUNK);
      const { rowCount } = await this.pool.query(
        `INSERT INTO ingest_jobs (run_id, stored_path, abs_path, item)
         SELECT $1, p, a, i::jsonb FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS t(p, a, i, n) ORDER BY n
         ON CONFLICT (run_id, stored_path) DO NOTHING`,
        [this.runId, chunk.map((i) => i.storedPath), chunk.map((i) => i.absPath), chunk.map((i) => JSON.stringify(itemFacts(i)))],
      );
      added += rowCount ?? 0;
    }
    return added;
  }

  /** Claims up to `limit` pending items nobody holds a live lease on, oldest first. */
  async claim(limit: number): Promise<ClaimedItem[]> {
    const { rows } = await this.pool.query<{ seq: string; stored_path: string; abs_path: string; item: ItemFacts; attempts: number }>(
      // MATERIALIZED: the claimable rows are picked once; a subquery the planner rescans per row (a nested
      // loop) would pick a fresh LIMIT on every rescan and claim more than asked.
      `WITH c AS MATERIALIZED (
         SELECT stored_path FROM ingest_jobs
         WHERE run_id = $1 AND state = 'pending' AND (lease_until IS NULL OR lease_until < now())
         ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED)
       UPDATE ingest_jobs j SET claimed_by = $2, lease_until = now() + make_interval(secs => $4), attempts = j.attempts + 1
       FROM c WHERE j.run_id = $1 AND j.stored_path = c.stored_path
       RETURNING j.seq, j.stored_path, j.abs_path, j.item, j.attempts`,
      [this.runId, this.worker, limit, this.leaseSeconds],
    );
    return rows
      .map((r) => ({ seq: Number(r.seq), attempts: r.attempts, item: { ...r.item, storedPath: r.stored_path, absPath: r.abs_path } }))
      .sort((a, b) => a.seq - b.seq);
  }

  /** Extends this worker's leases; returns how many items it still holds. */
  async renew(): Promise<number> {
    const { rowCount } = await this.pool.query(
      "UPDATE ingest_jobs SET lease_until = now() + make_interval(secs => $3) WHERE run_id = $1 AND claimed_by = $2 AND state = 'pending'",
      [this.runId, this.worker, this.leaseSeconds],
    );
    return rowCount ?? 0;
  }

  /**
   * Marks items done (they are stored in the gallery). Returns how many were still this worker's: fewer
   * means a lease expired and another worker claimed them meanwhile (its dedupe finds them stored).
   */
  async complete(storedPaths: readonly string[]): Promise<number> {
    const { rowCount } = await this.pool.query(
      `UPDATE ingest_jobs SET state = 'done', done_by = $3, done_at = now(), claimed_by = NULL, lease_until = NULL
       WHERE run_id = $1 AND stored_path = ANY($2::text[]) AND state = 'pending'`,
      [this.runId, storedPaths, this.worker],
    );
    return rowCount ?? 0;
  }

  /**
   * Lets go of live leases held by workers of this machine whose process is gone (a kill -9, a crash), so a
   * re-run on the same machine need not wait for the lease to expire. Returns how many items were released.
   */
  async releaseDeadLocal(isAlive: (pid: number) => boolean): Promise<number> {
    const prefix = `${hostname()}:`;
    const { rows } = await this.pool.query<{ claimed_by: string }>(
      "SELECT DISTINCT claimed_by FROM ingest_jobs WHERE run_id = $1 AND state = 'pending' AND lease_until >= now() AND starts_with(claimed_by, $2)",
      [this.runId, prefix],
    );
    const dead = rows.map((r) => r.claimed_by).filter((w) => w !== this.worker && !isAlive(Number(w.slice(prefix.length).split(':')[0])));
    if (dead.length === 0) return 0;
    const { rowCount } = await this.pool.query(
      "UPDATE ingest_jobs SET lease_until = now() - interval '1 second' WHERE run_id = $1 AND state = 'pending' AND claimed_by = ANY($2::text[])",
      [this.runId, dead],
    );
    return rowCount ?? 0;
  }

  /** Counts of the run's items. */
  async progress(): Promise<RunProgress> {
    const { rows } = await this.pool.query<{ total: number; done: number; leased: number }>(
      `SELECT count(*)::int AS total, (count(*) FILTER (WHERE state = 'done'))::int AS done,
              (count(*) FILTER (WHERE state = 'pending' AND lease_until >= now()))::int AS leased
       FROM ingest_jobs WHERE run_id = $1`,
      [this.runId],
    );
    return rows[0];
  }

  /** Closes the run when every item is done (so the next build starts a new one); true when it is closed. */
  async finishIfDone(): Promise<boolean> {
    const { rows } = await this.pool.query<{ open: boolean }>(
      `UPDATE ingest_runs r SET finished_at = COALESCE(r.finished_at, now())
       WHERE r.id = $1 AND NOT EXISTS (SELECT 1 FROM ingest_jobs WHERE run_id = $1 AND state = 'pending')
       RETURNING false AS open`,
      [this.runId],
    );
    return rows.length > 0;
  }
}

type ItemFacts = Omit<IngestItem, 'absPath' | 'storedPath'>;

function itemFacts(item: IngestItem): ItemFacts {
  const { absPath: _abs, storedPath: _stored, ...facts } = item;
  return facts;
}
