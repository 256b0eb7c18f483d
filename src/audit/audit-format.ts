// Pure formatting of audit rows for export: one JSON object per line, or RFC 4180 CSV that is safe to open
// in a spreadsheet.
import type { AuditRecord } from '../../agent/service/conversation-types.js';

/** Export formats of `ctgi audit export`. */
export type AuditFormat = 'jsonl' | 'csv';

export const AUDIT_FORMATS: readonly AuditFormat[] = ['jsonl', 'csv'];

/** CSV columns, in order (the table's own column names). */
export const AUDIT_CSV_COLUMNS = ['at', 'thread', 'user_id', 'user_name', 'kind', 'text', 'image_ids'] as const;

/** One record as a JSONL line (with its newline); absent fields are omitted. */
export function auditJsonLine(record: AuditRecord): string {
  const out: Record<string, unknown> = { at: record.at, thread: record.thread, userId: record.userId };
  if (record.userName !== undefined) out.userName = record.userName;
  out.kind = record.kind;
  if (record.text !== undefined) out.text = record.text;
  if (record.imageIds !== undefined) out.imageIds = record.imageIds;
  return `${JSON.stringify(out)}\n`;
}

/** The CSV header line (CRLF-terminated, as RFC 4180 has it). */
export function auditCsvHeader(): string {
  return `${AUDIT_CSV_COLUMNS.join(',')}\r\n`;
}

/** One record as a CSV line; image ids are a JSON array in one cell. */
export function auditCsvLine(record: AuditRecord): string {
  const cells = [record.at, record.thread, record.userId, record.userName ?? '', record.kind, record.text ?? '', record.imageIds ? JSON.stringify(record.imageIds) : ''];
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/**
 * One CSV cell: a cell a spreadsheet would run as a formula (starting with = + - @, or a tab or carriage
 * return that some programs skip first) gets a leading apostrophe; then RFC 4180 quoting when the cell holds
 * a comma, quote, CR or LF (quotes doubled).
 */
export function csvCell(value: string): string {
  const guarded = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}
