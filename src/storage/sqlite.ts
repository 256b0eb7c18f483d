// The only module that imports better-sqlite3: every SQLite file of the product (gallery store, audit
// trail, MTG job table) is opened here, with the same durability settings.
import { chmodSync, closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { CtgiError } from '../errors/ctgi-error.js';

/** An open SQLite database (better-sqlite3's synchronous API). */
export type SqliteDatabase = Database.Database;

export interface OpenSqliteOptions {
  readonly?: boolean;
  /** Refuse to create a missing file (default false). */
  mustExist?: boolean;
  /** Keep the file readable by its owner only (conversations, audit trail): SQLite's -wal/-shm files follow its mode. */
  ownerOnly?: boolean;
  /** Milliseconds to wait on a lock held by another process (default 5000). */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating when writable) a SQLite file in WAL mode with foreign keys on.
 * @throws CtgiError NOT_FOUND when the file cannot be opened, naming it.
 */
export function openSqlite(path: string, options: OpenSqliteOptions = {}): SqliteDatabase {
  let db: SqliteDatabase;
  try {
    if (options.ownerOnly && !options.readonly) {
      closeSync(openSync(path, 'a', 0o600));
      chmodSync(path, 0o600);
    }
    db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.mustExist ?? false, timeout: options.busyTimeoutMs ?? 5000 });
  } catch (err) {
    throw new CtgiError('NOT_FOUND', `Cannot open the database ${path}: ${(err as Error).message}.`, { cause: err });
  }
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    // With WAL, NORMAL keeps every committed transaction across a process crash (only power loss can cost the last).
    db.pragma('synchronous = NORMAL');
  }
  db.pragma('foreign_keys = ON');
  return db;
}
