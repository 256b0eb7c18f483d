import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CtgiError, isCtgiError } from '../errors/ctgi-error.js';
import { CALIBRATION_POOL, calibratedScores, CLIP_LOGIT_SCALE } from '../retrieval/calibration.js';
import { ExactVectorIndex } from '../retrieval/exact.vector-index.js';
import { HnswVectorIndex, type HnswOptions } from '../retrieval/hnsw.vector-index.js';
import type { VectorHit } from '../retrieval/vector-index.js';
import type { Gallery, GalleryHit, SearchOptions } from './gallery.js';
import { assertSameModel, readManifest, writeManifest, type GalleryManifest } from './gallery-manifest.js';
import type { GalleryStore, ImageFilter, ImageRecord, NewAttributeAnswer, NewImage, SkippedFile, StoredAttributeAnswer, StoredCaption } from './gallery-store.js';
import { SqliteGalleryStore } from './sqlite.gallery-store.js';
import { processAlive } from '../util/process.js';
import { assertStorableAnswers, assertStorableImages, assertStorableText } from './storable-text.js';

export const DB_FILE = 'gallery.sqlite';
export const HNSW_FILE = 'vectors.hnsw';
/** Galleries up to this size are searched exactly (a brute-force pass is then faster than HNSW is useful). */
export const EXACT_SEARCH_LIMIT = 20_000;
/**
 * A filter admitting at most this share of the images (exact path), or at most SUBSET_SEARCH_MAX images (HNSW
 * path), is searched exactly among them alone. bench:filter at 100k: the subset pass beat the filtered full
 * exact pass from 10% down, but cost more than the HNSW walk above a few thousand images.
 */
const SUBSET_SEARCH_SHARE = 0.25;
const SUBSET_SEARCH_MAX = 2000;
export const DEFAULT_HNSW = { M: 16, efConstruction: 200, ef: 64 } as const;

/**
 * The folder adapter of the Gallery port: `manifest.json` (what made the vectors), `gallery.sqlite` (metadata
 * and embeddings, the source of truth) and `vectors.hnsw` (the HNSW graph, rebuilt or caught up from SQLite
 * whenever it lags behind, e.g. after a crash). One writer at a time; the embedded default.
 */
export class FolderGallery implements Gallery {
  readonly #filterCache = new Map<string, Set<number>>();
  private constructor(
    readonly dir: string,
    public manifest: GalleryManifest,
    private readonly store: GalleryStore,
    private readonly exactIndex: ExactVectorIndex,
    private readonly hnsw: HnswVectorIndex,
    /** Labels added or removed since the HNSW file was last saved. */
    private dirty: boolean,
  ) {
    hnsw.setRescoreSource((label) => exactIndex.get(label));
  }

  get location(): string {
    return this.dir;
  }

  /** Number of images (synchronous: the in-memory exact index holds every vector). */
  get size(): number {
    return this.exactIndex.size;
  }

  async count(): Promise<number> {
    return this.size;
  }

  /** Creates a new index, or opens an existing one made with the same model. */
  static async openOrCreate(dirArg: string, init: Omit<GalleryManifest, 'format' | 'version' | 'vectorCount' | 'createdAt' | 'updatedAt'>): Promise<FolderGallery> {
    const dir = resolve(dirArg);
    const exists = await stat(join(dir, 'manifest.json')).then(
      () => true,
      () => false,
    );
    if (exists) {
      const index = await FolderGallery.open(dir);
      assertSameModel(index.manifest, { id: init.model.id, dim: init.model.dim }, dir);
      return index;
    }
    await mkdir(dir, { recursive: true });
    const now = new Date().toISOString();
    const manifest: GalleryManifest = { format: 'ctgi-gallery', version: 1, ...init, vectorCount: 0, createdAt: now, updatedAt: now };
    const store = SqliteGalleryStore.open(join(dir, DB_FILE), { create: true });
    await writeManifest(dir, manifest);
    const hnsw = new HnswVectorIndex(manifest.model.dim, hnswOptions(manifest));
    return new FolderGallery(dir, manifest, store, new ExactVectorIndex(manifest.model.dim), hnsw, true);
  }

