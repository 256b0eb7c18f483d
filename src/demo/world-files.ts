import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeDataset } from '../datasets/dataset-io.js';
import type { DatasetEntry } from '../datasets/dataset.js';
import { CtgiError } from '../errors/ctgi-error.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { DEMO_SLOTS, type DemoSlotKey } from './attributes.js';
import { renderPersonPng } from './person-render.js';
import type { DemoWorld } from './world.js';

// A world on disk: images/<camera>/<id>_<k>.png, reid_raw.json (CUHK-PEDES), queries.json, and
// ground-truth.json written last, so a folder without it is a build that did not finish.

export const GROUND_TRUTH_FILE = 'ground-truth.json';
export const DATASET_FILE = 'reid_raw.json';
export const QUERIES_FILE = 'queries.json';

/** Images rendered at once (sharp runs each on its own libvips thread). */
const RENDER_CONCURRENCY = 4;

/** One vague query of queries.json. */
export interface WorldQuery {
  identity: number;
  text: string;
}

function writeError(outDir: string, err: unknown): CtgiError {
  const code = (err as { code?: unknown } | null)?.code;
  return new CtgiError(
    'BAD_INPUT',
    `Cannot write the demo world to ${outDir} (${typeof code === 'string' ? code : 'I/O error'}); check that the folder is writable and the disk has space.`,
    { cause: err },
  );
}

async function forEachBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The CUHK-PEDES entries: one per image, with that image's two captions. */
function datasetEntries(world: DemoWorld): DatasetEntry[] {
  return world.identities.flatMap((identity) =>
    identity.images.map((image, k) => ({
      id: identity.id,
      split: 'test',
      captions: [identity.captions[2 * k], identity.captions[2 * k + 1]].filter((c): c is string => Boolean(c)),
      imagePath: image.file,
      extra: {},
    })),
  );
}

/**
 * Renders every image of `world` into `outDir` and writes the dataset, the queries and (last) the ground
 * truth. An existing ground-truth.json is removed first, so an interrupted rewrite is detectable.
 * @throws CtgiError BAD_INPUT when the folder cannot be written.
 */
export async function writeWorld(world: DemoWorld, outDir: string, onProgress?: (done: number, total: number) => void): Promise<void> {
  const jobs = world.identities.flatMap((identity) => identity.images.map((image) => ({ identity, image })));
  try {
    await mkdir(outDir, { recursive: true });
    await rm(join(outDir, GROUND_TRUTH_FILE), { force: true });
    for (const camera of new Set(jobs.map((j) => j.image.camera))) await mkdir(join(outDir, 'images', camera), { recursive: true });
  } catch (err) {
    throw writeError(outDir, err);
  }
  let done = 0;
  await forEachBounded(jobs, RENDER_CONCURRENCY, async ({ identity, image }) => {
    const png = await renderPersonPng(identity.attributes, identity.appearance, image.jitter);
    try {
      await writeFile(join(outDir, image.file), png);
    } catch (err) {
      throw writeError(outDir, err);
    }
    onProgress?.(++done, jobs.length);
  });
  const queries: WorldQuery[] = world.identities.flatMap((identity) => identity.vagueQueries.map((text) => ({ identity: identity.id, text })));
  try {
    await writeDataset(join(outDir, DATASET_FILE), { format: 'cuhk-pedes', entries: datasetEntries(world) });
    await writeFileAtomic(join(outDir, QUERIES_FILE), `${JSON.stringify(queries, null, 1)}\n`);
    await writeFileAtomic(join(outDir, GROUND_TRUTH_FILE), `${JSON.stringify(world)}\n`);
  } catch (err) {
    if ((err as { name?: unknown }).name === 'CtgiError') throw err;
    throw writeError(outDir, err);
  }
}

// Built from the attribute schema, so the two cannot drift apart.
const slotEnum = (key: DemoSlotKey) => z.enum(DEMO_SLOTS.find((s) => s.key === key)!.values as [string, ...string[]]);
const rgb = z.tuple([z.number(), z.number(), z.number()]);

const attributesSchema = z.object(
  Object.fromEntries(DEMO_SLOTS.map((s) => [s.key, s.requires ? slotEnum(s.key).nullable() : slotEnum(s.key)])),
);

const jitterSchema = z.object({
  camera: z.string(),
  scale: z.number(),
  dx: z.number(),
  dy: z.number(),
  armLeft: z.tuple([z.number(), z.number()]),
  armRight: z.tuple([z.number(), z.number()]),
  legLeft: z.number(),
  legRight: z.number(),
  wall: rgb,
  floor: rgb,
  horizon: z.number(),
  textureSeed: z.number(),
  brightness: z.number(),
  contrast: z.number(),
});

const worldSchema = z.object({
  seed: z.number().int(),
  identities: z.array(
    z.object({
      id: z.number().int(),
      attributes: attributesSchema,
      appearance: z.object({ skinTone: z.number().int().nonnegative(), umbrellaColour: rgb }),
      images: z.array(z.object({ file: z.string(), camera: z.string(), jitter: jitterSchema })),
      captions: z.array(z.string()),
      vagueQueries: z.array(z.string()),
    }),
  ),
});

/**
 * Reads a world written by `writeWorld`.
 * @throws CtgiError NOT_FOUND when `outDir` holds no ground-truth.json, BAD_INPUT when it is malformed.
 */
export async function readWorld(outDir: string): Promise<DemoWorld> {
  const path = join(outDir, GROUND_TRUTH_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new CtgiError('NOT_FOUND', `No demo world in ${outDir}: ${GROUND_TRUTH_FILE} is missing (a build that did not finish leaves none); run \`ctgi demo build --out ${outDir}\`.`, { cause: err });
    }
    throw new CtgiError('BAD_INPUT', `Cannot read ${path} (${typeof code === 'string' ? code : 'I/O error'}); check that it is a readable file.`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CtgiError('BAD_INPUT', `${path} is not valid JSON; rebuild the demo world with \`ctgi demo build --out ${outDir}\`.`, { cause: err });
  }
  const parsed = worldSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new CtgiError('BAD_INPUT', `${path} is not a demo world (${issue.message}${where}); rebuild it with \`ctgi demo build --out ${outDir}\`.`, { cause: parsed.error });
  }
  // The attribute enums are built from DEMO_SLOTS at run time, so their static type is only string.
  return parsed.data as unknown as DemoWorld;
}
