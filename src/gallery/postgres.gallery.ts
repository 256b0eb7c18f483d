import { setTimeout as sleep } from 'node:timers/promises';
import { CtgiError, isCtgiError } from '../errors/ctgi-error.js';
import { CALIBRATION_POOL, calibratedScores, CLIP_LOGIT_SCALE } from '../retrieval/calibration.js';
import { assertVector, dotAt } from '../retrieval/exact.vector-index.js';
import { BinaryCopyWriter, copyBinaryIn } from '../storage/pg-copy.js';
import { describePgError, inTransaction, openPostgres, redactDatabaseUrl, type OpenPostgresOptions, type PgClient, type PgPool } from '../storage/postgres.js';
import { EXACT_SEARCH_LIMIT } from './folder.gallery.js';
import type { Gallery, GalleryHit, SearchOptions } from './gallery.js';
import { assertSameModel, parseManifest, type GalleryManifest } from './gallery-manifest.js';
import type { ImageRecord, NewAttributeAnswer, NewImage, SkippedFile, StoredAttributeAnswer, StoredCaption } from './gallery-store.js';
import { assertGalleryName, captureMs, filterSql, groupBy, hasFilter, lastByKey, validIds, maxIndexedDim, decodeVectorSend, RECORD_COLUMNS, toRecord, vectorLiteral, type ImageRow, type VectorKind } from './postgres-gallery-rows.js';
import { assertStorableAnswers, assertStorableImages, assertStorableText } from './storable-text.js';

/** Where a PostgreSQL gallery lives: the server (URL with credentials, TLS) and the gallery's name in it. */
export interface PostgresGalleryTarget {
  url: string;
  name: string;
  tls?: OpenPostgresOptions['tls'];
  ca?: string;
  /** Most maintenance_work_mem, in MB, an index build raises its own session to (default 2048; CTGI_DATABASE_BUILD_MEMORY_MB). */
  buildMemoryMb?: number;
}

/** Candidates fetched beyond the calibration pool, so float32 (server) and float64 (re-score) rounding cannot change which images make the pool. */
const RESCORE_SLACK = 16;
/** Default ceiling of the maintenance_work_mem an index build raises its session to (PostgresGalleryTarget.buildMemoryMb). */
const DEFAULT_BUILD_MEMORY_MB = 2048;

/**
 * Memory pgvector's in-memory HNSW build needs for `n` vectors: each element's vector, its layer-0 and upper
 * neighbour lists (candidates of 16 B, 2·M at layer 0 and about M/(M−1)·M above) and per-element overhead.
 */
function hnswBuildBytes(n: number, dim: number, kind: VectorKind, m: number): number {
  const vector = dim * (kind === 'vector' ? 4 : 2) + 8;
  const neighbours = 16 * (2 * m + m / Math.max(1, m - 1) * m);
  return Math.ceil(n * (vector + neighbours + 128));
}

/** Advisory lock key (with 0) held while an HNSW index builds in the database. */
const HNSW_BUILD_LOCK = 0x686e7377; // 'hnsw' (the conversation store's locks use 'ctgi')
/** How often a save waiting for another build polls for the lock. */
const BUILD_LOCK_POLL_MS = 200;

/** pgvector's upper bound for hnsw.ef_search. */
const MAX_EF_SEARCH = 1000;
/** Largest magnitude a halfvec value holds. */
const HALF_MAX = 65504;
/** Ids per round trip when every image id is listed. */
const ID_PAGE = 50_000;
/** Rows per round trip when every embedding is read. */
const LOAD_PAGE = 5000;

/**
 * The PostgreSQL + pgvector adapter of the Gallery port: named galleries in one database (0002_galleries.sql),
 * many readers and writers at once. Embeddings are `vector` (or `halfvec`) values with one partial HNSW index
 * per gallery, built by the first save() (so a bulk load builds it once) and maintained by PostgreSQL after.
 * Search takes HNSW (or exact) candidates from SQL and re-scores and calibrates them exactly as the folder does.
 */
export class PostgresGallery implements Gallery {
  private constructor(
    private readonly pool: PgPool,
    /** Validated integer id of the gallery's row: the only value ever written into SQL text besides the dimension. */
    private readonly gid: number,
    readonly name: string,
    public manifest: GalleryManifest,
    readonly vectorKind: VectorKind,
    private readonly buildMemoryBytes: number,
  ) {}

