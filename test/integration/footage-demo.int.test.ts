import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDemoDetector } from '../../src/demo/demo-detector.js';
import { writeDemoModelDir } from '../../src/demo/demo-model.js';
import { evaluateScene } from '../../src/demo/scene-eval.js';
import { writeScene, type SceneFile } from '../../src/demo/scene.js';
import { iou } from '../../src/footage/box.js';
import { indexFootage } from '../../src/footage/footage-index.js';
import type { Gallery } from '../../src/gallery/gallery.js';
import { openGallery } from '../../src/gallery/open-gallery.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// Footage → detections → tracks → crops → index with no weights: a demo scene, the demo detector (same
// output layout as YOLOv10/26) and the demo encoder, scored against the scene's ground truth.

let tmp: { dir: string; cleanup: () => Promise<void> };
let scene: SceneFile;
let sceneDir: string;
beforeAll(async () => {
  tmp = await makeTempDir('footage-demo');
  sceneDir = join(tmp.dir, 'scene');
  scene = await writeScene(sceneDir, { seed: 2, frames: 30, people: 5 });
}, 120_000);
afterAll(() => tmp.cleanup());

describe('demo footage', () => {
  it('the scene has people, ground truth inside the frame, and some of them hidden at times', () => {
    const people = new Set(scene.frames.flatMap((f) => f.people.map((p) => p.identity)));
    expect(people.size).toBeGreaterThanOrEqual(4);
    for (const f of scene.frames) for (const p of f.people) expect(p.box.x1 >= 0 && p.box.x2 <= scene.width && p.box.y2 <= scene.height).toBe(true);
  });

  it('detects and tracks the people: recall and precision ≥ 0.9 at IoU 0.5, track purity ≥ 0.9', async () => {
    const detector = await openDemoDetector(join(sceneDir, 'background.png'));
    const m = await evaluateScene(sceneDir, detector);
    expect(m.recall).toBeGreaterThanOrEqual(0.9);
    expect(m.precision).toBeGreaterThanOrEqual(0.9);
    expect(m.purity).toBeGreaterThanOrEqual(0.9);
  });

  it('indexes crops of every clearly visible person, at most 3 per track, with the scene’s camera and times', async () => {
    const model = join(tmp.dir, 'model');
    await writeDemoModelDir(model);
    const index = join(tmp.dir, 'index');
    const detector = await openDemoDetector(join(sceneDir, 'background.png'));
    const result = await indexFootage({ indexDir: index, modelDir: model, detector, camera: scene.camera, frames: join(sceneDir, 'frames'), start: scene.start, fps: scene.fps });
    expect(result.ingest.skipped).toEqual([]);
    const g = await openGallery(index);
    try {
      const recs = [...(await g.getMany(Array.from({ length: result.size + 10 }, (_, i) => i))).values()];
      expect(recs.length).toBe(result.size);
      const perTrack = new Map<string, number>();
      const identities = new Set<number>();
      for (const r of recs) {
        const f = r.footage!;
        perTrack.set(f.trackId, (perTrack.get(f.trackId) ?? 0) + 1);
        const frame = scene.frames[Math.round(f.frameTimeMs / (1000 / scene.fps))];
        expect(r.capturedAt).toBe(new Date(Date.parse(scene.start) + f.frameTimeMs).toISOString());
        const box = { x1: f.box[0], y1: f.box[1], x2: f.box[2], y2: f.box[3] };
        const best = frame.people.map((p) => ({ id: p.identity, v: iou(p.box, box) })).sort((a, b) => b.v - a.v)[0];
        if (best && best.v >= 0.5) identities.add(best.id);
      }
      for (const n of perTrack.values()) expect(n).toBeLessThanOrEqual(3);
      const walkers = new Set(scene.frames.flatMap((fr) => fr.people.filter((p) => p.visible >= 0.9).map((p) => p.identity)));
      expect(identities).toEqual(walkers);
    } finally {
      g.close({ save: false });
    }
  });
});
