import { endianness } from 'node:os';
import { CtgiError } from '../errors/ctgi-error.js';
import type { FootageFacts, ImageRecord, ImageFilter } from './gallery-store.js';

// Row shapes and value conversions of the PostgreSQL gallery tables (0002_galleries.sql), kept apart from
// the adapter's queries.

/** Which pgvector type a gallery stores its embeddings as (`halfvec`: half the size, 16-bit values). */
export type VectorKind = 'vector' | 'halfvec';

/** The columns of an image record, for SELECT lists. */
export const RECORD_COLUMNS = 'id, path, sha256, person_id, camera, captured_at_text, width, height, bytes::float8 AS bytes, mtime_ms, added_at, footage';

export interface ImageRow {
  id: number;
  path: string;
  sha256: string;
  person_id: string | null;
  camera: string | null;
  captured_at_text: string | null;
  width: number | null;
  height: number | null;
  bytes: number;
  mtime_ms: number;
  added_at: Date;
  footage: FootageFacts | null;
}

export function toRecord(r: ImageRow): ImageRecord {
  return {
    id: r.id,
    path: r.path,
    sha256: r.sha256,
    personId: r.person_id,
    camera: r.camera,
    capturedAt: r.captured_at_text,
    width: r.width,
    height: r.height,
    bytes: r.bytes,
    mtimeMs: r.mtime_ms,
    addedAt: r.added_at.toISOString(),
    footage: r.footage,
  };
}

/** A pgvector text literal (`[1,2,3]`); each float32 prints as the shortest decimal that reads back to it. */
export function vectorLiteral(v: Float32Array): string {
  return `[${Array.from(v).join(',')}]`;
}

/**
 * Decodes pgvector's binary send format (`vector_send` / `halfvec_send`: uint16 dimension, uint16 unused, then
 * big-endian float32 or IEEE half values) into float32 values: exact, and far cheaper than printing and parsing text.
 */
export function decodeVectorSend(buf: Buffer, kind: VectorKind): Float32Array {
  const dim = buf.readUInt16BE(0);
  const out = new Float32Array(dim);
  if (kind === 'vector') {
    // One copy of the values, then a native byte swap in place (a float per call costs ~10× more at 116 × 512).
    new Uint8Array(out.buffer).set(buf.subarray(4, 4 + 4 * dim));
    if (LITTLE_ENDIAN) Buffer.from(out.buffer).swap32();
  } else {
    for (let i = 0; i < dim; i++) out[i] = halfToFloat(buf.readUInt16BE(4 + 2 * i));
  }
  return out;
}

const LITTLE_ENDIAN = endianness() === 'LE';

/** An IEEE 754 half (binary16) as a number (exact). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Epoch milliseconds of an ISO-8601 capture time. @throws CtgiError BAD_INPUT for text that is not one. */
export function captureMs(value: string, path: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new CtgiError('BAD_INPUT', `The capture time ${JSON.stringify(value.slice(0, 40))} of ${path} is not an ISO-8601 date and time.`);
  return ms;
}

/** SQL conditions (after `gallery_id = …`) and their parameters for a search filter, numbered from `first`. */
export function filterSql(filter: ImageFilter | undefined, first: number): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (filter?.camera && filter.camera.length > 0) {
    params.push(filter.camera);
    parts.push(`camera = ANY($${first + params.length - 1}::text[])`);
  }
  if (filter?.from !== undefined) {
    params.push(new Date(captureMs(filter.from, 'the filter')).toISOString());
    parts.push(`captured_at >= $${first + params.length - 1}::timestamptz`);
  }
  if (filter?.to !== undefined) {
    params.push(new Date(captureMs(filter.to, 'the filter')).toISOString());
    parts.push(`captured_at <= $${first + params.length - 1}::timestamptz`);
  }
  return { sql: parts.map((p) => ` AND ${p}`).join(''), params };
}

/** Whether the filter restricts anything. */
export function hasFilter(f: ImageFilter | undefined): boolean {
  return f !== undefined && ((f.camera?.length ?? 0) > 0 || f.from !== undefined || f.to !== undefined);
}

/** Largest dimension pgvector's HNSW indexes: 2,000 for vector, 4,000 for halfvec. */
export function maxIndexedDim(kind: VectorKind): number {
  return kind === 'vector' ? 2000 : 4000;
}

/** Keeps the last of the rows sharing a key, in the order of their last occurrence. */
export function lastByKey<T>(rows: readonly T[], key: (row: T) => string): T[] {
  const out = new Map<string, T>();
  for (const r of rows) {
    const k = key(r);
    out.delete(k);
    out.set(k, r);
  }
  return [...out.values()];
}

/** What a gallery in a database may be called: letters, digits, `-`, `_` and `.`, up to 63 characters. */
export const GALLERY_NAME = /^[A-Za-z0-9_.-]{1,63}$/;

/** @throws CtgiError BAD_INPUT unless `name` is a valid gallery name. */
export function assertGalleryName(name: string): void {
  if (!GALLERY_NAME.test(name)) {
    throw new CtgiError('BAD_INPUT', `${JSON.stringify(name.slice(0, 80))} is not a gallery name: with --database, --index names a gallery with letters, digits, -, _ and . (up to 63 characters).`);
  }
}

/** Ids a PostgreSQL integer column can hold (others cannot be images, so they are simply absent). */
export function validIds(ids: readonly number[]): number[] {
  return [...new Set(ids)].filter((id) => Number.isInteger(id) && id >= 0 && id <= 2_147_483_647);
}

/** Rows grouped by a numeric key, in row order. */
export function groupBy<R, T>(rows: readonly R[], key: (row: R) => number, value: (row: R) => T): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = out.get(k);
    if (list) list.push(value(row));
    else out.set(k, [value(row)]);
  }
  return out;
}
