import type { ImageEncoder } from '../models/encoder.js';
import { processAlive } from '../util/process.js';
import { hasPgCode, withPgRetry, type PgRetryOptions } from '../storage/pg-retry.js';
import type { Gallery } from './gallery.js';
import { ingestImages, mergeIngestReports, type IngestItem, type IngestReport } from './ingest.js';
import type { IngestQueue, RunProgress } from './ingest-queue.js';

// One worker of a shared index build (several processes, possibly on several machines, over one gallery in
// PostgreSQL): enqueue this worker's items into the run, then claim batches until the whole run is done,
// ingesting each batch with the usual resumable ingest and marking it done right after its images are
// stored. The crash window: a worker killed after a batch is stored but before it is marked done leaves
// the batch claimed; when the lease expires another worker (or a re-run) claims it again and ingest's dedupe
// finds every image already stored with the same size and mtime, so nothing is embedded or stored twice.

const UNIQUE_VIOLATION = '23505';

export interface SharedIngestOptions {
  gallery: Gallery;
  encoder: Pick<ImageEncoder, 'embedImageFilesSettled'>;
  queue: IngestQueue;
  /** This worker's items (every worker may bring the same list; each image is processed once per run). */
  items: IngestItem[];
  skipped?: Array<{ path: string; reason: string }>;
  /** Items per claimed batch. */
  batchSize: number;
  /** Pause between polls while other workers hold the last items (default 1 s). */
  pollMs?: number;
  /** How long a lost database is waited for before the build gives up (default 120 s). */
  patienceMs?: number;
  onProgress?: (progress: RunProgress) => void;
  /** Messages for the operator (database unreachable, lease lost). */
  log?: (message: string) => void;
}

/** What one worker did, and how the shared run stands. */
export interface SharedIngestReport extends IngestReport {
  worker: string;
  run: { id: number; items: number; done: number; enqueued: number };
  /** Batches this worker took over from a worker whose lease expired. */
  reclaimed: number;
}

/**
 * Works on the gallery's shared run until every item in it is done. Safe to run in many processes at
 * once and to kill at any moment (see the crash window above).
 * @throws CtgiError UPSTREAM_FAILED when the database stays unreachable beyond the patience.
 */
export async function ingestShared(options: SharedIngestOptions): Promise<SharedIngestReport> {
  const { gallery, encoder, queue } = options;
  const retry = <T>(what: string, fn: () => Promise<T>, extra: Pick<PgRetryOptions, 'alsoRetry'> = {}) =>
    withPgRetry(what, fn, {
      patienceMs: options.patienceMs,
      onRetry: (err, attempt) => attempt === 1 && !hasPgCode(err, UNIQUE_VIOLATION) && options.log?.(`The database is unreachable while ${what}; retrying.`),
      ...extra,
    });
  // Prefer this worker's own absolute path for an item: another machine may mount the images elsewhere.
  const local = new Map(options.items.map((i) => [i.storedPath, i.absPath]));
  const enqueued = await retry('enqueueing the images', () => queue.enqueue(options.items));
  const report: SharedIngestReport = {
    considered: 0,
    added: 0,
    unchanged: 0,
    replaced: 0,
    duplicates: [],
    skipped: [],
    worker: queue.worker,
    run: { id: queue.runId, items: 0, done: 0, enqueued },
    reclaimed: 0,
  };
  if (options.skipped && options.skipped.length > 0) {
    await retry('recording skipped files', () => gallery.recordSkipped(options.skipped!));
    report.skipped.push(...options.skipped);
  }
  const heartbeat = setInterval(() => void queue.renew().catch(() => undefined), leaseRenewMs(queue));
  try {
    for (;;) {
      const batch = await retry('claiming images', () => queue.claim(options.batchSize));
      if (batch.length === 0) {
        const progress = await retry('reading the run', () => queue.progress());
        options.onProgress?.(progress);
        if (progress.done >= progress.total) break;
        // Other workers hold the rest; wait for them to finish or for their leases to expire (at once for
        // workers of this machine that are gone).
        if (progress.leased > 0 && (await retry('checking local workers', () => queue.releaseDeadLocal(processAlive))) > 0) continue;
        await new Promise((r) => setTimeout(r, options.pollMs ?? 1000));
        continue;
      }
      if (batch.some((c) => c.attempts > 1)) report.reclaimed++;
      const items = batch.map((c) => ({ ...c.item, absPath: local.get(c.item.storedPath) ?? c.item.absPath }));
      // A failed write (the server restarting) repeats the batch; ingest's dedupe skips what got stored. So
      // does a path stored meanwhile by a worker that outlived its lease (stalled, then resumed): the repeat
      // finds it indexed instead of failing the build.
      const done = await retry('storing images', () => ingestImages({ index: gallery, encoder, items, chunkSize: items.length, saveAtEnd: false }), {
        alsoRetry: (err) => hasPgCode(err, UNIQUE_VIOLATION),
      });
      await retry('marking images done', () => queue.complete(items.map((i) => i.storedPath)));
      mergeIngestReports(report, done);
      options.onProgress?.(await retry('reading the run', () => queue.progress()));
    }
    await retry('closing the run', () => queue.finishIfDone());
    const progress = await retry('reading the run', () => queue.progress());
    report.run.items = progress.total;
    report.run.done = progress.done;
    return report;
  } finally {
    clearInterval(heartbeat);
  }
}

function leaseRenewMs(queue: IngestQueue): number {
  return Math.max(250, (queue.leaseSeconds * 1000) / 3);
}
