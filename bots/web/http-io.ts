// Small request/response helpers for the web chat's node:http server (no framework).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isCtgiError } from '../../src/errors/ctgi-error.js';

/** A request the server rejects with `status` and a sentence. */
export class HttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

/**
 * Reads a JSON object body of at most `limitBytes`.
 * @throws HttpError 413 when too large, 415 when not JSON, 400 when malformed or not an object.
 */
export async function readJsonObject(req: IncomingMessage, limitBytes: number): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  // Requiring application/json also forces a CORS preflight on any cross-site attempt.
  if (type !== 'application/json') throw new HttpError(415, 'Send the request body as JSON with Content-Type: application/json.');
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) throw new HttpError(413, `The request body is larger than ${limitBytes} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new HttpError(413, `The request body is larger than ${limitBytes} bytes.`);
    chunks.push(chunk);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `The request body is not valid JSON (${(err as Error).message}).`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'The request body must be a JSON object, e.g. {"text": "a man in a red coat"}.');
  return value as Record<string, unknown>;
}

/** Sends `value` as JSON. */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(body.length) });
  res.end(body);
}

/** Sends one plain-text sentence. */
export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  const body = Buffer.from(`${text}\n`);
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(body.length) });
  res.end(body);
}

/** The value of cookie `name`, if sent. */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The MIME type of encoded image bytes, from their signature. */
export function imageContentType(bytes: Buffer): string {
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  if (bytes.length >= 6 && bytes.toString('latin1', 0, 3) === 'GIF') return 'image/gif';
  return 'application/octet-stream';
}

/** Sends a gallery image's bytes (none for HEAD) with their MIME type; an id the gallery lacks is a 404. */
export async function sendGalleryImage(res: ServerResponse, method: string | undefined, read: (imageId: number) => Promise<Buffer>, imageId: number): Promise<void> {
  let bytes: Buffer;
  try {
    bytes = await read(imageId);
  } catch (err) {
    if (isCtgiError(err, 'NOT_FOUND')) throw new HttpError(404, 'Not found.');
    throw err;
  }
  res.writeHead(200, { 'Content-Type': imageContentType(bytes), 'Content-Length': String(bytes.length) });
  res.end(method === 'HEAD' ? undefined : bytes);
}