  get location(): string {
    return `postgres gallery ${this.name}`;
  }

  /** Opens a gallery. @throws CtgiError NOT_FOUND when the database has no gallery of that name. */
  static async open(target: PostgresGalleryTarget): Promise<PostgresGallery> {
    assertGalleryName(target.name);
    const pool = await openPool(target);
    try {
      const found = await loadGallery(pool, target.name);
      if (!found) {
        throw new CtgiError('NOT_FOUND', `The database ${redactDatabaseUrl(target.url)} has no gallery ${target.name}; build one with \`ctgi index build --database … --index ${target.name}\`.`);
      }
      return new PostgresGallery(pool, found.id, target.name, found.manifest, found.kind, buildMemoryOf(target));
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
  }

  /** Creates a gallery (embeddings as `vector`, or `halfvec` when asked), or opens one made with the same model. @throws CtgiError INDEX_MISMATCH otherwise. */
  static async openOrCreate(target: PostgresGalleryTarget, init: Omit<GalleryManifest, 'format' | 'version' | 'vectorCount' | 'createdAt' | 'updatedAt'>, options: { vectorKind?: VectorKind } = {}): Promise<PostgresGallery> {
    assertGalleryName(target.name);
    const pool = await openPool(target);
    try {
      const now = new Date().toISOString();
      const manifest: GalleryManifest = { format: 'ctgi-gallery', version: 1, ...init, vectorCount: 0, createdAt: now, updatedAt: now };
      const kind = options.vectorKind ?? 'vector';
      // ON CONFLICT: two processes creating the same gallery at once both end up opening the one row.
      const created = await pool.query<{ id: number }>(
        'INSERT INTO galleries (name, manifest, dim, vector_kind) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING RETURNING id',
        [target.name, JSON.stringify(manifest), manifest.model.dim, kind],
      );
      if (created.rows.length > 0) return new PostgresGallery(pool, created.rows[0].id, target.name, manifest, kind, buildMemoryOf(target));
      const found = await loadGallery(pool, target.name);
      if (!found) throw new CtgiError('UPSTREAM_FAILED', `The gallery ${target.name} was removed while it was being opened; try again.`);
      const gallery = new PostgresGallery(pool, found.id, target.name, found.manifest, found.kind, buildMemoryOf(target));
      assertSameModel(found.manifest, { id: init.model.id, dim: init.model.dim }, gallery.location);
      return gallery;
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
  }

  async count(): Promise<number> {
    const r = await this.pool.query<{ n: number }>('SELECT image_count AS n FROM galleries WHERE id = $1', [this.gid]);
    return r.rows[0]?.n ?? 0;
  }

  /**
   * Stores images in one transaction: ids from the gallery's counter (allocated first, under its row lock), then
   * one binary COPY straight into the images table (no staging table: the ids are known before the rows go out).
   */
  async add(images: NewImage[]): Promise<number[]> {
    const dim = this.manifest.model.dim;
    for (const img of images) {
      if (img.embedding.length !== dim) {
        throw new CtgiError('INDEX_MISMATCH', `An embedding of ${img.embedding.length} values cannot join the ${dim}-d index ${this.location}.`);
      }
      assertVector(img.embedding, dim, `embedding of ${img.path}`);
      if (this.vectorKind === 'halfvec' && img.embedding.some((x) => Math.abs(x) > HALF_MAX)) {
        throw new CtgiError('BAD_INPUT', `The embedding of ${img.path} has values beyond ±${HALF_MAX}, which halfvec cannot hold; use a vector gallery.`);
      }
    }
    assertStorableImages(images);
    if (images.length === 0) return [];
    const captured = images.map((img) => (img.capturedAt === null ? null : captureMs(img.capturedAt, img.path)));
    const addedAt = Date.now();
    const column = this.vectorKind === 'vector' ? 'embedding' : 'embedding_half';
    try {
      return await inTransaction(this.pool, async (client) => {
        // The counter row's lock serialises id allocation between writers until this transaction ends.
        const r = await client.query<{ first: number }>('UPDATE galleries SET next_id = next_id + $2, image_count = image_count + $2 WHERE id = $1 RETURNING next_id - $2 AS first', [this.gid, images.length]);
        const first = r.rows[0].first;
        const copy = new BinaryCopyWriter();
        images.forEach((img, ord) => {
          copy.row(15).int4(this.gid).int4(first + ord).text(img.path).text(img.sha256).text(img.personId).text(img.camera).timestamptz(captured[ord]).text(img.capturedAt);
          copy.int4(img.width).int4(img.height).int8(img.bytes).float8(img.mtimeMs).timestamptz(img.addedAt !== undefined && Number.isFinite(Date.parse(img.addedAt)) ? Date.parse(img.addedAt) : addedAt).jsonb(img.footage ?? null);
          if (this.vectorKind === 'vector') copy.vector(img.embedding);
          else copy.halfvec(img.embedding);
        });
        await copyBinaryIn(
          client,
          `COPY gallery_images (gallery_id, id, path, sha256, person_id, camera, captured_at, captured_at_text, width, height, bytes, mtime_ms, added_at, footage, ${column}) FROM STDIN (FORMAT binary)`,
          copy.finish(),
        );
        await client.query('DELETE FROM gallery_skipped WHERE gallery_id = $1 AND path = ANY($2::text[])', [this.gid, images.map((img) => img.path)]);
        const captionIds: number[] = [];
        const captionTexts: string[] = [];
        images.forEach((img, ord) => (img.captions ?? []).forEach((text) => (captionIds.push(first + ord), captionTexts.push(text))));
        if (captionIds.length > 0) {
          await client.query(
            "INSERT INTO gallery_captions (gallery_id, image_id, source, text, created_at) SELECT $1, c.image_id, 'dataset', c.text, $4 FROM unnest($2::int[], $3::text[]) WITH ORDINALITY AS c(image_id, text, n) ORDER BY c.n",
            [this.gid, captionIds, captionTexts, new Date(addedAt).toISOString()],
          );
        }
        return images.map((_, ord) => first + ord);
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new CtgiError('BAD_INPUT', `An image of this batch is already in ${this.location} (${(err as { detail?: string }).detail ?? 'same path'}); nothing of the batch was stored.`, { cause: err });
      }
      throw err;
    }
  }

  async remove(paths: string[]): Promise<{ removed: number; missing: string[] }> {
    const storable = [...new Set(paths.filter((p) => !p.includes('\0')))];
    if (storable.length === 0) return { removed: 0, missing: [...paths] };
    const gone = await inTransaction(this.pool, async (client) => {
      const r = await client.query<{ id: number; path: string }>('DELETE FROM gallery_images WHERE gallery_id = $1 AND path = ANY($2::text[]) RETURNING id, path', [this.gid, storable]);
      if (r.rows.length > 0) await client.query('UPDATE galleries SET image_count = image_count - $2 WHERE id = $1', [this.gid, r.rows.length]);
      return r.rows;
    });
    const removedPaths = new Set(gone.map((g) => g.path));
    return { removed: gone.length, missing: paths.filter((p) => !removedPaths.has(p)) };
  }

  /**
   * Exact pass (small galleries, `exact: true`, or no HNSW index yet) or HNSW candidates with ef_search from the
   * manifest (iterative scans when filtered, so a filter still fills the pool), re-scored and calibrated in JS.
   */
  async search(query: Float32Array, options: SearchOptions = {}): Promise<GalleryHit[]> {
    const top = options.top ?? 10;
    const dim = this.manifest.model.dim;
    if (query.length !== dim) {
      throw new CtgiError('INDEX_MISMATCH', `A ${query.length}-d query cannot search the ${dim}-d index ${this.location}.`);
    }
    assertVector(query, dim, 'query vector');
    const pool = Math.max(top, CALIBRATION_POOL);
    const fetch = pool + RESCORE_SLACK;
    // A valid index only: while one builds (or after a failed build) the pass is exact.
    const state = await this.pool.query<{ n: number; indexed: boolean }>(
      'SELECT image_count AS n, EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass($2) AND indisvalid) AS indexed FROM galleries WHERE id = $1',
      [this.gid, this.indexName],
    );
    const { n, indexed } = state.rows[0] ?? { n: 0, indexed: false };
    const approximate = indexed && !(options.exact ?? n <= EXACT_SEARCH_LIMIT);
    const filter = filterSql(options.filter, 2);
    const expr = this.vectorExpression();
    // Filtered (or more rows than ef_search may return): iterative scans keep fetching until the pool is full; the planner may still
    // prefer a camera/time btree for a selective filter (then the pass is exact). Unfiltered: only the HNSW
    // index yields rows in distance order without a sort, so refusing sorts makes the planner take it.
    // A positive integer only: it goes into the SET text (an option's ef overrides the manifest's for this search).
    const ef = Number.isInteger(options.ef) && options.ef! > 0 ? options.ef! : this.manifest.hnsw.ef;
    const settings = approximate
      ? [`SET LOCAL hnsw.ef_search = ${Math.min(MAX_EF_SEARCH, Math.max(ef, fetch))}`, hasFilter(options.filter) || fetch > MAX_EF_SEARCH ? 'SET LOCAL hnsw.iterative_scan = relaxed_order' : 'SET LOCAL enable_sort = off']
      : ['SET LOCAL enable_indexscan = off'];
    // The settings ride with BEGIN in one round trip (integers only: a multi-statement text takes no parameters).
    const rows = await inTransaction(this.pool, async (client) => {
      const r = await client.query<ImageRow & { v: Buffer }>(
        `SELECT ${RECORD_COLUMNS}, ${this.vectorSend()} AS v FROM gallery_images WHERE gallery_id = ${this.gid}${filter.sql}
         ORDER BY ${expr} <#> $1::${this.vectorType()} LIMIT ${fetch}`,
        [vectorLiteral(query), ...filter.params],
      );
      return r.rows;
    }, { settings });
    // The same arithmetic and order as the folder (dotAt in doubles; ties to the smaller id).
    const q = Float64Array.from(query);
    const scored = rows.map((row) => ({ row, score: dotAt(decodeVectorSend(row.v, this.vectorKind), 0, q, dim) }));
    scored.sort((a, b) => b.score - a.score || a.row.id - b.row.id);
    const candidates = scored.slice(0, pool);
    const scores = calibratedScores(
      candidates.map((c) => c.score),
      CLIP_LOGIT_SCALE,
    );
    return candidates.slice(0, top).map((c, i) => {
      const record = toRecord(c.row);
      return { rank: i + 1, id: record.id, path: record.path, cosine: c.score, score: scores[i], record };
    });
  }

  async getMany(ids: readonly number[]): Promise<Map<number, ImageRecord>> {
    const wanted = validIds(ids);
    const out = new Map<number, ImageRecord>();
    if (wanted.length === 0) return out;
    const r = await this.pool.query<ImageRow>(`SELECT ${RECORD_COLUMNS} FROM gallery_images WHERE gallery_id = $1 AND id = ANY($2::int[])`, [this.gid, wanted]);
    const byId = new Map(r.rows.map((row) => [row.id, toRecord(row)]));
    for (const id of ids) {
      const rec = byId.get(id);
      if (rec) out.set(id, rec);
    }
    return out;
  }

  async findByPath(path: string): Promise<ImageRecord | undefined> {
    return (await this.recordsBy('path', [path])).get(path);
  }

  async findBySha(sha256: string): Promise<ImageRecord | undefined> {
    return (await this.recordsBy('sha256', [sha256])).get(sha256);
  }

  async findByPaths(paths: readonly string[]): Promise<Map<string, ImageRecord>> {
    return this.recordsBy('path', paths);
  }

  async findByShas(sha256s: readonly string[]): Promise<Map<string, ImageRecord>> {
    return this.recordsBy('sha256', sha256s);
  }

  async embeddingsOf(ids: readonly number[]): Promise<Map<number, Float32Array>> {
    const wanted = validIds(ids);
    const out = new Map<number, Float32Array>();
    if (wanted.length === 0) return out;
    const r = await this.pool.query<{ id: number; v: Buffer }>(`SELECT id, ${this.vectorSend()} AS v FROM gallery_images WHERE gallery_id = $1 AND id = ANY($2::int[])`, [this.gid, wanted]);
    const byId = new Map(r.rows.map((row) => [row.id, decodeVectorSend(row.v, this.vectorKind)]));
    for (const id of ids) {
      const v = byId.get(id);
      if (v) out.set(id, v);
    }
    return out;
  }

  async imageIds(): Promise<number[]> {
    const ids: number[] = [];
    for (let after = -1; ; ) {
      const r = await this.pool.query<{ id: number }>(`SELECT id FROM gallery_images WHERE gallery_id = $1 AND id > $2 ORDER BY id LIMIT ${ID_PAGE}`, [this.gid, after]);
      for (const row of r.rows) ids.push(row.id);
      if (r.rows.length < ID_PAGE) return ids;
      after = ids[ids.length - 1];
    }
  }

  /** Every embedding by id, read page by page (keyset pagination), so a large gallery never sits in one result. */
  async loadEmbeddings(): Promise<{ ids: number[]; matrix: Float32Array }> {
    const dim = this.manifest.model.dim;
    const ids: number[] = [];
    const pages: Float32Array[] = [];
    for (let after = -1; ; ) {
      const r = await this.pool.query<{ id: number; v: Buffer }>(
        `SELECT id, ${this.vectorSend()} AS v FROM gallery_images WHERE gallery_id = $1 AND id > $2 ORDER BY id LIMIT ${LOAD_PAGE}`,
        [this.gid, after],
      );
      if (r.rows.length === 0) break;
      const page = new Float32Array(r.rows.length * dim);
      r.rows.forEach((row, i) => {
        const v = decodeVectorSend(row.v, this.vectorKind);
        if (v.length !== dim) throw new CtgiError('INDEX_MISMATCH', `Image ${row.id} has a ${v.length}-dimensional embedding but ${this.location} is ${dim}-dimensional.`);
        page.set(v, i * dim);
        ids.push(row.id);
      });
      pages.push(page);
      after = r.rows[r.rows.length - 1].id;
    }
    const matrix = new Float32Array(ids.length * dim);
    let at = 0;
    for (const p of pages) {
      matrix.set(p, at);
      at += p.length;
    }
    return { ids, matrix };
  }

  async recordSkipped(files: Array<{ path: string; reason: string }>): Promise<void> {
    for (const f of files) {
      assertStorableText('skipped path', f.path);
      assertStorableText(`reason ${f.path} was skipped`, f.reason);
    }
    const rows = lastByKey(files, (f) => f.path);
    if (rows.length === 0) return;
    await this.pool.query(
      `INSERT INTO gallery_skipped (gallery_id, path, reason, at) SELECT $1, s.path, s.reason, now() FROM unnest($2::text[], $3::text[]) AS s(path, reason)
       ON CONFLICT (gallery_id, path) DO UPDATE SET reason = excluded.reason, at = excluded.at`,
      [this.gid, rows.map((f) => f.path), rows.map((f) => f.reason)],
    );
  }

  async listSkipped(): Promise<SkippedFile[]> {
    const r = await this.pool.query<{ path: string; reason: string; at: Date }>('SELECT path, reason, at FROM gallery_skipped WHERE gallery_id = $1 ORDER BY path COLLATE "C"', [this.gid]);
    return r.rows.map((s) => ({ path: s.path, reason: s.reason, at: s.at.toISOString() }));
  }

  async putCaption(imageId: number, source: string, text: string): Promise<void> {
    assertStorableText('caption source', source);
    assertStorableText(`caption of image ${imageId}`, text);
    await inTransaction(this.pool, async (client) => {
      await this.assertImages(client, [imageId]);
      await client.query('DELETE FROM gallery_captions WHERE gallery_id = $1 AND image_id = $2 AND source = $3', [this.gid, imageId, source]);
      await client.query('INSERT INTO gallery_captions (gallery_id, image_id, source, text) VALUES ($1, $2, $3, $4)', [this.gid, imageId, source, text]);
    });
  }

  async captionsOf(imageIds: readonly number[]): Promise<Map<number, StoredCaption[]>> {
    const wanted = validIds(imageIds);
    const out = new Map<number, StoredCaption[]>();
    if (wanted.length === 0) return out;
    const r = await this.pool.query<{ image_id: number; source: string; text: string }>(
      'SELECT image_id, source, text FROM gallery_captions WHERE gallery_id = $1 AND image_id = ANY($2::int[]) ORDER BY image_id, seq',
      [this.gid, wanted],
    );
    const byId = groupBy(r.rows, (row) => row.image_id, (row) => ({ source: row.source, text: row.text }));
    for (const id of new Set(imageIds)) if (byId.has(id)) out.set(id, byId.get(id)!);
    return out;
  }

  async putAttributeAnswers(rows: readonly NewAttributeAnswer[]): Promise<void> {
    assertStorableAnswers(rows);
    if (rows.length === 0) return;
    // One statement cannot upsert a key twice: the batch's later row for a key wins, as it does in the folder.
    const last = lastByKey(rows, (r) => JSON.stringify([r.imageId, r.attribute, r.source]));
    await inTransaction(this.pool, async (client) => {
      await this.assertImages(client, rows.map((r) => r.imageId));
      await client.query(
        `INSERT INTO gallery_attribute_answers (gallery_id, image_id, attribute, source, question, answer, confidence)
         SELECT $1, a.image_id, a.attribute, a.source, a.question, a.answer, a.confidence
         FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[]) AS a(image_id, attribute, source, question, answer, confidence)
         ON CONFLICT (gallery_id, image_id, attribute, source)
         DO UPDATE SET question = excluded.question, answer = excluded.answer, confidence = excluded.confidence, created_at = now()`,
        [this.gid, last.map((r) => r.imageId), last.map((r) => r.attribute), last.map((r) => r.source), last.map((r) => r.question), last.map((r) => r.answer), last.map((r) => r.confidence ?? null)],
      );
    });
  }

  async attributeAnswers(imageIds: readonly number[]): Promise<Map<number, StoredAttributeAnswer[]>> {
    const wanted = validIds(imageIds);
    const out = new Map<number, StoredAttributeAnswer[]>();
    if (wanted.length === 0) return out;
    const r = await this.pool.query<StoredAttributeAnswer & { image_id: number }>(
      `SELECT image_id, attribute, question, answer, source, confidence FROM gallery_attribute_answers
       WHERE gallery_id = $1 AND image_id = ANY($2::int[]) ORDER BY image_id, attribute COLLATE "C", source COLLATE "C"`,
      [this.gid, wanted],
    );
    const byId = groupBy(r.rows, (row) => row.image_id, ({ image_id: _, ...answer }) => answer);
    for (const id of new Set(imageIds)) if (byId.has(id)) out.set(id, byId.get(id)!);
    return out;
  }

  async cameras(): Promise<Array<{ camera: string; count: number }>> {
    const r = await this.pool.query<{ camera: string; count: number }>(
      'SELECT camera, count(*)::int AS count FROM gallery_images WHERE gallery_id = $1 AND camera IS NOT NULL GROUP BY camera ORDER BY camera COLLATE "C"',
      [this.gid],
    );
    return r.rows;
  }

  /**
   * Builds the gallery's HNSW index when it has none yet (the deferred build: a bulk load pays for it once;
   * from then on PostgreSQL maintains it on every insert) and records the image count in the manifest.
   */
  async save(): Promise<void> {
    const n = await this.count();
    if (n > 0 && this.manifest.model.dim <= maxIndexedDim(this.vectorKind)) {
      try {
        await this.buildIndex(n);
      } catch (err) {
        throw new CtgiError('UPSTREAM_FAILED', `Building the HNSW index of ${this.location} failed: ${describePgError(err)}.`, { cause: err });
      }
    }
    if (this.manifest.vectorCount !== n) {
      this.manifest = { ...this.manifest, vectorCount: n, updatedAt: new Date().toISOString() };
      await this.pool.query("UPDATE galleries SET manifest = manifest || jsonb_build_object('vectorCount', $2::int, 'updatedAt', $3::text) WHERE id = $1", [this.gid, n, this.manifest.updatedAt]);
    }
  }

  async setCameraAliases(aliases: Record<string, string[]>): Promise<void> {
    const kept = Object.fromEntries(Object.entries(aliases).filter(([, names]) => names.length > 0));
    const { cameraAliases: _old, ...rest } = this.manifest;
    this.manifest = { ...rest, ...(Object.keys(kept).length > 0 ? { cameraAliases: kept } : {}), updatedAt: new Date().toISOString() };
    await this.pool.query(
      "UPDATE galleries SET manifest = (manifest - 'cameraAliases') || jsonb_build_object('updatedAt', $3::text) || (CASE WHEN $2::jsonb = '{}'::jsonb THEN '{}'::jsonb ELSE jsonb_build_object('cameraAliases', $2::jsonb) END) WHERE id = $1",
      [this.gid, JSON.stringify(kept), this.manifest.updatedAt],
    );
  }

  async close(options: { save?: boolean } = {}): Promise<void> {
    try {
      if (options.save ?? true) await this.save();
    } finally {
      await this.pool.end();
    }
  }

  /**
   * Builds the gallery's HNSW index once, CONCURRENTLY: every gallery (this one too) keeps taking writes while it
   * builds, which at a million images takes minutes. The session's maintenance_work_mem is raised to what the
   * graph needs (never lowered, at most `buildMemoryBytes`), since pgvector slows several-fold once the graph
   * outgrows it. An invalid index left by a failed or cancelled build is dropped and built again.
   */
  private async buildIndex(n: number): Promise<void> {
    const { M, efConstruction } = this.manifest.hnsw;
    const ops = this.vectorKind === 'vector' ? 'vector_ip_ops' : 'halfvec_ip_ops';
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      // One build at a time per database (builds on one table serialize anyway), and a second process saving the
      // same gallery finds the index built. Polled with short statements: a statement left waiting on the lock
      // would hold a snapshot, and CREATE INDEX CONCURRENTLY waits for every older snapshot (a deadlock).
      while (!(await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1, 0) AS got', [HNSW_BUILD_LOCK])).rows[0].got) {
        await sleep(BUILD_LOCK_POLL_MS);
      }
      try {
        const state = await client.query<{ valid: boolean }>('SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass($1)', [this.indexName]);
        if (state.rows[0]?.valid) return;
        if (state.rows.length > 0) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${this.indexName}`);
        const have = await client.query<{ bytes: string }>("SELECT pg_size_bytes(current_setting('maintenance_work_mem')) AS bytes");
        const wanted = Math.min(hnswBuildBytes(n, this.manifest.model.dim, this.vectorKind, M), this.buildMemoryBytes);
        const raise = wanted > Number(have.rows[0].bytes);
        // An integer of kB only: it goes into the SET text.
        if (raise) await client.query(`SET maintenance_work_mem = '${Math.ceil(wanted / 1024)}kB'`);
        try {
          await client.query(
            `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${this.indexName} ON gallery_images USING hnsw ((${this.vectorExpression()}) ${ops})
             WITH (m = ${Math.trunc(M)}, ef_construction = ${Math.trunc(efConstruction)}) WHERE gallery_id = ${this.gid}`,
          );
        } finally {
          if (raise) await client.query('RESET maintenance_work_mem');
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, 0)', [HNSW_BUILD_LOCK]);
      }
    } catch (err) {
      broken = err as Error;
      throw err;
    } finally {
      // A connection that failed mid-way is discarded (with its session lock and settings), not pooled.
      client.release(broken);
    }
  }

  /** The image with the smallest id for each key (paths are unique; several images may share bytes), in one query. */
  private async recordsBy(column: 'path' | 'sha256', keys: readonly string[]): Promise<Map<string, ImageRecord>> {
    const wanted = [...new Set(keys.filter((k) => !k.includes('\0')))]; // no stored path or hash holds a NUL
    const out = new Map<string, ImageRecord>();
    if (wanted.length === 0) return out;
    const r = await this.pool.query<ImageRow>(
      `SELECT DISTINCT ON (${column}) ${RECORD_COLUMNS} FROM gallery_images WHERE gallery_id = $1 AND ${column} = ANY($2::text[]) ORDER BY ${column}, id`,
      [this.gid, wanted],
    );
    for (const row of r.rows) out.set(row[column], toRecord(row));
    return out;
  }

  /** @throws CtgiError NOT_FOUND naming the first id that is not an image of the gallery. */
  private async assertImages(client: PgClient, ids: readonly number[]): Promise<void> {
    const unique = [...new Set(ids)];
    const r = await client.query<{ id: number }>('SELECT id FROM gallery_images WHERE gallery_id = $1 AND id = ANY($2::int[]) FOR SHARE', [this.gid, validIds(unique)]);
    const known = new Set(r.rows.map((row) => row.id));
    const missing = unique.find((id) => !known.has(id));
    if (missing !== undefined) throw new CtgiError('NOT_FOUND', `Image id ${missing} is not in the gallery; captions and answers can only be stored for indexed images.`);
  }

  private get indexName(): string {
    return `gallery_images_hnsw_${this.gid}`;
  }

  private vectorColumn(): string {
    return this.vectorKind === 'vector' ? 'embedding' : 'embedding_half';
  }

  /** The stored vector in pgvector's binary send format (read with decodeVectorSend). */
  private vectorSend(): string {
    return `${this.vectorKind}_send(${this.vectorColumn()})`;
  }

  private vectorType(): string {
    return `${this.vectorKind}(${Math.trunc(this.manifest.model.dim)})`;
  }

  /** The indexed expression: the untyped column cast to this gallery's dimension (queries must order by exactly it). */
  private vectorExpression(): string {
    return `(${this.vectorColumn()}::${this.vectorType()})`;
  }
}

// A lost connection or a failed statement reaches the user as one sentence naming the gallery, not as an
// internal error: every public method's failures other than CtgiErrors become UPSTREAM_FAILED.
type GalleryMethod = { [K in keyof Gallery]: Gallery[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof Gallery];
const GUARDED = [
  'count', 'add', 'remove', 'search', 'getMany', 'findByPath', 'findBySha', 'findByPaths', 'findByShas', 'embeddingsOf', 'loadEmbeddings', 'imageIds',
  'recordSkipped', 'listSkipped', 'putCaption', 'captionsOf', 'putAttributeAnswers', 'attributeAnswers', 'cameras', 'setCameraAliases', 'save',
] as const satisfies readonly GalleryMethod[];
// Every method of the port is guarded but close (which ends the pool): a method added to the port does not
// compile until it is listed here.
const EVERY_METHOD_GUARDED: [Exclude<GalleryMethod, (typeof GUARDED)[number] | 'close'>] extends [never] ? true : false = true;
void EVERY_METHOD_GUARDED;
for (const name of GUARDED) {
  const method = PostgresGallery.prototype[name] as (this: PostgresGallery, ...args: unknown[]) => Promise<unknown>;
  Object.defineProperty(PostgresGallery.prototype, name, {
    configurable: true,
    writable: true,
    value: async function (this: PostgresGallery, ...args: unknown[]) {
      try {
        return await method.apply(this, args);
      } catch (err) {
        if (isCtgiError(err)) throw err;
        throw new CtgiError('UPSTREAM_FAILED', `The database of ${this.location} failed: ${describePgError(err)}.`, { cause: err });
      }
    },
  });
}

function buildMemoryOf(target: PostgresGalleryTarget): number {
  return (target.buildMemoryMb ?? DEFAULT_BUILD_MEMORY_MB) * 2 ** 20;
}

async function openPool(target: PostgresGalleryTarget): Promise<PgPool> {
  return openPostgres(target.url, { ...(target.tls ? { tls: target.tls } : {}), ...(target.ca ? { ca: target.ca } : {}), applicationName: 'ctgi-gallery', keepOpen: 1 });
}

async function loadGallery(pool: PgPool, name: string): Promise<{ id: number; manifest: GalleryManifest; kind: VectorKind } | undefined> {
  const r = await pool.query<{ id: number; manifest: unknown; vector_kind: VectorKind }>('SELECT id, manifest, vector_kind FROM galleries WHERE name = $1', [name]);
  const row = r.rows[0];
  if (!row) return undefined;
  if (!Number.isInteger(row.id)) throw new CtgiError('INDEX_MISMATCH', `The gallery ${name} has an invalid id.`);
  return { id: row.id, manifest: parseManifest(row.manifest, `postgres gallery ${name}`), kind: row.vector_kind };
}
