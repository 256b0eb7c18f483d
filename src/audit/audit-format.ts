// Pure formatting of audit rows for export: one JSON object per line, or RFC 4180 CSV that is safe to open
// in a spreadsheet.
import type { AuditRecord } from '../conversation/conversation-types.js';

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

// Characters a spreadsheet may skip before it looks for a formula sign: white space and line breaks of any
// script (NBSP, U+2028, …), control characters and invisible format characters (BOM, zero-width space,
// word joiner, bidi marks).
const SKIPPED_LEAD = /^[\s\p{Z}\p{Cc}\p{Cf}]*/u;
// Formula signs, with their full-width (＝ ＋ － ＠) and small-form (﹦ ﹢ ﹣ ﹫) twins, which spreadsheets with
// East Asian input normalise to the ASCII sign.
const FORMULA_SIGN = /^[=+\-@\uFF1D\uFF0B\uFF0D\uFF20\uFE66\uFE62\uFE63\uFE6B]/u;

/**
 * Whether a spreadsheet could run `value` as a formula: it starts with a tab or carriage return, or its
 * first character that is not white space, a control or a format character is a formula sign.
 */
export function isFormulaLike(value: string): boolean {
  if (/^[\t\r]/.test(value)) return true;
  return FORMULA_SIGN.test(value.slice(SKIPPED_LEAD.exec(value)![0].length));
}

/**
 * One CSV cell: a cell a spreadsheet could run as a formula (see isFormulaLike) gets a leading apostrophe;
 * then RFC 4180 quoting when the cell holds a comma, quote, CR or LF (quotes doubled).
 */
export function csvCell(value: string): string {
  const guarded = isFormulaLike(value) ? `'${value}` : value;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}
