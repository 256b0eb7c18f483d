import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { DatasetEntry } from '../datasets/dataset.js';
import { CtgiError } from '../errors/ctgi-error.js';
import type { IngestItem } from './ingest.js';
import { storedPathFor } from './image-scan.js';

/** Per-image facts from a sidecar file: camera, capture time and person id by indexed path. */
export type ImageFacts = Map<string, { camera?: string; capturedAt?: string; personId?: string }>;

const factsSchema = z.array(
  z.object({
    path: z.string().min(1),
    camera: z.string().min(1).optional(),
    capturedAt: z.iso.datetime({ offset: true }).optional(),
    personId: z.union([z.string(), z.number()]).optional(),
  }),
);

/**
 * Reads `--metadata FILE`: a JSON array of `{path, camera?, capturedAt?, personId?}` (path as indexed,
 * capturedAt ISO-8601 with a time zone).
 * @throws CtgiError BAD_INPUT naming the first bad entry.
 */
export async function readImageFacts(path: string): Promise<ImageFacts> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new CtgiError('BAD_INPUT', `Cannot read the metadata file ${path}: ${(err as Error).message}.`, { cause: err });
  }
  const parsed = factsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CtgiError(
      'BAD_INPUT',
      `The metadata file ${path} must be a JSON array of {path, camera?, capturedAt?, personId?}; entry ${issue.path.join('.')}: ${issue.message}.`,
    );
  }
  return new Map(parsed.data.map((f) => [f.path, { camera: f.camera, capturedAt: f.capturedAt, personId: f.personId === undefined ? undefined : String(f.personId) }]));
}

/**
 * Compiles `--camera-pattern`: a regular expression applied to the indexed path; the first capture
 * group (or the whole match) is the camera, e.g. `^([^/]+)/` for per-camera folders or `_(c\d+)_`.
 */
export function cameraMatcher(pattern: string | undefined): (path: string) => string | null {
  if (!pattern) return () => null;
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (err) {
    throw new CtgiError('BAD_INPUT', `--camera-pattern ${pattern} is not a valid regular expression: ${(err as Error).message}.`, { cause: err });
  }
  return (path) => {
    const m = re.exec(path);
    return m ? (m[1] ?? m[0]) : null;
  };
}

/** Items for image files found on disk. */
export function itemsFromFiles(files: string[], imagesRoot: string | null, camera: (path: string) => string | null, facts: ImageFacts = new Map()): IngestItem[] {
  return files.map((absPath) => {
    const storedPath = storedPathFor(absPath, imagesRoot);
    const f = facts.get(storedPath);
    return { absPath, storedPath, personId: f?.personId ?? null, camera: f?.camera ?? camera(storedPath), capturedAt: f?.capturedAt ?? null };
  });
}

/** Items for a dataset's images (each image once, its captions merged), resolved under `imagesRoot`. */
export function itemsFromDataset(entries: DatasetEntry[], imagesRoot: string, camera: (path: string) => string | null, facts: ImageFacts = new Map()): IngestItem[] {
  const byPath = new Map<string, IngestItem>();
  for (const e of entries) {
    const existing = byPath.get(e.imagePath);
    if (existing) {
      existing.captions!.push(...e.captions);
      continue;
    }
    const f = facts.get(e.imagePath);
    byPath.set(e.imagePath, {
      absPath: resolve(imagesRoot, e.imagePath),
      storedPath: e.imagePath,
      personId: String(e.id),
      camera: f?.camera ?? camera(e.imagePath),
      capturedAt: f?.capturedAt ?? null,
      captions: [...e.captions],
    });
  }
  return [...byPath.values()].sort((a, b) => (a.storedPath < b.storedPath ? -1 : a.storedPath > b.storedPath ? 1 : 0));
}
