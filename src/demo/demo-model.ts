import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { DEMO_MODEL_ID } from './demo-encoder.js';

/** The file that marks a directory as the demo encoder's "model" (it has no weights: it reads attributes). */
export const DEMO_MARKER = 'ctgi-demo.json';

/** Marks `dir` as a demo model directory. */
export async function writeDemoModelDir(dir: string): Promise<void> {
  const marker = {
    format: 'ctgi-demo-encoder',
    version: 1,
    modelId: DEMO_MODEL_ID,
    note: 'Synthetic demo world only: attribute read-out from pixels and text, not CLIP.',
  };
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, DEMO_MARKER), JSON.stringify(marker, null, 2) + '\n');
}

/** True when `dir` holds the demo encoder's marker. */
export async function isDemoModelDir(dir: string): Promise<boolean> {
  try {
    const json = JSON.parse(await readFile(join(dir, DEMO_MARKER), 'utf8')) as { format?: unknown };
    return json.format === 'ctgi-demo-encoder';
  } catch {
    return false;
  }
}
