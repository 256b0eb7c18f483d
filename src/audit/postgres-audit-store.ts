// The audit trail in PostgreSQL (table ctgi_audit of migration 0004): one trail for every process of a
// deployment. Every record is one INSERT the caller awaits; close() waits for those still in flight.
import type { AuditRecord } from '../conversation/conversation-types.js';
import { CtgiError } from '../errors/ctgi-error.js';
import type { PgPool } from '../storage/postgres.js';
import { isoInstantOrUndefined } from '../util/iso-instant.js';
import { auditCsvHeader, auditCsvLine, auditJsonLine, type AuditFormat } from './audit-format.js';
import { AUDIT_KINDS, requireInstant } from './audit-store.js';
import type { AuditRange, AuditTrail } from './audit-trail.js';

/** Rows fetched per query of an export (keyset pages, so an export of millions holds one page in memory). */
const PAGE = 1000;

interface AuditRow {
  id: string;
  at: string;
  thread: string;
  user_id: string;
  user_name: string | null;
  kind: AuditRecord['kind'];
  text: string | null;
  image_ids: number[] | null;
}

/** PostgreSQL adapter of AuditTrail over a migrated pool (which it ends on close). */
export class PostgresAuditStore implements AuditTrail {
  readonly location: string;
  readonly #pool: PgPool;
  readonly #inFlight = new Set<Promise<unknown>>();
  #closed = false;

  constructor(pool: PgPool, location: string) {
    this.#pool = pool;
    this.location = location;
  }

  async record(entry: AuditRecord): Promise<void> {
    if (this.#closed) throw new CtgiError('INTERNAL', `The audit trail in ${this.location} is closed.`);
    if (!AUDIT_KINDS.includes(entry.kind)) throw new CtgiError('BAD_INPUT', `Unknown audit record kind "${String(entry.kind)}".`);
    const insert = this.#pool.query('INSERT INTO ctgi_audit (at, thread, user_id, user_name, kind, text, image_ids) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      isoInstantOrUndefined(entry.at) ?? new Date().toISOString(),
      noNul(entry.thread),
      noNul(entry.userId),
      entry.userName === undefined ? null : noNul(entry.userName),
      entry.kind,
      entry.text === undefined ? null : noNul(entry.text),
      entry.imageIds ? JSON.stringify(entry.imageIds) : null,
    ]);
    this.#inFlight.add(insert);
    try {
      await insert;
    } finally {
      this.#inFlight.delete(insert);
    }
  }

  /** The records in `range`, oldest first. */
  async *records(range: AuditRange = {}): AsyncGenerator<AuditRecord> {
    const since = range.since === undefined ? '' : requireInstant(range.since, 'since');
    const until = range.until === undefined ? null : requireInstant(range.until, 'until');
    let after: { at: string; id: string } = { at: '', id: '0' };
    for (;;) {
      // Instants are compared as the byte strings SQLite compares (COLLATE "C"), whatever the database's locale.
      const page = await this.#pool.query<AuditRow>(
        `SELECT id, at, thread, user_id, user_name, kind, text, image_ids FROM ctgi_audit
         WHERE at COLLATE "C" >= $1 AND ($2::text IS NULL OR at COLLATE "C" < $2) AND (at COLLATE "C", id) > ($3, $4::bigint)
         ORDER BY at COLLATE "C", id LIMIT ${PAGE}`,
        [since, until, after.at, after.id],
      );
      for (const row of page.rows) {
        const record: AuditRecord = { at: row.at, thread: row.thread, userId: row.user_id, kind: row.kind };
        if (row.user_name !== null) record.userName = row.user_name;
        if (row.text !== null) record.text = row.text;
        if (row.image_ids !== null) record.imageIds = row.image_ids;
        yield record;
      }
      if (page.rows.length < PAGE) return;
      const last = page.rows.at(-1)!;
      after = { at: last.at, id: last.id };
    }
  }

  /** The records of one thread, oldest first (the case export). */
  async threadRecords(thread: string): Promise<AuditRecord[]> {
    const rows = await this.#pool.query<AuditRow>(
      'SELECT id, at, thread, user_id, user_name, kind, text, image_ids FROM ctgi_audit WHERE thread = $1 ORDER BY at COLLATE "C", id',
      [thread],
    );
    return rows.rows.map((row) => {
      const record: AuditRecord = { at: row.at, thread: row.thread, userId: row.user_id, kind: row.kind };
      if (row.user_name !== null) record.userName = row.user_name;
      if (row.text !== null) record.text = row.text;
      if (row.image_ids !== null) record.imageIds = row.image_ids;
      return record;
    });
  }

  async *exportLines(format: AuditFormat, range: AuditRange = {}): AsyncGenerator<string> {
    // Bad bounds are refused before the CSV header is written.
    if (range.since !== undefined) requireInstant(range.since, 'since');
    if (range.until !== undefined) requireInstant(range.until, 'until');
    if (format === 'csv') yield auditCsvHeader();
    for await (const record of this.records(range)) yield format === 'csv' ? auditCsvLine(record) : auditJsonLine(record);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#inFlight]);
    await this.#pool.end();
  }
}

/** PostgreSQL text cannot hold NUL; it is kept visible as U+FFFD rather than refused. */
function noNul(text: string): string {
  return text.includes('\u0000') ? text.replace(/\u0000/g, '\uFFFD') : text;
}
