import { resolve } from 'node:path';
import type { DatasetEntry } from '../datasets/dataset.js';
import { openImageEncoder } from '../models/open-encoders.js';
import type { ImageLimits } from '../vision/image-limits.js';
import type { Gallery } from './gallery.js';
import { DEFAULT_HNSW } from './folder.gallery.js';
import { describeGalleryRef, existingManifest, galleryRef, openOrCreateGallery, type GalleryRef } from './open-gallery.js';
import type { GalleryManifest } from './gallery-manifest.js';
import { CtgiError } from '../errors/ctgi-error.js';
import { ingestImages, type IngestItem, type IngestReport } from './ingest.js';
import { cameraMatcher, itemsFromDataset } from './ingest-items.js';
import { IngestQueue, openQueuePool } from './ingest-queue.js';
import { ingestShared, type SharedIngestReport } from './shared-ingest.js';

// The index flow (DESIGN.md flow 1) in one place: open or create the gallery, open the image encoder of its
// model, ingest the items resumably, save. `ctgi index build/add`, the demo world's build and `ctgi eval
// --mti` all call it.

/** What to index and where. */
export interface IndexRequest {
  /** The gallery: a folder path, or a reference (a named gallery in a PostgreSQL database). */
  indexDir: string | GalleryRef;
  /** Shared builds (a gallery in PostgreSQL): seconds a claimed batch stays this worker's without a renewal (default 60). */
  leaseSeconds?: number;
  /** Model directory; required when the index does not exist yet (an existing index keeps its own model). */
  modelDir?: string;
  /** Folder stored paths are relative to (for a new index). */
  imagesRoot: string | null;
  /** The items, built once the index is open (paths of an existing index stay relative to its own root). */
  items: IngestItem[] | ((indexRoot: string | null) => Promise<IngestItem[]> | IngestItem[]);
  hnsw?: GalleryManifest['hnsw'];
  batchSize?: number;
  limits?: ImageLimits;
  /** Seconds between checkpoints of the HNSW graph. */
  saveEverySeconds?: number;
  /** Entries found but not readable (special files, links outside the root), recorded with the reason. */
  skipped?: (indexRoot: string | null) => Array<{ path: string; reason: string }>;
  onProgress?: (done: number, total: number) => void;
  /** Messages for the operator while the build goes on (shared builds: the database unreachable, retrying). */
  log?: (message: string) => void;
}

/** What an index run did. */
export interface IndexResult {
  dir: string;
  /** Images the index holds now. */
  size: number;
  report: IngestReport;
  /** Shared builds (a gallery in PostgreSQL): this worker's name, the run's figures and batches taken over. */
  shared?: Pick<SharedIngestReport, 'worker' | 'run' | 'reclaimed'>;
}

/** An open gallery and encoder that items can be ingested into, chunk by chunk, until closed. */
export interface IndexRun {
  gallery: Gallery;
  /** Ingests items resumably (see ingestImages); may be called many times. */
  ingest(items: IngestItem[], onProgress?: (done: number) => void, skipped?: Array<{ path: string; reason: string }>): Promise<IngestReport>;
  close(): Promise<void>;
}

/**
 * Opens the gallery at `indexDir` (created when missing) with the image encoder of its model, for flows that
 * ingest in several steps (footage: crops arrive as tracks end).
 * @throws CtgiError when the model or the index cannot be opened, or the model does not match the index.
 */
