import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import type { AuditRecord } from '../../src/conversation/conversation-types.js';
import { sniffImageFormat } from '../../src/vision/image-format.js';
import { CASE_FORMAT, caseImageIds, caseRecord, type CaseSource } from './case-record.js';
import { caseReportHtml } from './case-report.js';

// Writes a case as a zip (DESIGN.md: searches are kept as cases with their audit trail):
//   case.json        the case record (case-record.ts): q and q̂ per round, questions, answers and who, galleries
//   audit.jsonl      the thread's audit rows, oldest first
//   report.html      the one-page report (case-report.ts)
//   images/<id>.<ext> every image a gallery showed, byte for byte as the gallery holds it
//   manifest.json    the SHA-256 and size of every other file; `ctgi case verify` checks them

/** The manifest's name inside a case zip. */
export const MANIFEST = 'manifest.json';

/** manifest.json. */
export interface CaseManifest {
  format: typeof CASE_FORMAT;
  thread: string;
  exportedAt: string;
  files: Record<string, { sha256: string; bytes: number }>;
}

/** What a case is written from. */
export interface CaseInput extends CaseSource {
  /** The thread's audit rows. */
  audit: readonly AuditRecord[];
  /** Reads an image's bytes by id (a missing image is left out and its tiles say so). */
  readImage: (imageId: number) => Promise<Buffer>;
}

/** Writes the case zip to `out` (owner-only, via a temporary sibling renamed into place). */
export async function writeCaseZip(input: CaseInput, out: string): Promise<{ path: string; files: number; bytes: number }> {
  const images = new Map<number, Buffer>();
  const files = new Map<number, string>();
  for (const id of caseImageIds(input.values)) {
    const bytes = await input.readImage(id).catch(() => undefined);
    if (!bytes) continue;
    images.set(id, bytes);
    const sniffed = sniffImageFormat(bytes.subarray(0, 16));
    files.set(id, `images/${id}.${sniffed.accepted ? (sniffed.format === 'jpeg' ? 'jpg' : sniffed.format) : 'bin'}`);
  }
  const record = caseRecord(input, (id) => files.get(id));
  const members = new Map<string, Buffer>([
    ['case.json', Buffer.from(`${JSON.stringify(record, null, 2)}\n`)],
    ['audit.jsonl', Buffer.from(input.audit.map((r) => `${JSON.stringify(r)}\n`).join(''))],
    ['report.html', Buffer.from(caseReportHtml(record, images))],
  ]);
  for (const [id, name] of files) members.set(name, images.get(id)!);
  const manifest: CaseManifest = { format: CASE_FORMAT, thread: input.thread, exportedAt: input.exportedAt, files: {} };
  for (const [name, bytes] of members) manifest.files[name] = { sha256: sha256(bytes), bytes: bytes.length };

  const zip = new yazl.ZipFile();
  const mtime = new Date(input.exportedAt);
  for (const [name, bytes] of members) zip.addBuffer(bytes, name, { mtime, mode: 0o100600, compress: !name.startsWith('images/') });
  zip.addBuffer(Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), MANIFEST, { mtime, mode: 0o100600 });
  zip.end();
  await mkdir(dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    await pipeline(zip.outputStream, createWriteStream(tmp, { mode: 0o600 }));
    await rename(tmp, out);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return { path: out, files: members.size + 1, bytes: (await stat(out)).size };
}

/** Hex SHA-256 of `bytes`. */
export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
