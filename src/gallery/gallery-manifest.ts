import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { CtgiError } from '../errors/ctgi-error.js';
import { writeFileAtomic } from '../util/atomic-write.js';

export const MANIFEST_FILE = 'manifest.json';

const preprocessSchema = z.object({
  height: z.number(),
  width: z.number(),
  resizeMode: z.enum(['squash', 'shortest']),
  shortestEdge: z.number().optional(),
  interpolation: z.enum(['bicubic', 'bilinear', 'nearest']),
  rescaleFactor: z.number(),
  mean: z.tuple([z.number(), z.number(), z.number()]),
  std: z.tuple([z.number(), z.number(), z.number()]),
});

const manifestSchema = z.object({
  format: z.literal('ctgi-gallery'),
  version: z.literal(1),
  model: z.object({
    id: z.string(),
    /** Where the model was when the index was built; `search` uses it unless --model is given. */
    dir: z.string(),
    layout: z.enum(['hf', 'immich', 'demo']),
    dim: z.number().int().positive(),
    contextLength: z.number().int().positive(),
    preprocess: preprocessSchema.nullable(),
  }),
  hnsw: z.object({ M: z.number().int().positive(), efConstruction: z.number().int().positive(), ef: z.number().int().positive() }),
  vectorCount: z.number().int().nonnegative(),
  /** Absolute root that relative image paths are resolved against. */
  imagesRoot: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** What an index is: which model made its vectors, with which preprocessing, and how many. */
export type GalleryManifest = z.infer<typeof manifestSchema>;

/** Reads `DIR/manifest.json`. @throws CtgiError NOT_FOUND / INDEX_MISMATCH with a sentence. */
export async function readManifest(dir: string): Promise<GalleryManifest> {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CtgiError('NOT_FOUND', `${dir} is not a gallery index (no ${MANIFEST_FILE}); build one with \`ctgi index build\`.`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CtgiError('INDEX_MISMATCH', `${path} is not valid JSON.`, { cause: err });
  }
  return parseManifest(json, path);
}

/** Validates a manifest read from `where` (a file, a database row). @throws CtgiError INDEX_MISMATCH with a sentence. */
export function parseManifest(json: unknown, where: string): GalleryManifest {
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CtgiError('INDEX_MISMATCH', `${where} is not a ctgi gallery manifest (${issue.path.join('.') || 'root'}: ${issue.message}).`);
  }
  return parsed.data;
}

export async function writeManifest(dir: string, manifest: GalleryManifest): Promise<void> {
  await writeFileAtomic(join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
}

/**
 * The image tower a model id names: a stretched copy (`X+pes248`) and a text-only adapted copy
 * (`X+text-adapter-HASH`, from `ctgi train --text-only`) share the image tower of `X`.
 */
export function imageTowerId(modelId: string): string {
  return modelId.replace(/(\+pes\d+|\+text-adapter-[0-9a-f]+)+$/, '');
}

/**
 * Refuses to mix vectors of different models.
 * @throws CtgiError INDEX_MISMATCH naming both models.
 */
export function assertSameModel(manifest: GalleryManifest, model: { id: string; dim: number }, dir: string): void {
  if (imageTowerId(model.id) !== imageTowerId(manifest.model.id) || model.dim !== manifest.model.dim) {
    throw new CtgiError(
      'INDEX_MISMATCH',
      `The index ${dir} was built with ${manifest.model.id} (${manifest.model.dim}-d) but the model given is ${model.id} (${model.dim}-d); ` +
        'use the same model, or build a new index.',
    );
  }
}