export async function openIndexRun(request: Omit<IndexRequest, 'items' | 'onProgress' | 'skipped'>): Promise<IndexRun & { ref: GalleryRef; encoder: IndexEncoder }> {
  const ref = typeof request.indexDir === 'string' ? galleryRef(request.indexDir) : request.indexDir;
  const existing = await existingManifest(ref);
  const modelDir = request.modelDir ?? existing?.model.dir;
  if (!modelDir) throw new CtgiError('BAD_INPUT', `${describeGalleryRef(request.indexDir)} is not an index yet; give --model DIR to create it.`);
  const batchSize = request.batchSize ?? 16;
  const { encoder, description } = await openImageEncoder(modelDir, { batchSize, ...(request.limits ? { limits: request.limits } : {}) });
  let gallery: Gallery;
  try {
    gallery = await openOrCreateGallery(ref, { model: description, hnsw: request.hnsw ?? { ...DEFAULT_HNSW }, imagesRoot: request.imagesRoot });
  } catch (err) {
    await encoder.close();
    throw err;
  }
  // Many small ingests (footage commits every few seconds) checkpoint the HNSW graph on the usual schedule,
  // not after each one: SQLite is the source of truth and opening an index reconciles the graph with it.
  const saveEveryMs = (request.saveEverySeconds ?? 30) * 1000;
  let lastSave = Date.now();
  return {
    gallery,
    ref,
    encoder,
    async ingest(items, onProgress, skipped) {
      const report = await ingestImages({
        index: gallery,
        encoder,
        items,
        ...(skipped && skipped.length > 0 ? { skipped } : {}),
        chunkSize: Math.max(batchSize * 4, 32),
        saveAtEnd: false,
        ...(request.saveEverySeconds !== undefined ? { saveEverySeconds: request.saveEverySeconds } : {}),
        ...(onProgress ? { onProgress: (done: number) => onProgress(done) } : {}),
      });
      if (Date.now() - lastSave >= saveEveryMs) {
        await gallery.save();
        lastSave = Date.now();
      }
      return report;
    },
    async close() {
      try {
        await gallery.close();
      } finally {
        await encoder.close();
      }
    },
  };
}

/**
 * Indexes `items` into the gallery at `indexDir` (created when missing), resumably: a run killed at any
 * moment continues where it stopped, images already indexed are not embedded again.
 * @throws CtgiError when the model or the index cannot be opened, or the model does not match the index.
 */
export async function indexImages(request: IndexRequest): Promise<IndexResult> {
  const run = await openIndexRun(request);
  try {
    const items = typeof request.items === 'function' ? await request.items(run.gallery.manifest.imagesRoot) : request.items;
    if (run.ref.kind === 'postgres') return await indexShared(run, run.ref, request, items);
    const report = await run.ingest(items, (done) => request.onProgress?.(done, items.length), request.skipped?.(run.gallery.manifest.imagesRoot));
    return { dir: run.gallery.location, size: await run.gallery.count(), report };
  } finally {
    await run.close();
  }
}

type IndexEncoder = Parameters<typeof ingestImages>[0]['encoder'];

/** One worker of a shared build over a gallery in PostgreSQL: joins the gallery's run and works until it is done. */
async function indexShared(run: IndexRun & { encoder: IndexEncoder }, ref: Extract<GalleryRef, { kind: 'postgres' }>, request: IndexRequest, items: IngestItem[]): Promise<IndexResult> {
  const pool = await openQueuePool(ref);
  try {
    const queue = await IngestQueue.join(pool, ref.name, request.leaseSeconds !== undefined ? { leaseSeconds: request.leaseSeconds } : {});
    const batchSize = request.batchSize ?? 16;
    const { worker, run: figures, reclaimed, ...report } = await ingestShared({
      gallery: run.gallery,
      encoder: run.encoder,
      queue,
      items,
      skipped: request.skipped?.(run.gallery.manifest.imagesRoot) ?? [],
      batchSize: Math.max(batchSize * 4, 32),
      onProgress: (p) => request.onProgress?.(p.done, p.total),
      ...(request.log ? { log: request.log } : {}),
    });
    return { dir: run.gallery.location, size: await run.gallery.count(), report, shared: { worker, run: figures, reclaimed } };
  } finally {
    await pool.end();
  }
}

/**
 * Indexes the images of dataset entries (one split, say) with their person ids and captions, in the order
 * of their paths, so two indexes of the same entries hold the same ids. `cameraPattern`: a regular
 * expression whose first group names an image's camera in its path.
 */
export async function indexDataset(request: Omit<IndexRequest, 'items' | 'imagesRoot'> & { entries: readonly DatasetEntry[]; imagesRoot: string; cameraPattern?: string }): Promise<IndexResult> {
  const root = resolve(request.imagesRoot);
  const { entries, cameraPattern, ...rest } = request;
  return indexImages({ ...rest, imagesRoot: root, items: itemsFromDataset([...entries], root, cameraMatcher(cameraPattern)) });
}

