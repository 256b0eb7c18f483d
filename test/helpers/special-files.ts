import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** Creates a FIFO (named pipe) at `path` with mkfifo(1). */
export function makeFifo(path: string): string {
  execFileSync('mkfifo', [path]);
  return path;
}

/**
 * Opens and closes `fifo` for writing without blocking, which releases any reader stuck in open() on it
 * (so a regression that hangs on a FIFO does not also pin a thread past its test).
 */
export async function releaseFifoReaders(fifo: string): Promise<void> {
  const handle = await open(fifo, constants.O_RDWR | constants.O_NONBLOCK).catch(() => undefined);
  await handle?.close();
}
