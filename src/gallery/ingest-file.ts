import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { openRegularFile, statRegularFile } from '../util/regular-file.js';

// The file checks of ingest: each item is stat'ed (links followed) and hashed only when it is a regular
// file, and hashed through a non-blocking descriptor, so a FIFO, a device or a directory named like an image
// is skipped with a reason instead of failing or hanging the whole build.

/** A regular file's stats, or why the item is skipped. */
export type IngestStat = { ok: true; stats: Stats } | { ok: false; reason: string };

/** Stats `path` for ingest without opening it. */
export async function statForIngest(path: string): Promise<IngestStat> {
  try {
    const checked = await statRegularFile(path);
    return checked.ok ? checked : { ok: false, reason: notRegular(checked.kind) };
  } catch (err) {
    return { ok: false, reason: cannotRead(err) };
  }
}

/** sha256 (hex) of the regular file at `path`, or why it cannot be read. */
export async function hashRegularFile(path: string): Promise<{ ok: true; sha256: string } | { ok: false; reason: string }> {
  let opened;
  try {
    opened = await openRegularFile(path);
  } catch (err) {
    return { ok: false, reason: cannotRead(err) };
  }
  if (!opened.ok) return { ok: false, reason: notRegular(opened.kind) };
  const hash = createHash('sha256');
  try {
    for await (const chunk of opened.handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
    return { ok: true, sha256: hash.digest('hex') };
  } catch (err) {
    return { ok: false, reason: cannotRead(err) };
  } finally {
    await opened.handle.close();
  }
}

function notRegular(kind: string): string {
  return `it is ${kind}, not a regular file`;
}

function cannotRead(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'the file does not exist (or is a broken symbolic link)';
  if (code === 'ELOOP') return 'it is a symbolic link loop';
  return `cannot read the file (${code ?? 'error'})`;
}
