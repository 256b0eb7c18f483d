import { CtgiError, isCtgiError } from '../errors/ctgi-error.js';
import type { Gallery } from './gallery.js';
import { existingManifest, galleryRef, openGallery, openOrCreateGallery, type GalleryDatabase, type GalleryRef } from './open-gallery.js';
import { assertSameModel } from './gallery-manifest.js';
import type { NewAttributeAnswer, NewImage } from './gallery-store.js';

// `ctgi index migrate`: copies one gallery into another through the Gallery port, so it works between any two
// adapters (folder → PostgreSQL and back). The stored vectors are copied as they are: nothing is re-encoded.
// Resumable: images already in the target (same path and bytes) are not added again, and captions and
// attribute answers are upserted, so a copy killed at any moment is finished by running it again.

/** Dataset captions travel with their image (several per image); other sources hold one caption each. */
const DATASET_SOURCE = 'dataset';

export interface CopyOptions {
  /** Images per step (default 500). */
  chunkSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/** What a copy did. */
export interface CopyReport {
  images: number;
  /** Images added to the target by this run. */
  copied: number;
  /** Images the target already held (an earlier, interrupted copy). */
  alreadyThere: number;
  /** Images not copied: the target holds other bytes at the same path. */
  conflicts: Array<{ path: string; reason: string }>;
  captions: number;
  answers: number;
  skipped: number;
}

/**
 * Copies every image of `source` (metadata, embedding, time added, captions, attribute answers) and its
 * skipped list into `target`, oldest image first, and saves the target.
 * @throws CtgiError INDEX_MISMATCH when the target was made with another model.
 */
export async function copyGallery(source: Gallery, target: Gallery, options: CopyOptions = {}): Promise<CopyReport> {
  assertSameModel(target.manifest, { id: source.manifest.model.id, dim: source.manifest.model.dim }, target.location);
  if (target.manifest.model.dim !== source.manifest.model.dim) {
    throw new CtgiError('INDEX_MISMATCH', `${target.location} holds ${target.manifest.model.dim}-d vectors, ${source.location} ${source.manifest.model.dim}-d ones.`);
  }
  const dim = source.manifest.model.dim;
  const chunkSize = Math.max(1, options.chunkSize ?? 500);
  // A chunk's vectors at a time (never the whole gallery's: 2 GB for a million 512-d images).
  const ids = await source.imageIds();
  // An empty target needs no lookups; a resumed copy does (one per chunk).
  const resuming = (await target.count()) > 0;
  const report: CopyReport = { images: ids.length, copied: 0, alreadyThere: 0, conflicts: [], captions: 0, answers: 0, skipped: 0 };
  for (let start = 0; start < ids.length; start += chunkSize) {
    const chunk = ids.slice(start, start + chunkSize);
    const [records, vectors, captions, answers] = await Promise.all([source.getMany(chunk), source.embeddingsOf(chunk), source.captionsOf(chunk), source.attributeAnswers(chunk)]);
    /** Source id → target id, for every image of the chunk that is (now) in the target. */
    const mapped = new Map<number, number>();
    const fresh: Array<{ from: number; image: NewImage }> = [];
    // A resumed copy looks the chunk's paths up in the target in one round trip.
    const present = resuming ? await target.findByPaths([...records.values()].map((r) => r.path)) : new Map<string, never>();
    for (const id of chunk) {
      const record = records.get(id);
      const vector = vectors.get(id);
      if (!record || !vector) continue;
      const there = present.get(record.path);
      if (there) {
        if (there.sha256 === record.sha256) {
          mapped.set(id, there.id);
          report.alreadyThere++;
        } else {
          report.conflicts.push({ path: record.path, reason: 'the target holds other bytes at this path' });
        }
        continue;
      }
      const { id: _id, ...meta } = record;
      if (vector.length !== dim) throw new CtgiError('INDEX_MISMATCH', `Image ${id} of ${source.location} has a ${vector.length}-dimensional embedding, not ${dim}.`);
      const datasetCaptions = (captions.get(id) ?? []).filter((c) => c.source === DATASET_SOURCE).map((c) => c.text);
      fresh.push({ from: id, image: { ...meta, embedding: vector, ...(datasetCaptions.length > 0 ? { captions: datasetCaptions } : {}) } });
    }
    if (fresh.length > 0) {
      const added = await target.add(fresh.map((f) => f.image));
      fresh.forEach((f, i) => mapped.set(f.from, added[i]));
      report.copied += fresh.length;
      report.captions += fresh.reduce((n, f) => n + (f.image.captions?.length ?? 0), 0);
    }
    for (const [from, to] of mapped) {
      for (const c of captions.get(from) ?? []) {
        if (c.source === DATASET_SOURCE) continue;
        await target.putCaption(to, c.source, c.text);
        report.captions++;
      }
    }
    const rows: NewAttributeAnswer[] = [];
    for (const [from, to] of mapped) {
      for (const a of answers.get(from) ?? []) rows.push({ imageId: to, attribute: a.attribute, question: a.question, answer: a.answer, source: a.source, ...(a.confidence !== null ? { confidence: a.confidence } : {}) });
    }
    if (rows.length > 0) await target.putAttributeAnswers(rows);
    report.answers += rows.length;
    options.onProgress?.(Math.min(start + chunkSize, ids.length), ids.length);
  }
  const skipped = await source.listSkipped();
  if (skipped.length > 0) await target.recordSkipped(skipped.map((s) => ({ path: s.path, reason: s.reason })));
  report.skipped = skipped.length;
  await target.save();
  return report;
}

/** `ctgi index migrate`: which gallery to copy where. */
export interface MigrateRequest {
  /** A gallery folder (copied into the database), or the name of a gallery in the database (copied into a folder). */
  from: string;
  /** The other side: a gallery name when `from` is a folder, else a folder. */
  to: string;
  database: GalleryDatabase;
  /** How a new Postgres gallery stores embeddings (default vector). */
  vector?: 'vector' | 'halfvec';
  onProgress?: (done: number, total: number) => void;
}

/**
 * Copies a folder gallery into the database, or a database gallery into a folder: the direction is set by
 * `from`, which is a folder when it holds a gallery, else a gallery name. Resumable (run it again after an
 * interruption). @throws CtgiError NOT_FOUND when `from` is neither, INDEX_MISMATCH when the target exists
 * with another model.
 */
export async function migrateGallery(request: MigrateRequest): Promise<CopyReport & { from: string; to: string }> {
  const folder = galleryRef(request.from);
  const toDatabase = (await existingManifest(folder)) !== undefined;
  let sourceRef: GalleryRef;
  let targetRef: GalleryRef;
  if (toDatabase) {
    sourceRef = folder;
    targetRef = { ...galleryRef(request.to, request.database), ...(request.vector ? { vector: request.vector } : {}) } as GalleryRef;
  } else {
    sourceRef = namedGallery(request.from, request.database);
    targetRef = galleryRef(request.to);
  }
  let source: Gallery;
  try {
    source = await openGallery(sourceRef);
  } catch (err) {
    if (!isCtgiError(err, 'NOT_FOUND')) throw err;
    throw new CtgiError('NOT_FOUND', `${request.from} is neither a gallery folder nor a gallery in the database; give --from a folder built with \`ctgi index build\` or the name of a database gallery.`, { cause: err });
  }
  try {
    const { model, hnsw, imagesRoot } = source.manifest;
    const target = await openOrCreateGallery(targetRef, { model, hnsw, imagesRoot });
    try {
      const report = await copyGallery(source, target, request.onProgress ? { onProgress: request.onProgress } : {});
      return { ...report, from: source.location, to: target.location };
    } finally {
      await target.close();
    }
  } finally {
    await source.close({ save: false });
  }
}

function namedGallery(name: string, database: GalleryDatabase): GalleryRef {
  try {
    return galleryRef(name, database);
  } catch (err) {
    if (!isCtgiError(err, 'BAD_INPUT')) throw err;
    throw new CtgiError('NOT_FOUND', `${name} is not a gallery folder (no manifest.json there), nor a valid gallery name for the database.`, { cause: err });
  }
}
