// Bulk loads through COPY … FROM STDIN (FORMAT binary): one stream per batch instead of a statement per row.
// Rows are encoded here in PostgreSQL's binary COPY format (header, per-row field count, length-prefixed
// fields, trailer); the caller's COPY statement names the columns in the order the values are written.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { PgClient } from './postgres.js';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Microseconds between the Unix epoch and PostgreSQL's (2000-01-01T00:00:00Z). */
const PG_EPOCH_MS = 946_684_800_000;

/** Writes rows of one binary COPY stream; call `row(n)` before the n values of each row, then `finish()`. */
export class BinaryCopyWriter {
  private buf = Buffer.allocUnsafe(1 << 16);
  private at = 0;

  constructor() {
    this.bytes(SIGNATURE);
    this.int32(0); // flags
    this.int32(0); // header extension length
  }

  row(fields: number): this {
    this.ensure(2);
    this.at = this.buf.writeInt16BE(fields, this.at);
    return this;
  }

  null(): this {
    this.int32(-1);
    return this;
  }

  text(value: string | null): this {
    if (value === null) return this.null();
    const b = Buffer.from(value, 'utf8');
    this.int32(b.length);
    this.bytes(b);
    return this;
  }

  int4(value: number | null): this {
    if (value === null) return this.null();
    this.int32(4);
    this.int32(value);
    return this;
  }

  int8(value: number | null): this {
    if (value === null) return this.null();
    this.int32(8);
    this.ensure(8);
    this.at = this.buf.writeBigInt64BE(BigInt(value), this.at);
    return this;
  }

  float8(value: number | null): this {
    if (value === null) return this.null();
    this.int32(8);
    this.ensure(8);
    this.at = this.buf.writeDoubleBE(value, this.at);
    return this;
  }

  /** A timestamptz from epoch milliseconds (microsecond precision on the server). */
  timestamptz(ms: number | null): this {
    if (ms === null) return this.null();
    this.int32(8);
    this.ensure(8);
    this.at = this.buf.writeBigInt64BE(BigInt(Math.round((ms - PG_EPOCH_MS) * 1000)), this.at);
    return this;
  }

  jsonb(value: unknown): this {
    if (value === null || value === undefined) return this.null();
    const b = Buffer.from(JSON.stringify(value), 'utf8');
    this.int32(b.length + 1);
    this.ensure(1);
    this.buf[this.at++] = 1; // jsonb binary format version
    this.bytes(b);
    return this;
  }

  /** A pgvector `vector`: int16 dimension, int16 unused, then float4 values. */
  vector(v: Float32Array): this {
    this.int32(4 + 4 * v.length);
    this.ensure(4 + 4 * v.length);
    this.at = this.buf.writeInt16BE(v.length, this.at);
    this.at = this.buf.writeInt16BE(0, this.at);
    for (let i = 0; i < v.length; i++) this.at = this.buf.writeFloatBE(v[i], this.at);
    return this;
  }

  /** A pgvector `halfvec`: int16 dimension, int16 unused, then IEEE half-precision values (rounded to nearest even). */
  halfvec(v: Float32Array): this {
    this.int32(4 + 2 * v.length);
    this.ensure(4 + 2 * v.length);
    this.at = this.buf.writeInt16BE(v.length, this.at);
    this.at = this.buf.writeInt16BE(0, this.at);
    for (let i = 0; i < v.length; i++) this.at = this.buf.writeUInt16BE(halfBits(v[i]), this.at);
    return this;
  }

  /** The whole stream, trailer included. */
  finish(): Buffer {
    this.ensure(2);
    this.at = this.buf.writeInt16BE(-1, this.at);
    return this.buf.subarray(0, this.at);
  }

  private int32(n: number): void {
    this.ensure(4);
    this.at = this.buf.writeInt32BE(n, this.at);
  }

  private bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.at);
    this.at += b.length;
  }

  private ensure(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }
}

/** Streams `data` (a binary COPY stream) into `COPY … FROM STDIN (FORMAT binary)` on `client`; returns the rows copied. */
export async function copyBinaryIn(client: PgClient, copySql: string, data: Buffer): Promise<number> {
  const stream = client.query(copyFrom(copySql));
  // 1 MiB chunks keep memory flat on the socket side for large batches.
  const chunks = function* () {
    for (let o = 0; o < data.length; o += 1 << 20) yield data.subarray(o, o + (1 << 20));
  };
  await pipeline(Readable.from(chunks()), stream);
  return stream.rowCount;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits of a float32, rounded to nearest even (what pgvector's own float4 → half cast does). */
export function halfBits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}
