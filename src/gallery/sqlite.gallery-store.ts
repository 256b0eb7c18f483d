import { CtgiError } from '../errors/ctgi-error.js';
import { openSqlite, type SqliteDatabase } from '../storage/sqlite.js';
import type { GalleryStore, ImageFilter, ImageRecord, NewAttributeAnswer, NewImage, SkippedFile, StoredAttributeAnswer, StoredCaption } from './gallery-store.js';

// 2: footage columns (source_file, frame_ms, track_id, box), added to version-1 files on open.
const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS images (
  id          INTEGER PRIMARY KEY,
  path        TEXT NOT NULL UNIQUE,
  sha256      TEXT NOT NULL,
  person_id   TEXT,
  camera      TEXT,
  captured_at TEXT,
  width       INTEGER,
  height      INTEGER,
  bytes       INTEGER NOT NULL,
  mtime_ms    REAL NOT NULL,
  added_at    TEXT NOT NULL,
  embedding   BLOB NOT NULL,
  source_file TEXT,
  frame_ms    REAL,
  track_id    TEXT,
  box         TEXT
);
CREATE INDEX IF NOT EXISTS images_sha256 ON images(sha256);
CREATE INDEX IF NOT EXISTS images_camera ON images(camera);
CREATE INDEX IF NOT EXISTS images_captured_at ON images(captured_at);
-- Captions per image: dataset captions and MTG pseudo-captions.
CREATE TABLE IF NOT EXISTS captions (
  id         INTEGER PRIMARY KEY,
  image_id   INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  source     TEXT NOT NULL,
  text       TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS captions_image ON captions(image_id);
-- Per-image answers to attribute questions (MTG fills it; MTI reads it instead of asking the MLLM again).
CREATE TABLE IF NOT EXISTS attribute_answers (
  image_id   INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  attribute  TEXT NOT NULL,
  question   TEXT NOT NULL,
  answer     TEXT NOT NULL,
  source     TEXT NOT NULL,
  confidence REAL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (image_id, attribute, source)
);
CREATE TABLE IF NOT EXISTS skipped (path TEXT PRIMARY KEY, reason TEXT NOT NULL, at TEXT NOT NULL);
`;

interface Row {
  id: number;
  path: string;
  sha256: string;
  person_id: string | null;
  camera: string | null;
  captured_at: string | null;
  width: number | null;
  height: number | null;
  bytes: number;
  mtime_ms: number;
  added_at: string;
  source_file: string | null;
  frame_ms: number | null;
  track_id: string | null;
  box: string | null;
}

const BASE_COLUMNS = 'id, path, sha256, person_id, camera, captured_at, width, height, bytes, mtime_ms, added_at';
const FOOTAGE_COLUMNS = [
  ['source_file', 'TEXT'],
  ['frame_ms', 'REAL'],
  ['track_id', 'TEXT'],
  ['box', 'TEXT'],
] as const;

/** Adds the footage columns a version-1 file lacks (a no-op on current files). */
function migrate(db: SqliteDatabase): void {
  const have = new Set((db.prepare('PRAGMA table_info(images)').all() as Array<{ name: string }>).map((c) => c.name));
  db.transaction(() => {
    for (const [name, type] of FOOTAGE_COLUMNS) if (!have.has(name)) db.exec(`ALTER TABLE images ADD COLUMN ${name} ${type}`);
    db.exec('CREATE INDEX IF NOT EXISTS images_track ON images(track_id)');
    db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(SCHEMA_VERSION));
  })();
}

/** The SELECT list; a version-1 file opened read-only has no footage columns and reads them as NULL. */
function columnsOf(db: SqliteDatabase): string {
  const have = new Set((db.prepare('PRAGMA table_info(images)').all() as Array<{ name: string }>).map((c) => c.name));
  return [BASE_COLUMNS, ...FOOTAGE_COLUMNS.map(([name]) => (have.has(name) ? name : `NULL AS ${name}`))].join(', ');
}

function footageOf(r: Row): ImageRecord['footage'] {
  if (r.source_file === null || r.track_id === null || r.frame_ms === null || r.box === null) return null;
  return { source: r.source_file, frameTimeMs: r.frame_ms, trackId: r.track_id, box: JSON.parse(r.box) as [number, number, number, number] };
}

function toRecord(r: Row): ImageRecord {
  return {
    id: r.id,
    path: r.path,
    sha256: r.sha256,
    personId: r.person_id,
    camera: r.camera,
    capturedAt: r.captured_at,
    width: r.width,
    height: r.height,
    bytes: r.bytes,
    mtimeMs: r.mtime_ms,
    addedAt: r.added_at,
    footage: footageOf(r),
  };
}

/**
 * Gallery metadata and embeddings in one SQLite file (WAL journal): every batch commits atomically, so
 * a process killed at any moment leaves the last committed batch intact.
 */
export class SqliteGalleryStore implements GalleryStore {
  private readonly columns: string;

  private constructor(private readonly db: SqliteDatabase) {
    this.columns = columnsOf(db);
  }

  /** Opens (creating if asked) a gallery database. @throws CtgiError naming the file. */
  static open(path: string, options: { create?: boolean; readonly?: boolean } = {}): SqliteGalleryStore {
    let db: SqliteDatabase;
    try {
      db = openSqlite(path, { mustExist: !options.create, readonly: options.readonly ?? false });
    } catch (err) {
      throw new CtgiError('NOT_FOUND', `Cannot open the gallery database ${path}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}.`, { cause: err });
    }
    try {
      if (!options.readonly) db.exec(SCHEMA);
      const version = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
      if (version && Number(version.value) > SCHEMA_VERSION) {
        throw new CtgiError('INDEX_MISMATCH', `${path} was written by a newer ctgi (schema ${version.value}); upgrade ctgi to open it.`);
      }
      if (!options.readonly && (!version || Number(version.value) < SCHEMA_VERSION)) migrate(db);
    } catch (err) {
      db.close();
      if ((err as { name?: string }).name === 'CtgiError') throw err;
      throw new CtgiError('INDEX_MISMATCH', `${path} is not a ctgi gallery database: ${(err as Error).message}.`, { cause: err });
    }
    return new SqliteGalleryStore(db);
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
  }

  get(id: number): ImageRecord | undefined {
    const r = this.db.prepare(`SELECT ${this.columns} FROM images WHERE id = ?`).get(id) as Row | undefined;
    return r && toRecord(r);
  }

  getMany(ids: number[]): Map<number, ImageRecord> {
    const out = new Map<number, ImageRecord>();
    const stmt = this.db.prepare(`SELECT ${this.columns} FROM images WHERE id = ?`);
    for (const id of ids) {
      const r = stmt.get(id) as Row | undefined;
      if (r) out.set(id, toRecord(r));
    }
    return out;
  }

  findByPath(path: string): ImageRecord | undefined {
    const r = this.db.prepare(`SELECT ${this.columns} FROM images WHERE path = ?`).get(path) as Row | undefined;
    return r && toRecord(r);
  }

  findBySha(sha256: string): ImageRecord | undefined {
    const r = this.db.prepare(`SELECT ${this.columns} FROM images WHERE sha256 = ? ORDER BY id LIMIT 1`).get(sha256) as Row | undefined;
    return r && toRecord(r);
  }

  insertImages(images: NewImage[]): number[] {
    const now = new Date().toISOString();
    const stmt = this.db.prepare(
      `INSERT INTO images (path, sha256, person_id, camera, captured_at, width, height, bytes, mtime_ms, added_at, embedding, source_file, frame_ms, track_id, box)
       VALUES (@path, @sha256, @personId, @camera, @capturedAt, @width, @height, @bytes, @mtimeMs, @addedAt, @embedding, @sourceFile, @frameMs, @trackId, @box)`,
    );
    const clear = this.db.prepare('DELETE FROM skipped WHERE path = ?');
    const caption = this.db.prepare("INSERT INTO captions (image_id, source, text, created_at) VALUES (?, 'dataset', ?, ?)");
    const run = this.db.transaction((batch: NewImage[]) =>
      batch.map(({ captions, footage, ...img }) => {
        clear.run(img.path);
        const embedding = Buffer.from(img.embedding.buffer, img.embedding.byteOffset, img.embedding.byteLength);
        const cut = {
          sourceFile: footage?.source ?? null,
          frameMs: footage?.frameTimeMs ?? null,
          trackId: footage?.trackId ?? null,
          box: footage ? JSON.stringify(footage.box) : null,
        };
        const id = Number(stmt.run({ ...img, ...cut, addedAt: img.addedAt ?? now, embedding }).lastInsertRowid);
        for (const text of captions ?? []) caption.run(id, text, now);
        return id;
      }),
    );
    return run(images);
  }

  removeByPaths(paths: string[]): number[] {
    const find = this.db.prepare('SELECT id FROM images WHERE path = ?');
    const del = this.db.prepare('DELETE FROM images WHERE id = ?');
    const run = this.db.transaction((ps: string[]) => {
      const ids: number[] = [];
      for (const p of ps) {
        const r = find.get(p) as { id: number } | undefined;
        if (!r) continue;
        del.run(r.id);
        ids.push(r.id);
      }
      return ids;
    });
    return run(paths);
  }

  filterIds(filter: ImageFilter): Set<number> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.camera && filter.camera.length > 0) {
      where.push(`camera IN (${filter.camera.map(() => '?').join(', ')})`);
      params.push(...filter.camera);
    }
    if (filter.from) {
      // Instants, not strings: a time given with an offset (+02:00) compares by the moment it names.
      where.push('julianday(captured_at) >= julianday(?)');
      params.push(filter.from);
    }
    if (filter.to) {
      where.push('julianday(captured_at) <= julianday(?)');
      params.push(filter.to);
    }
    const sql = `SELECT id FROM images${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
    return new Set((this.db.prepare(sql).all(...params) as Array<{ id: number }>).map((r) => r.id));
  }

  imageIds(): number[] {
    return this.db.prepare('SELECT id FROM images ORDER BY id').pluck().all() as number[];
  }

  loadEmbeddings(dim: number): { ids: number[]; matrix: Float32Array } {
    const n = this.count();
    const ids: number[] = [];
    const matrix = new Float32Array(n * dim);
    let row = 0;
    for (const r of this.db.prepare('SELECT id, embedding FROM images ORDER BY id').iterate() as Iterable<{ id: number; embedding: Buffer }>) {
      if (r.embedding.byteLength !== dim * 4) {
        throw new CtgiError('INDEX_MISMATCH', `Image ${r.id} has a ${r.embedding.byteLength / 4}-dimensional embedding but the gallery is ${dim}-dimensional.`);
      }
      if (row >= n) break;
      matrix.set(new Float32Array(r.embedding.buffer.slice(r.embedding.byteOffset, r.embedding.byteOffset + r.embedding.byteLength)), row * dim);
      ids.push(r.id);
      row++;
    }
    return { ids, matrix: matrix.subarray(0, row * dim) };
  }

  recordSkipped(files: Array<{ path: string; reason: string }>): void {
    const now = new Date().toISOString();
    const stmt = this.db.prepare('INSERT INTO skipped (path, reason, at) VALUES (?, ?, ?) ON CONFLICT(path) DO UPDATE SET reason = excluded.reason, at = excluded.at');
    this.db.transaction(() => files.forEach((f) => stmt.run(f.path, f.reason, now)))();
  }

  clearSkipped(paths: string[]): void {
    const stmt = this.db.prepare('DELETE FROM skipped WHERE path = ?');
    this.db.transaction(() => paths.forEach((p) => stmt.run(p)))();
  }

  captionsOf(id: number): string[] {
    return (this.db.prepare('SELECT text FROM captions WHERE image_id = ? ORDER BY id').all(id) as Array<{ text: string }>).map((r) => r.text);
  }

  putCaption(imageId: number, source: string, text: string): void {
    this.db.transaction(() => {
      this.assertImages([imageId]);
      this.db.prepare('DELETE FROM captions WHERE image_id = ? AND source = ?').run(imageId, source);
      this.db.prepare('INSERT INTO captions (image_id, source, text, created_at) VALUES (?, ?, ?, ?)').run(imageId, source, text, new Date().toISOString());
    })();
  }

  captionsFor(imageIds: readonly number[]): Map<number, StoredCaption[]> {
    const out = new Map<number, StoredCaption[]>();
    const stmt = this.db.prepare('SELECT source, text FROM captions WHERE image_id = ? ORDER BY id');
    for (const id of new Set(imageIds)) {
      const rows = stmt.all(id) as StoredCaption[];
      if (rows.length > 0) out.set(id, rows);
    }
    return out;
  }

  putAttributeAnswers(rows: readonly NewAttributeAnswer[]): void {
    const stmt = this.db.prepare(
      `INSERT INTO attribute_answers (image_id, attribute, question, answer, source, confidence, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (image_id, attribute, source) DO UPDATE SET question = excluded.question, answer = excluded.answer, confidence = excluded.confidence, created_at = excluded.created_at`,
    );
    const now = new Date().toISOString();
    this.db.transaction(() => {
      this.assertImages(rows.map((r) => r.imageId));
      for (const r of rows) stmt.run(r.imageId, r.attribute, r.question, r.answer, r.source, r.confidence ?? null, now);
    })();
  }

  attributeAnswers(imageIds: readonly number[]): Map<number, StoredAttributeAnswer[]> {
    const out = new Map<number, StoredAttributeAnswer[]>();
    const stmt = this.db.prepare('SELECT attribute, question, answer, source, confidence FROM attribute_answers WHERE image_id = ? ORDER BY attribute, source');
    for (const id of new Set(imageIds)) {
      const rows = stmt.all(id) as StoredAttributeAnswer[];
      if (rows.length > 0) out.set(id, rows);
    }
    return out;
  }

  /** @throws CtgiError NOT_FOUND naming the first id that is not an image of the gallery. */
  private assertImages(ids: readonly number[]): void {
    const stmt = this.db.prepare('SELECT 1 FROM images WHERE id = ?');
    for (const id of new Set(ids)) {
      if (!stmt.get(id)) throw new CtgiError('NOT_FOUND', `Image id ${id} is not in the gallery; captions and answers can only be stored for indexed images.`);
    }
  }

  cameras(): Array<{ camera: string; count: number }> {
    return this.db.prepare('SELECT camera, COUNT(*) AS count FROM images WHERE camera IS NOT NULL GROUP BY camera ORDER BY camera').all() as Array<{ camera: string; count: number }>;
  }

  listSkipped(): SkippedFile[] {
    return this.db.prepare('SELECT path, reason, at FROM skipped ORDER BY path').all() as SkippedFile[];
  }

  close(): void {
    this.db.close();
  }
}