  /**
   * Opens an index. The HNSW graph is loaded and reconciled with SQLite: images committed after its last
   * save are added, removed ones dropped; an unreadable graph file is rebuilt.
   * @throws CtgiError NOT_FOUND / INDEX_MISMATCH naming the directory.
   */
  static async open(dirArg: string, options: { log?: (message: string) => void } = {}): Promise<FolderGallery> {
    const dir = resolve(dirArg);
    const manifest = await readManifest(dir);
    await removeStaleTempFiles(dir);
    const store = SqliteGalleryStore.open(join(dir, DB_FILE));
    try {
      const { dim } = manifest.model;
      const { ids, matrix } = store.loadEmbeddings(dim);
      const exact = new ExactVectorIndex(dim);
      ids.forEach((id, row) => exact.add(id, matrix.subarray(row * dim, (row + 1) * dim)));
      let hnsw: HnswVectorIndex;
      let dirty = false;
      try {
        hnsw = await HnswVectorIndex.load(join(dir, HNSW_FILE), dim, hnswOptions(manifest));
      } catch (err) {
        if (!isCtgiError(err) && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        if (ids.length > 0) options.log?.(`Rebuilding the HNSW graph of ${dir} from its ${ids.length} stored vectors.`);
        hnsw = new HnswVectorIndex(dim, hnswOptions(manifest));
        dirty = true;
      }
      const live = new Set(ids);
      for (const label of hnsw.labels()) {
        if (!live.has(label)) {
          hnsw.remove(label);
          dirty = true;
        }
      }
      ids.forEach((id, row) => {
        if (!hnsw.has(id)) {
          hnsw.add(id, matrix.subarray(row * dim, (row + 1) * dim));
          dirty = true;
        }
      });
      return new FolderGallery(dir, manifest, store, exact, hnsw, dirty);
    } catch (err) {
      store.close();
      throw err;
    }
  }

  /** Stores images (one SQLite transaction) and adds them to both vector indexes. */
  async add(images: NewImage[]): Promise<number[]> {
    for (const img of images) {
      if (img.embedding.length !== this.manifest.model.dim) {
        throw new CtgiError('INDEX_MISMATCH', `An embedding of ${img.embedding.length} values cannot join the ${this.manifest.model.dim}-d index ${this.dir}.`);
      }
    }
    assertStorableImages(images);
    const ids = this.store.insertImages(images);
    this.#filterCache.clear();
    ids.forEach((id, i) => {
      this.exactIndex.add(id, images[i].embedding);
      this.hnsw.add(id, images[i].embedding);
    });
    if (ids.length > 0) this.dirty = true;
    return ids;
  }

  async remove(paths: string[]): Promise<{ removed: number; missing: string[] }> {
    const missing = paths.filter((p) => !this.store.findByPath(p));
    const ids = this.store.removeByPaths(paths);
    this.#filterCache.clear();
    for (const id of ids) {
      this.exactIndex.remove(id);
      this.hnsw.remove(id);
    }
    if (ids.length > 0) this.dirty = true;
    return { removed: ids.length, missing };
  }

  /** HNSW candidates (or the exact pass up to EXACT_SEARCH_LIMIT images and on request), re-scored exactly. */
  async search(query: Float32Array, options: SearchOptions = {}): Promise<GalleryHit[]> {
    const top = options.top ?? 10;
    if (query.length !== this.manifest.model.dim) {
      throw new CtgiError('INDEX_MISMATCH', `A ${query.length}-d query cannot search the ${this.manifest.model.dim}-d index ${this.dir}.`);
    }
    const allowed = options.filter && hasFilter(options.filter) ? this.#allowed(options.filter) : undefined;
    const accept = allowed ? (label: number) => allowed.has(label) : undefined;
    const pool = Math.max(top, CALIBRATION_POOL);
    const exact = options.exact ?? this.size <= EXACT_SEARCH_LIMIT;
    // A selective filter is searched exactly among its own images: cheaper than a filtered pass over all of
    // them, and than HNSW, whose graph walk degrades when most neighbours are filtered out (bench:filter).
    const subset = allowed !== undefined && allowed.size <= (exact ? this.size * SUBSET_SEARCH_SHARE : SUBSET_SEARCH_MAX);
    // HNSW candidates are re-scored exactly against the stored vectors (the same arithmetic as the exact pass).
    const candidates: VectorHit[] = subset ? this.exactIndex.searchAmong(query, pool, allowed) : exact ? this.exactIndex.search(query, pool, accept) : this.hnswSearch(query, pool, accept, options.ef);
    const scores = calibratedScores(
      candidates.map((c) => c.score),
      CLIP_LOGIT_SCALE,
    );
    const best = candidates.slice(0, top);
    const records = this.store.getMany(best.map((c) => c.label));
    return best.map((c, i) => {
      const record = records.get(c.label)!;
      return { rank: i + 1, id: c.label, path: record.path, cosine: c.score, score: scores[i], record };
    });
  }

  private hnswSearch(query: Float32Array, pool: number, accept: ((label: number) => boolean) | undefined, ef: number | undefined): VectorHit[] {
    if (ef === undefined || ef === this.hnsw.ef) return this.hnsw.search(query, pool, accept);
    const saved = this.hnsw.ef;
    this.hnsw.setEf(ef);
    try {
      return this.hnsw.search(query, pool, accept);
    } finally {
      this.hnsw.setEf(saved);
    }
  }

  /** Ids a filter admits; the last few are kept until the gallery changes (a dialogue searches one filter often). */
  #allowed(filter: ImageFilter): Set<number> {
    const key = JSON.stringify([filter.camera ?? [], filter.from ?? '', filter.to ?? '']);
    const hit = this.#filterCache.get(key);
    if (hit) return hit;
    const ids = this.store.filterIds(filter);
    if (this.#filterCache.size >= 4) this.#filterCache.delete(this.#filterCache.keys().next().value!);
    this.#filterCache.set(key, ids);
    return ids;
  }

  async getMany(ids: readonly number[]): Promise<Map<number, ImageRecord>> {
    return this.store.getMany([...ids]);
  }

  async findByPath(path: string): Promise<ImageRecord | undefined> {
    return this.store.findByPath(path);
  }

  async findBySha(sha256: string): Promise<ImageRecord | undefined> {
    return this.store.findBySha(sha256);
  }

  async findByPaths(paths: readonly string[]): Promise<Map<string, ImageRecord>> {
    return recordsByKey(paths, (path) => this.store.findByPath(path));
  }

  async findByShas(sha256s: readonly string[]): Promise<Map<string, ImageRecord>> {
    return recordsByKey(sha256s, (sha) => this.store.findBySha(sha));
  }

  async embeddingsOf(ids: readonly number[]): Promise<Map<number, Float32Array>> {
    const out = new Map<number, Float32Array>();
    for (const id of ids) {
      const v = this.exactIndex.get(id);
      if (v) out.set(id, Float32Array.from(v));
    }
    return out;
  }

  async loadEmbeddings(): Promise<{ ids: number[]; matrix: Float32Array }> {
    return this.store.loadEmbeddings(this.manifest.model.dim);
  }

  async imageIds(): Promise<number[]> {
    return this.store.imageIds();
  }

  async recordSkipped(files: Array<{ path: string; reason: string }>): Promise<void> {
    for (const f of files) {
      assertStorableText('skipped path', f.path);
      assertStorableText(`reason ${f.path} was skipped`, f.reason);
    }
    this.store.recordSkipped(files);
  }

  async listSkipped(): Promise<SkippedFile[]> {
    return this.store.listSkipped();
  }

  async putCaption(imageId: number, source: string, text: string): Promise<void> {
    assertStorableText('caption source', source);
    assertStorableText(`caption of image ${imageId}`, text);
    this.store.putCaption(imageId, source, text);
  }

  async captionsOf(imageIds: readonly number[]): Promise<Map<number, StoredCaption[]>> {
    return this.store.captionsFor(imageIds);
  }

  async putAttributeAnswers(rows: readonly NewAttributeAnswer[]): Promise<void> {
    assertStorableAnswers(rows);
    this.store.putAttributeAnswers(rows);
  }

  async attributeAnswers(imageIds: readonly number[]): Promise<Map<number, StoredAttributeAnswer[]>> {
    return this.store.attributeAnswers(imageIds);
  }

  async cameras(): Promise<Array<{ camera: string; count: number }>> {
    return this.store.cameras();
  }

  async setCameraAliases(aliases: Record<string, string[]>): Promise<void> {
    const kept = Object.fromEntries(Object.entries(aliases).filter(([, names]) => names.length > 0));
    const { cameraAliases: _old, ...rest } = this.manifest;
    this.manifest = { ...rest, ...(Object.keys(kept).length > 0 ? { cameraAliases: kept } : {}), updatedAt: new Date().toISOString() };
    await writeManifest(this.dir, this.manifest);
  }

  /** Saves the HNSW graph (atomically) and the manifest's counts when anything changed. */
  async save(): Promise<void> {
    if (this.dirty) {
      await this.hnsw.save(join(this.dir, HNSW_FILE));
      this.dirty = false;
    }
    if (this.manifest.vectorCount !== this.size) {
      this.manifest = { ...this.manifest, vectorCount: this.size, updatedAt: new Date().toISOString() };
      await writeManifest(this.dir, this.manifest);
    }
  }

  async close(options: { save?: boolean } = {}): Promise<void> {
    try {
      if (options.save ?? true) await this.save();
    } finally {
      this.store.close();
    }
  }
}

/** Deletes `*.tmp-PID` files left by atomic writes of processes that died mid-write. */
async function removeStaleTempFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const m = /\.tmp-(\d+)$/.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    await rm(join(dir, name), { force: true });
  }
}

function hasFilter(f: ImageFilter): boolean {
  return (f.camera?.length ?? 0) > 0 || f.from !== undefined || f.to !== undefined;
}

function hnswOptions(m: GalleryManifest): HnswOptions {
  return { M: m.hnsw.M, efConstruction: m.hnsw.efConstruction, ef: m.hnsw.ef };
}

/** Each key's record, where `find` has one (SQLite answers each in microseconds: no batching needed). */
function recordsByKey(keys: readonly string[], find: (key: string) => ImageRecord | undefined): Map<string, ImageRecord> {
  const out = new Map<string, ImageRecord>();
  for (const key of keys) {
    const rec = find(key);
    if (rec) out.set(key, rec);
  }
  return out;
}
