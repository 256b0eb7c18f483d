import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CtgiError } from '../../errors/ctgi-error.js';
import { processAlive } from '../../util/process.js';

const LOCK_NAME = '.ctgi-pull.lock';

/**
 * Takes the per-model pull lock so two pulls never write the same `.part` files; a lock left by a
 * process that no longer runs is taken over. Returns the release function.
 * @throws CtgiError BAD_INPUT when another live process holds the lock.
 */
export async function acquirePullLock(dir: string, what: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_NAME);
  for (let tries = 0; ; tries++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => rm(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    // An empty lock is one being written right now: treat it as held.
    if (tries > 0 || !(pid > 0) || processAlive(pid)) {
      throw new CtgiError(
        'BAD_INPUT',
        `Another pull of ${what} is running (process ${pid > 0 ? pid : 'unknown'}) into ${dir}; ` +
          `wait for it to finish, or delete ${path} if that process is not ctgi.`,
      );
    }
    // The holder died without releasing the lock (crash, kill -9): take it over.
    await rm(path, { force: true });
  }
}
