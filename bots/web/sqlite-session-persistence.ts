// Web sessions in SQLite under CTGI_HOME, so a restart keeps every browser's open search. Only the SHA-256 of
// a cookie secret is stored: a copy of the file does not let anyone take over a session.
import type { SqliteDatabase } from '../../src/storage/sqlite.js';
import { openSqlite } from '../../src/storage/sqlite.js';
import type { SessionPersistence, StoredSession } from './web-session-persistence.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS web_sessions (
  secret_sha256 TEXT PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  thread TEXT NOT NULL,
  address TEXT NOT NULL,
  shown_images TEXT NOT NULL,
  last_seen_ms INTEGER NOT NULL
)`;

interface Row {
  secret_sha256: string;
  id: string;
  thread: string;
  address: string;
  shown_images: string;
  last_seen_ms: number;
}

/** SQLite adapter of SessionPersistence (`<CTGI_HOME>/web-sessions.sqlite`, owner-only). */
export class SqliteSessionPersistence implements SessionPersistence {
  readonly #db: SqliteDatabase;

  private constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  /** Opens (creating) the session file. @throws CtgiError NOT_FOUND when it cannot be opened. */
  static open(file: string): SqliteSessionPersistence {
    const db = openSqlite(file, { ownerOnly: true });
    db.exec(SCHEMA);
    return new SqliteSessionPersistence(db);
  }

  async load(seenSinceMs: number): Promise<StoredSession[]> {
    this.#db.prepare('DELETE FROM web_sessions WHERE last_seen_ms < ?').run(seenSinceMs);
    const rows = this.#db.prepare('SELECT * FROM web_sessions ORDER BY last_seen_ms').all() as Row[];
    return rows.map(fromRow);
  }

  async find(secretHash: string): Promise<StoredSession | undefined> {
    if (!this.#db.open) return undefined;
    const row = this.#db.prepare('SELECT * FROM web_sessions WHERE secret_sha256 = ?').get(secretHash) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  async save(s: StoredSession): Promise<void> {
    if (!this.#db.open) return;
    const before = this.#db.prepare('SELECT shown_images FROM web_sessions WHERE secret_sha256 = ?').get(s.secretHash) as { shown_images: string } | undefined;
    const shown = [...new Set([...(before ? parseIds(before.shown_images) : []), ...s.shownImages])];
    this.#db
      .prepare('INSERT OR REPLACE INTO web_sessions (secret_sha256, id, thread, address, shown_images, last_seen_ms) VALUES (?, ?, ?, ?, ?, ?)')
      .run(s.secretHash, s.id, s.thread, s.address, JSON.stringify(shown), Math.round(s.lastSeenMs));
  }

  async remove(secretHash: string): Promise<void> {
    if (!this.#db.open) return;
    this.#db.prepare('DELETE FROM web_sessions WHERE secret_sha256 = ?').run(secretHash);
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

function fromRow(r: Row): StoredSession {
  return { secretHash: r.secret_sha256, id: r.id, thread: r.thread, address: r.address, shownImages: parseIds(r.shown_images), lastSeenMs: r.last_seen_ms };
}

function parseIds(text: string): number[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((x): x is number => Number.isInteger(x)) : [];
  } catch {
    // A damaged row costs that session its image list, not the start.
    return [];
  }
}
