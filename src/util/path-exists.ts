import { stat } from 'node:fs/promises';

/** True when something exists at `path` (any kind of entry; links followed). */
export async function pathExists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
