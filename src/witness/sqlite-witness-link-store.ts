import type { BotEvents, ThreadKey } from '../conversation/conversation-types.js';
import { openSqlite, type SqliteDatabase } from '../storage/sqlite.js';
import { witnessLinkOf, type RelayedEvents, type WitnessLink, type WitnessLinkRow, type WitnessLinkStore } from './witness-link-store.js';

// The SQLite adapter of the witness-link store: `<CTGI_HOME>/witness-links.sqlite`, owner-only like the audit
// trail. Several processes (ctgi serve, ctgi slack, ctgi discord) share the file; SQLite's locking makes
// binding a browser and taking the relay queue atomic.

const SCHEMA = `
CREATE TABLE IF NOT EXISTS witness_link (
  id TEXT PRIMARY KEY,
  secret_hash TEXT NOT NULL,
  thread TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  browser_hash TEXT,
  show_gallery INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS witness_link_thread ON witness_link (thread);
CREATE TABLE IF NOT EXISTS witness_relay (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  thread TEXT NOT NULL,
  events TEXT NOT NULL,
  at INTEGER NOT NULL
);
`;

/** Witness links in one SQLite file. */
export class SqliteWitnessLinkStore implements WitnessLinkStore {
  readonly #db: SqliteDatabase;
  #closed = false;

  private constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  /** Opens (creating when missing, owner-only) the store at `path`. @throws CtgiError NOT_FOUND. */
  static open(path: string): SqliteWitnessLinkStore {
    const db = openSqlite(path, { ownerOnly: true });
    db.exec(SCHEMA);
    return new SqliteWitnessLinkStore(db);
  }

  async insert(link: WitnessLink): Promise<void> {
    this.#db
      .prepare('INSERT INTO witness_link (id, secret_hash, thread, created_by, created_at, expires_at, revoked_at, browser_hash, show_gallery) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(link.id, link.secretHash, link.thread, link.createdBy, link.createdAt, link.expiresAt, link.revokedAt ?? null, link.browserHash ?? null, link.showGallery ? 1 : 0);
  }

  async get(id: string): Promise<WitnessLink | undefined> {
    const row = this.#db.prepare<[string], WitnessLinkRow>('SELECT * FROM witness_link WHERE id = ?').get(id);
    return row ? witnessLinkOf(row) : undefined;
  }

  async activeFor(thread: ThreadKey, now: number): Promise<WitnessLink[]> {
    const rows = this.#db.prepare<[string, number], WitnessLinkRow>('SELECT * FROM witness_link WHERE thread = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at').all(thread, now);
    return rows.map(witnessLinkOf);
  }

  async bindBrowser(id: string, browserHash: string): Promise<boolean> {
    return this.#db.prepare('UPDATE witness_link SET browser_hash = ? WHERE id = ? AND browser_hash IS NULL').run(browserHash, id).changes === 1;
  }

  async revoke(id: string, at: number): Promise<void> {
    this.#db.prepare('UPDATE witness_link SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id);
  }

  async setShowGallery(id: string, show: boolean): Promise<void> {
    this.#db.prepare('UPDATE witness_link SET show_gallery = ? WHERE id = ?').run(show ? 1 : 0, id);
  }

  async enqueueRelay(thread: ThreadKey, events: BotEvents, at: number): Promise<void> {
    this.#db.prepare('INSERT INTO witness_relay (thread, events, at) VALUES (?, ?, ?)').run(thread, JSON.stringify(events), at);
  }

  async takeRelay(prefix: string): Promise<RelayedEvents[]> {
    // Select and delete in one transaction, so two pollers never both deliver a row.
    const take = this.#db.transaction((p: string) => {
      const rows = this.#db.prepare<[string, string], { id: number; thread: string; events: string }>("SELECT id, thread, events FROM witness_relay WHERE substr(thread, 1, length(?)) = ? ORDER BY id").all(p, p);
      const del = this.#db.prepare('DELETE FROM witness_relay WHERE id = ?');
      for (const r of rows) del.run(r.id);
      return rows;
    });
    return take.immediate(prefix).map((r) => ({ id: r.id, thread: r.thread, events: JSON.parse(r.events) as BotEvents }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}
