import type { ImageEncoder } from '../models/encoder.js';
import { readImageMeta } from '../vision/image-probe.js';
import type { Gallery } from './gallery.js';
import type { FootageFacts, NewImage } from './gallery-store.js';
import { hashRegularFile, statForIngest } from './ingest-file.js';

/** One file to index and what is known about it besides its pixels. */
export interface IngestItem {
  absPath: string;
  /** The path recorded in the index (see storedPathFor). */
  storedPath: string;
  personId: string | null;
  camera: string | null;
  capturedAt: string | null;
  captions?: string[];
  /** Where the crop was cut, for person crops from footage. */
  footage?: FootageFacts;
}

export interface IngestReport {
  considered: number;
  added: number;
  /** Already indexed with the same size and modification time. */
  unchanged: number;
  /** Re-indexed because the file at an indexed path changed. */
  replaced: number;
  /** Same bytes as an image already indexed under another path. */
  duplicates: Array<{ path: string; of: string }>;
  /** Unreadable files and entries that are not regular files, with the reason; they are recorded in the index and listed by `index info`. */
  skipped: Array<{ path: string; reason: string }>;
}

export interface IngestOptions {
  index: Gallery;
  encoder: Pick<ImageEncoder, 'embedImageFilesSettled'>;
  items: IngestItem[];
  /** Entries found unreadable before ingest (e.g. by the folder scan), by stored path: recorded and reported as skipped. */
  skipped?: Array<{ path: string; reason: string }>;
  /** Images per committed chunk: a crash loses at most one chunk of work. */
  chunkSize?: number;
  /** Seconds between checkpoints of the HNSW graph (SQLite commits every chunk regardless). */
  saveEverySeconds?: number;
  /** Checkpoint the HNSW graph when done (default true; a caller ingesting many small batches saves on its own schedule). */
  saveAtEnd?: boolean;
  onProgress?: (done: number, report: IngestReport) => void;
}

/** A file whose bytes the index does not hold at its path yet (new, or changed when `replaces`). */
interface NewFile {
  item: IngestItem;
  sha256: string;
  bytes: number;
  mtimeMs: number;
  replaces: boolean;
}

/**
 * Adds images to an index incrementally and resumably: files already indexed (same path, size and
 * mtime, or the same sha256 elsewhere) are skipped, unreadable files are recorded and skipped, and every
 * chunk commits atomically — a process killed at any moment resumes from the last chunk.
 */
export async function ingestImages(options: IngestOptions): Promise<IngestReport> {
  const { index, encoder, items } = options;
  const chunkSize = Math.max(1, options.chunkSize ?? 64);
  const saveEveryMs = (options.saveEverySeconds ?? 30) * 1000;
  const report: IngestReport = { considered: items.length, added: 0, unchanged: 0, replaced: 0, duplicates: [], skipped: [...(options.skipped ?? [])] };
  if (report.skipped.length > 0) await index.recordSkipped(report.skipped);
  let lastSave = Date.now();
  let done = 0;
  for (let start = 0; start < items.length; start += chunkSize) {
    const chunk = items.slice(start, start + chunkSize);
    const todo: NewFile[] = [];
    const skipped: Array<{ path: string; reason: string }> = [];
    // Lookups go one round trip per chunk (paths, then the new bytes' hashes), not one per image: against a
    // database server, a re-run over a million unchanged files would otherwise wait on a million round trips.
    const statted: Array<{ item: IngestItem; size: number; mtimeMs: number } | { item: IngestItem; reason: string }> = [];
    for (const item of chunk) {
      const info = await statForIngest(item.absPath);
      statted.push(info.ok ? { item, size: info.stats.size, mtimeMs: info.stats.mtimeMs } : { item, reason: info.reason });
    }
    const known = await index.findByPaths(statted.filter((s) => !('reason' in s)).map((s) => s.item.storedPath));
    const hashedNew: NewFile[] = [];
    for (const s of statted) {
      if ('reason' in s) {
        skipped.push({ path: s.item.storedPath, reason: s.reason });
        continue;
      }
      const existing = known.get(s.item.storedPath);
      if (existing && existing.bytes === s.size && existing.mtimeMs === s.mtimeMs) {
        report.unchanged++;
        continue;
      }
      const hashed = await hashRegularFile(s.item.absPath);
      if (!hashed.ok) {
        skipped.push({ path: s.item.storedPath, reason: hashed.reason });
        continue;
      }
      if (existing && existing.sha256 === hashed.sha256) {
        report.unchanged++;
        continue;
      }
      hashedNew.push({ item: s.item, sha256: hashed.sha256, bytes: s.size, mtimeMs: s.mtimeMs, replaces: existing !== undefined });
    }
    const twins = hashedNew.length > 0 ? await index.findByShas(hashedNew.map((h) => h.sha256)) : new Map<string, never>();
    const seen = new Map<string, string>();
    for (const h of hashedNew) {
      const twin = twins.get(h.sha256);
      const earlier = seen.get(h.sha256);
      if ((twin && twin.path !== h.item.storedPath) || earlier) {
        report.duplicates.push({ path: h.item.storedPath, of: earlier ?? twin!.path });
        continue;
      }
      seen.set(h.sha256, h.item.storedPath);
      todo.push(h);
    }
    const embedded = todo.length > 0 ? await encoder.embedImageFilesSettled(todo.map((t) => t.item.absPath)) : [];
    const fresh: NewImage[] = [];
    const replaced: string[] = [];
    for (const [i, result] of embedded.entries()) {
      const t = todo[i];
      if (!result.ok) {
        skipped.push({ path: t.item.storedPath, reason: result.error.message });
        continue;
      }
      const meta = await readImageMeta(t.item.absPath).catch(() => undefined);
      if (t.replaces) replaced.push(t.item.storedPath);
      fresh.push({
        path: t.item.storedPath,
        sha256: t.sha256,
        personId: t.item.personId,
        camera: t.item.camera,
        capturedAt: t.item.capturedAt,
        width: meta?.width ?? null,
        height: meta?.height ?? null,
        bytes: t.bytes,
        mtimeMs: t.mtimeMs,
        embedding: result.vector,
        captions: t.item.captions,
        ...(t.item.footage ? { footage: t.item.footage } : {}),
      });
    }
    if (replaced.length > 0) await index.remove(replaced);
    await index.add(fresh);
    if (skipped.length > 0) await index.recordSkipped(skipped);
    report.added += fresh.length - replaced.length;
    report.replaced += replaced.length;
    report.skipped.push(...skipped);
    done += chunk.length;
    if (Date.now() - lastSave >= saveEveryMs) {
      await index.save();
      lastSave = Date.now();
    }
    options.onProgress?.(done, report);
  }
  if (options.saveAtEnd ?? true) await index.save();
  return report;
}

/** Adds report `r` (another chunk, source or worker of one build) into `into`. */
export function mergeIngestReports(into: IngestReport, r: IngestReport): void {
  into.considered += r.considered;
  into.added += r.added;
  into.unchanged += r.unchanged;
  into.replaced += r.replaced;
  into.duplicates.push(...r.duplicates);
  into.skipped.push(...r.skipped);
}
