import { createHash } from 'node:crypto';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gallery } from '../../src/gallery/gallery.js';
import { ingestImages, type IngestItem } from '../../src/gallery/ingest.js';
import { galleryRef, openOrCreateGallery } from '../../src/gallery/open-gallery.js';
import type { ImageEmbedding } from '../../src/models/encoder.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// Ingest asks the gallery about a chunk of files at once (by path, then the new bytes by hash): against a
// database every lookup is a round trip, so a re-run over many unchanged files must not make one per file.

const DIM = 4;
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('ingest-lookups'));
});
afterAll(() => cleanup());

/** A test encoder: a unit vector derived from the file's path (the pixels do not matter here). */
const encoder = {
  async embedImageFilesSettled(paths: string[]): Promise<ImageEmbedding[]> {
    return paths.map((path) => {
      const h = createHash('sha256').update(path).digest();
      const v = Float32Array.from({ length: DIM }, (_, i) => h[i] - 127.5);
      const n = Math.hypot(...v);
      return { path, ok: true as const, vector: v.map((x) => x / n) };
    });
  },
};

/** The gallery, with every lookup it answers counted by method. */
function counting(gallery: Gallery): { gallery: Gallery; calls: Record<string, number> } {
  const calls: Record<string, number> = { findByPath: 0, findBySha: 0, findByPaths: 0, findByShas: 0 };
  const proxy = new Proxy(gallery, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof prop === 'string' && prop in calls && typeof value === 'function') {
        return (...args: unknown[]) => {
          calls[prop]++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { gallery: proxy, calls };
}

describe('ingest lookups', () => {
  it('asks about each chunk of files in one call, and still finds unchanged, changed and duplicate files', async () => {
    const items: IngestItem[] = [];
    for (let k = 0; k < 150; k++) {
      const file = join(dir, `f${k}.bin`);
      // f149 has the same bytes as f0: a duplicate.
      await writeFile(file, k === 149 ? 'bytes of 0' : `bytes of ${k}`);
      items.push({ absPath: file, storedPath: `f${k}.bin`, personId: null, camera: null, capturedAt: null });
    }
    const base = await openOrCreateGallery(galleryRef(join(dir, 'gallery')), {
      model: { id: 'lookup-model', dir: '/models/x', layout: 'demo', dim: DIM, contextLength: 77, preprocess: null },
      hnsw: { M: 16, efConstruction: 200, ef: 64 },
      imagesRoot: dir,
    });
    try {
      const { gallery, calls } = counting(base);
      const first = await ingestImages({ index: gallery, encoder, items, chunkSize: 64 });
      expect(first).toMatchObject({ considered: 150, added: 149, unchanged: 0, replaced: 0, duplicates: [{ path: 'f149.bin', of: 'f0.bin' }], skipped: [] });
      expect(calls).toEqual({ findByPath: 0, findBySha: 0, findByPaths: 3, findByShas: 3 });

      // Again, with one file rewritten and one touched (same bytes, new mtime): 3 path lookups, and a hash
      // lookup only for the chunk holding the rewritten file.
      await writeFile(join(dir, 'f70.bin'), 'new bytes of 70');
      const later = new Date(Date.now() + 60_000);
      await utimes(join(dir, 'f5.bin'), later, later);
      for (const k of Object.keys(calls)) calls[k] = 0;
      const second = await ingestImages({ index: gallery, encoder, items, chunkSize: 64 });
      expect(second).toMatchObject({ considered: 150, added: 0, unchanged: 148, replaced: 1, duplicates: [{ path: 'f149.bin', of: 'f0.bin' }], skipped: [] });
      expect(calls).toEqual({ findByPath: 0, findBySha: 0, findByPaths: 3, findByShas: 2 });
      expect(await base.count()).toBe(149);
      expect((await base.findByPath('f70.bin'))?.sha256).toBe(createHash('sha256').update('new bytes of 70').digest('hex'));
    } finally {
      await base.close({ save: false });
    }
  });
});
