import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { fileSize } from './file-download.js';

/** Written last into a pulled model directory; its presence marks a complete pull. */
export const MANIFEST_NAME = 'ctgi-model.json';

const manifestSchema = z.object({
  repo: z.string(),
  revision: z.string(),
  commit: z.string().nullable(),
  layout: z.enum(['hf', 'immich', 'detector']),
  files: z.array(z.object({ path: z.string(), size: z.number().int().nonnegative(), sha256: z.string().optional() })),
  pulledAt: z.string(),
});

/** The record of a complete pull (`ctgi-model.json`). */
export type PullManifest = z.infer<typeof manifestSchema>;

/** Reads `dir`'s manifest; undefined when it is missing or unreadable (then the pull simply runs again). */
export async function readPullManifest(dir: string): Promise<PullManifest | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_NAME), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the manifest atomically (temp file + rename), so a crash never leaves a half-written marker. */
export async function writePullManifest(dir: string, manifest: PullManifest): Promise<void> {
  const path = join(dir, MANIFEST_NAME);
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify(manifest, null, 2) + '\n');
  await rename(tmp, path);
}

/** Removes the manifest: the directory is about to change, so it is no longer a complete pull. */
export async function removePullManifest(dir: string): Promise<void> {
  await rm(join(dir, MANIFEST_NAME), { force: true });
}

/** True when every file the manifest lists is on disk with the recorded size. */
export async function manifestFilesIntact(dir: string, manifest: PullManifest): Promise<boolean> {
  for (const f of manifest.files) {
    if ((await fileSize(join(dir, f.path))) !== f.size) return false;
  }
  return true;
}
