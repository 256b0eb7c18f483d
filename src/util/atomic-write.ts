import { open, rename, rm } from 'node:fs/promises';

/**
 * Writes a file atomically: the data goes to a temporary sibling, is flushed to disk, then renamed over
 * `path`, so a reader (or a process killed mid-write) sees the old file or the new one, never half.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
