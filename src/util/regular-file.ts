import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';

// Reading a path that turns out to be a FIFO blocks in open() until a writer appears (forever, and on a
// libuv thread); a device may never end. So a path is stat'ed before it is opened, opened non-blocking, and
// checked again on the descriptor, which also catches a file swapped for a FIFO in between.

// O_NONBLOCK has no effect on regular files; O_NOCTTY keeps a terminal device from becoming ours.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/** What a file system entry is, in words: "a regular file", "a directory", "a FIFO (named pipe)", … */
export function fileKind(stats: Pick<Stats, 'isFile' | 'isDirectory' | 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice' | 'isSymbolicLink'>): string {
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** A path that is not a regular file: `kind` says what it is (see fileKind). */
export interface NotRegular {
  ok: false;
  kind: string;
}

/**
 * Stats `path` (following links) and says whether it is a regular file, without opening it.
 * @throws the errno error of stat (ENOENT for a missing file or a broken link, ELOOP, EACCES, …).
 */
export async function statRegularFile(path: string): Promise<{ ok: true; stats: Stats } | NotRegular> {
  const stats = await stat(path);
  return stats.isFile() ? { ok: true, stats } : { ok: false, kind: fileKind(stats) };
}

/**
 * Opens `path` for reading when it is (after following links) a regular file, never blocking on a FIFO or a
 * device; the caller closes the handle.
 * @throws the errno error of stat or open.
 */
export async function openRegularFile(path: string): Promise<{ ok: true; handle: FileHandle; stats: Stats } | NotRegular> {
  const before = await statRegularFile(path);
  if (!before.ok) return before;
  const handle = await open(path, READ_FLAGS);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      await handle.close();
      return { ok: false, kind: fileKind(stats) };
    }
    return { ok: true, handle, stats };
  } catch (err) {
    await handle.close();
    throw err;
  }
}
