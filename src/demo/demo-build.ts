import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { GalleryIndex, DEFAULT_HNSW } from '../gallery/gallery-index.js';
import { ingestImages, type IngestItem, type IngestReport } from '../gallery/ingest.js';
import { openImageEncoder } from '../models/open-encoders.js';
import { writeDemoModelDir } from './demo-model.js';
import { generateWorld, readWorld, writeWorld, type DemoWorld } from './world.js';

export interface DemoBuildOptions {
  out: string;
  identities?: number;
  seed?: number;
  /** Progress per phase: rendering images, then indexing them. */
  onProgress?: (phase: 'render' | 'index', done: number, total: number) => void;
}

export interface DemoBuild {
  out: string;
  world: DemoWorld;
  modelDir: string;
  indexDir: string;
  /** The indexing report, or undefined when an existing index was reused as is. */
  report: IngestReport | undefined;
}

/** Where the parts of a demo world live under its folder. */
export function demoPaths(out: string): { modelDir: string; indexDir: string } {
  return { modelDir: join(out, 'model'), indexDir: join(out, 'index') };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Builds (or reuses) a synthetic demo world: rendered pedestrians with ground truth, captions, vague
 * witness queries and a CUHK-PEDES-format dataset, plus a gallery index made with the demo encoder.
 * A world already in `out` with the same seed and size is reused; an interrupted build resumes.
 */
export async function buildDemo(options: DemoBuildOptions): Promise<DemoBuild> {
  const out = resolve(options.out);
  const identities = options.identities ?? 500;
  const seed = options.seed ?? 1;
  let world: DemoWorld | undefined;
  if (await exists(join(out, 'ground-truth.json'))) {
    const existing = await readWorld(out);
    if (existing.seed === seed && existing.identities.length === identities) world = existing;
  }
  if (!world) {
    world = generateWorld({ identities, seed });
    await writeWorld(world, out, (done, total) => options.onProgress?.('render', done, total));
  }
  const { modelDir, indexDir } = demoPaths(out);
  await writeDemoModelDir(modelDir);
  const { encoder, description } = await openImageEncoder(modelDir);
  try {
    const items: IngestItem[] = world.identities.flatMap((person) =>
      person.images.map((image) => ({
        absPath: join(out, image.file),
        storedPath: image.file,
        personId: String(person.id),
        camera: image.camera,
        capturedAt: null,
        captions: person.captions,
      })),
    );
    const index = await GalleryIndex.openOrCreate(indexDir, { model: description, hnsw: { ...DEFAULT_HNSW }, imagesRoot: out });
    let report: IngestReport | undefined;
    try {
      if (index.size !== items.length) {
        report = await ingestImages({ index, encoder, items, onProgress: (done) => options.onProgress?.('index', done, items.length) });
      }
    } finally {
      await index.close();
    }
    return { out, world, modelDir, indexDir, report };
  } finally {
    await encoder.close();
  }
}
