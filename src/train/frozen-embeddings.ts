import { resolve } from 'node:path';
import type { ImageEncoder, TextEncoder } from '../models/encoder.js';
import type { EmbeddingCache } from './embedding-cache.js';

/** Rows of one kind of frozen embedding, packed, with the row of each key. */
export interface EmbeddingTable {
  matrix: Float32Array;
  rowOf: Map<string, number>;
}

/** Progress of the embedding pass: items of `kind` done so far out of `total` (cached ones included). */
export interface EmbedProgress {
  kind: 'images' | 'captions';
  done: number;
  total: number;
}

/** Items embedded and stored per cache append; a killed run loses at most one chunk. */
const CHUNK = 64;

/**
 * Embeds every key not in the cache with the frozen tower, appending each chunk as it is done, then returns all
 * of them packed. Stops between chunks when `signal` aborts (returns undefined; the stored chunks stay).
 */
export async function frozenEmbeddings(
  kind: EmbedProgress['kind'],
  keys: readonly string[],
  embed: (keys: string[]) => Promise<Float32Array[]>,
  cache: EmbeddingCache,
  options: { signal?: AbortSignal; onProgress?: (p: EmbedProgress) => void } = {},
): Promise<EmbeddingTable | undefined> {
  const stored = await cache.load(kind);
  const todo = [...new Set(keys)].filter((k) => !stored.has(k));
  const total = stored.size + todo.length;
  options.onProgress?.({ kind, done: stored.size, total });
  for (let i = 0; i < todo.length; i += CHUNK) {
    if (options.signal?.aborted) return undefined;
    const chunk = todo.slice(i, i + CHUNK);
    const vectors = await embed(chunk);
    await cache.append(kind, chunk, vectors);
    chunk.forEach((k, j) => stored.set(k, vectors[j]));
    options.onProgress?.({ kind, done: stored.size, total });
  }
  const dim = cache.identity.dim;
  const unique = [...new Set(keys)];
  const matrix = new Float32Array(unique.length * dim);
  const rowOf = new Map<string, number>();
  unique.forEach((k, i) => {
    matrix.set(stored.get(k)!, i * dim);
    rowOf.set(k, i);
  });
  return { matrix, rowOf };
}

/** The image tower as a key → vector function over paths relative to `imagesRoot`. */
export function imageEmbedder(encoder: ImageEncoder, imagesRoot: string): (keys: string[]) => Promise<Float32Array[]> {
  return (keys) => encoder.embedImageFiles(keys.map((k) => resolve(imagesRoot, k)));
}

/** The text tower as a key → vector function over caption texts. */
export function textEmbedder(encoder: TextEncoder): (keys: string[]) => Promise<Float32Array[]> {
  return (keys) => encoder.embedTexts(keys);
}
