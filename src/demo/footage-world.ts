import { join } from 'node:path';
import { iou } from '../footage/box.js';
import { indexFootage } from '../footage/footage-index.js';
import { openGallery } from '../gallery/open-gallery.js';
import { openDemoDetector } from './demo-detector.js';
import { writeDemoModelDir } from './demo-model.js';
import { writeScene, type SceneFile } from './scene.js';

// Several demo cameras watching one set of people at different times, indexed into one footage gallery,
// with the identity of every crop from the scenes' ground truth: what the where/when filter and the
// timeline are tested and tuned on.

/** One camera of the demo footage. */
export interface DemoCamera {
  camera: string;
  /** Scene seed (street, walks). */
  seed: number;
  /** ISO time of the first frame. */
  start: string;
}

/** The built footage gallery. */
export interface DemoFootage {
  indexDir: string;
  modelDir: string;
  scenes: SceneFile[];
  /** Identity of each indexed crop (crops that match no ground-truth box at IoU ≥ 0.5 are absent). */
  identityOf: Map<number, number>;
}

/** Writes the scenes, indexes them (demo detector and encoder) into `out/index`, and labels the crops. */
export async function buildDemoFootage(out: string, options: { cameras: DemoCamera[]; peopleSeed: number; people?: number; frames?: number }): Promise<DemoFootage> {
  const modelDir = join(out, 'model');
  await writeDemoModelDir(modelDir);
  const indexDir = join(out, 'index');
  const scenes: SceneFile[] = [];
  for (const cam of options.cameras) {
    const dir = join(out, cam.camera);
    const scene = await writeScene(dir, { seed: cam.seed, peopleSeed: options.peopleSeed, camera: cam.camera, start: cam.start, people: options.people ?? 5, frames: options.frames ?? 30 });
    const detector = await openDemoDetector(join(dir, 'background.png'));
    await indexFootage({ indexDir, modelDir, detector, camera: cam.camera, frames: join(dir, 'frames'), start: scene.start, fps: scene.fps });
    scenes.push(scene);
  }
  const identityOf = new Map<number, number>();
  const gallery = await openGallery(indexDir);
  try {
    const n = await gallery.count();
    const records = await gallery.getMany(Array.from({ length: n * 2 + 10 }, (_, i) => i));
    for (const r of records.values()) {
      const scene = scenes.find((s) => s.camera === r.camera);
      const f = r.footage;
      if (!scene || !f) continue;
      const frame = scene.frames[Math.round(f.frameTimeMs / (1000 / scene.fps))];
      const box = { x1: f.box[0], y1: f.box[1], x2: f.box[2], y2: f.box[3] };
      const best = (frame?.people ?? []).map((p) => ({ id: p.identity, v: iou(p.box, box) })).sort((a, b) => b.v - a.v)[0];
      if (best && best.v >= 0.5) identityOf.set(r.id, best.id);
    }
  } finally {
    await gallery.close({ save: false });
  }
  return { indexDir, modelDir, scenes, identityOf };
}
