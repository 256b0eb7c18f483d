// The audit trail (DESIGN.md: every search is audited): one SQLite table of who asked what, where and when,
// which questions were put, what was answered and which image ids were shown.
import type { AuditRecord } from '../conversation/conversation-types.js';
import { CtgiError } from '../errors/ctgi-error.js';
import { openSqlite, type SqliteDatabase } from '../storage/sqlite.js';
import { isoInstantOrUndefined, isoInstantRefusal, parseIsoInstant } from '../util/iso-instant.js';
import { auditCsvHeader, auditCsvLine, auditJsonLine, type AuditFormat } from './audit-format.js';
import type { AuditRange, AuditTrail } from './audit-trail.js';

export type { AuditRange } from './audit-trail.js';

/** The kinds of audit record (the CHECK of both adapters' tables). */
export const AUDIT_KINDS: readonly AuditRecord['kind'][] = ['description', 'answer', 'question', 'gallery', 'refusal', 'done', 'witness'];
const KINDS = AUDIT_KINDS;

const tableSql = (name: string): string => `
CREATE TABLE IF NOT EXISTS ${name} (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  thread TEXT NOT NULL,
  user_id TEXT NOT NULL,
  user_name TEXT,
  kind TEXT NOT NULL CHECK (kind IN (${KINDS.map((k) => `'${k}'`).join(', ')})),
  text TEXT,
  image_ids TEXT
)`;
const SCHEMA = `${tableSql('audit')};
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
`;

/** Trails written before a kind was added check the old list: copy them into a table that allows every kind. */
function widenKinds(db: SqliteDatabase): void {
  const row = db.prepare<[], { sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'audit'").get();
  if (!row || KINDS.every((k) => row.sql.includes(`'${k}'`))) return;
  db.transaction(() => {
    db.exec(`${tableSql('audit_widened')}; INSERT INTO audit_widened SELECT id, at, thread, user_id, user_name, kind, text, image_ids FROM audit; DROP TABLE audit; ALTER TABLE audit_widened RENAME TO audit; CREATE INDEX IF NOT EXISTS audit_at ON audit (at);`);
  }).immediate();
}

interface AuditRow {
  at: string;
  thread: string;
  user_id: string;
  user_name: string | null;
  kind: AuditRecord['kind'];
  text: string | null;
  image_ids: string | null;
}

/** The SQLite audit trail (the embedded adapter of AuditTrail). */
export class AuditStore implements AuditTrail {
  readonly path: string;
  readonly #db: SqliteDatabase;
  readonly #insert: { run(...params: unknown[]): unknown } | undefined;
  #closed = false;

  private constructor(path: string, db: SqliteDatabase, readonly: boolean) {
    this.path = path;
    this.#db = db;
    this.#insert = readonly
      ? undefined
      : db.prepare<unknown[]>('INSERT INTO audit (at, thread, user_id, user_name, kind, text, image_ids) VALUES (?, ?, ?, ?, ?, ?, ?)');
  }

  /**
   * Opens (creating when missing, readable by the owner only) the audit database for writing.
   * @throws CtgiError NOT_FOUND when the file cannot be opened.
   */
  static open(path: string): AuditStore {
    let db: SqliteDatabase;
    try {
      db = openSqlite(path, { ownerOnly: true });
    } catch (err) {
      throw new CtgiError('NOT_FOUND', `Cannot create the audit trail ${path}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}.`, { cause: err });
    }
    db.exec(SCHEMA);
    widenKinds(db);
    return new AuditStore(path, db, false);
  }

  /**
   * Opens an existing audit database read-only (for exports).
   * @throws CtgiError NOT_FOUND when there is no audit trail at `path` yet.
   */
  static openReadOnly(path: string): AuditStore {
    let db: SqliteDatabase;
    try {
      db = openSqlite(path, { readonly: true, mustExist: true });
    } catch (err) {
      throw new CtgiError('NOT_FOUND', `There is no audit trail at ${path} yet: it is created the first time ctgi serve or ctgi chat runs a search.`, { cause: err });
    }
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'audit'").get();
    if (!table) {
      db.close();
      throw new CtgiError('NOT_FOUND', `${path} is not a ctgi audit trail (it has no audit table).`);
    }
    return new AuditStore(path, db, true);
  }

  get location(): string {
    return this.path;
  }

  /** Appends one record (committed when the promise settles); a malformed timestamp is replaced by the current time. */
  async record(entry: AuditRecord): Promise<void> {
    this.recordSync(entry);
  }

  /** `record`, synchronously (SQLite commits before returning). */
  recordSync(entry: AuditRecord): void {
    if (!this.#insert || this.#closed) throw new CtgiError('INTERNAL', `The audit trail ${this.path} is not open for writing.`);
    if (!KINDS.includes(entry.kind)) throw new CtgiError('BAD_INPUT', `Unknown audit record kind "${String(entry.kind)}".`);
    this.#insert.run(
      isoInstantOrUndefined(entry.at) ?? new Date().toISOString(),
      entry.thread,
      entry.userId,
      entry.userName ?? null,
      entry.kind,
      entry.text ?? null,
      entry.imageIds ? JSON.stringify(entry.imageIds) : null,
    );
  }

  /** The records in `range`, oldest first. */
  *records(range: AuditRange = {}): Generator<AuditRecord> {
    const since = range.since === undefined ? '' : requireInstant(range.since, 'since');
    const until = range.until === undefined ? '\uffff' : requireInstant(range.until, 'until');
    const rows = this.#db
      .prepare('SELECT at, thread, user_id, user_name, kind, text, image_ids FROM audit WHERE at >= ? AND at < ? ORDER BY at, id')
      .iterate(since, until) as IterableIterator<AuditRow>;
    for (const row of rows) yield toRecord(row);
  }

  /** The records of one thread, oldest first. */
  async threadRecords(thread: string): Promise<AuditRecord[]> {
    const rows = this.#db.prepare('SELECT at, thread, user_id, user_name, kind, text, image_ids FROM audit WHERE thread = ? ORDER BY at, id').all(thread) as AuditRow[];
    return rows.map(toRecord);
  }

  /** The export as lines (JSONL, or CSV with a header line first). */
  *lines(format: AuditFormat, range: AuditRange = {}): Generator<string> {
    if (format === 'csv') yield auditCsvHeader();
    for (const record of this.records(range)) yield format === 'csv' ? auditCsvLine(record) : auditJsonLine(record);
  }

  async *exportLines(format: AuditFormat, range: AuditRange = {}): AsyncGenerator<string> {
    yield* this.lines(format, range);
  }

  /** The whole export as one string. */
  export(since: string | undefined, format: AuditFormat): string {
    return [...this.lines(format, since === undefined ? {} : { since })].join('');
  }

  async close(): Promise<void> {
    this.closeSync();
  }

  /** Closes the database; idempotent. */
  closeSync(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}

/** The instant of a range bound, or a BAD_INPUT sentence naming the flag. */
export function requireInstant(value: string, name: string): string {
  const parsed = parseIsoInstant(value);
  if (!parsed.ok) throw new CtgiError('BAD_INPUT', isoInstantRefusal(`--${name}`, value, parsed.reason));
  return parsed.instant;
}

function toRecord(row: AuditRow): AuditRecord {
  const record: AuditRecord = { at: row.at, thread: row.thread, userId: row.user_id, kind: row.kind };
  if (row.user_name !== null) record.userName = row.user_name;
  if (row.text !== null) record.text = row.text;
  if (row.image_ids !== null) record.imageIds = JSON.parse(row.image_ids) as number[];
  return record;
}
