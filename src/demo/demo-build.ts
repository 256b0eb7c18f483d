import { join, resolve } from 'node:path';
import { readDataset } from '../datasets/dataset-io.js';
import { readManifest } from '../gallery/gallery-manifest.js';
import { indexDataset } from '../gallery/index-service.js';
import type { IngestReport } from '../gallery/ingest.js';
import { DATASET_FILE } from './world-files.js';
import { writeDemoModelDir } from './demo-model.js';
import { generateWorld, readWorld, writeWorld, type DemoWorld } from './world.js';
import { pathExists } from '../util/path-exists.js';

export interface DemoBuildOptions {
  out: string;
  identities?: number;
  seed?: number;
  /** Progress per phase: rendering images, then indexing them. */
  onProgress?: (phase: 'render' | 'index', done: number, total: number) => void;
}

/** The camera of a world image: its folder (images/<camera>/<id>_<k>.png). */
export const DEMO_CAMERA_PATTERN = '^images/([^/]+)/';

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
  if (await pathExists(join(out, 'ground-truth.json'))) {
    const existing = await readWorld(out);
    if (existing.seed === seed && existing.identities.length === identities) world = existing;
  }
  if (!world) {
    world = generateWorld({ identities, seed });
    await writeWorld(world, out, (done, total) => options.onProgress?.('render', done, total));
  }
  const { modelDir, indexDir } = demoPaths(out);
  await writeDemoModelDir(modelDir);
  // The world's dataset file, indexed as any dataset is (`ctgi eval --mti` over it builds the same gallery).
  const dataset = await readDataset(join(out, DATASET_FILE));
  const total = dataset.entries.length;
  let report: IngestReport | undefined;
  // The manifest's count is enough to see a finished index; a stale one only means a resumable re-run.
  const indexed = await readManifest(indexDir).then(
    (m) => m.vectorCount,
    () => -1,
  );
  if (indexed !== total) {
    const result = await indexDataset({ indexDir, modelDir, entries: dataset.entries, imagesRoot: out, cameraPattern: DEMO_CAMERA_PATTERN, onProgress: (done) => options.onProgress?.('index', done, total) });
    report = result.report;
  }
  return { out, world, modelDir, indexDir, report };
}
