// node bin/run-ts.js bench/footage-demo.bench.ts [-- --seeds 1,2,3,4,5 --frames 40 --people 6]
// On demo scenes (issue 14), per seed and averaged: detection recall and precision against the ground-truth
// boxes (IoU ≥ 0.5; boxes less than half visible are not required), track identity purity and fragmentation
// (tracks per identity), crops indexed per identity, and the throughput of the whole footage flow (decode +
// detect + track + crop + embed with the demo detector and demo encoder) against real time at the scene's fps.
// Goals: recall ≥ 0.9, purity ≥ 0.9.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDemoDetector } from '../src/demo/demo-detector.js';
import { writeDemoModelDir } from '../src/demo/demo-model.js';
import { evaluateScene } from '../src/demo/scene-eval.js';
import { writeScene } from '../src/demo/scene.js';
import { iou } from '../src/footage/box.js';
import { indexFootage } from '../src/footage/footage-index.js';
import type { Gallery } from '../src/gallery/gallery.js';
import { openGallery } from '../src/gallery/open-gallery.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const SEEDS = arg('seeds', '1,2,3,4,5').split(',').map(Number);
const FRAMES = Number(arg('frames', '40'));
const PEOPLE = Number(arg('people', '6'));

const root = await mkdtemp(join(tmpdir(), 'ctgi-bench-footage-'));
try {
  const model = join(root, 'model');
  await writeDemoModelDir(model);
  const rows: Array<Record<string, number>> = [];
  for (const seed of SEEDS) {
    const dir = join(root, `scene-${seed}`);
    const scene = await writeScene(dir, { seed, frames: FRAMES, people: PEOPLE });
    const detector = await openDemoDetector(join(dir, 'background.png'));
    const m = await evaluateScene(dir, detector);
    const t0 = performance.now();
    const result = await indexFootage({ indexDir: join(dir, 'index'), modelDir: model, detector, camera: scene.camera, frames: join(dir, 'frames'), start: scene.start, fps: scene.fps });
    const seconds = (performance.now() - t0) / 1000;
    const g = await openGallery(join(dir, 'index'));
    const crops = new Map<number, number>();
    for (const r of (await g.getMany(Array.from({ length: result.size + 10 }, (_, i) => i))).values()) {
      const f = r.footage!;
      const frame = scene.frames[Math.round(f.frameTimeMs / (1000 / scene.fps))];
      const box = { x1: f.box[0], y1: f.box[1], x2: f.box[2], y2: f.box[3] };
      const best = frame.people.map((p) => ({ id: p.identity, v: iou(p.box, box) })).sort((a, b) => b.v - a.v)[0];
      if (best && best.v >= 0.5) crops.set(best.id, (crops.get(best.id) ?? 0) + 1);
    }
    await g.close({ save: false });
    const videoSeconds = FRAMES / scene.fps;
    rows.push({ seed, recall: m.recall, precision: m.precision, purity: m.purity, fragmentation: m.fragmentation, cropsPerIdentity: [...crops.values()].reduce((a, b) => a + b, 0) / Math.max(1, crops.size), framesPerSecond: FRAMES / seconds, realTime: videoSeconds / seconds });
  }
  const mean = (k: string) => rows.reduce((s, r) => s + r[k], 0) / rows.length;
  const fmt = (v: number) => v.toFixed(3);
  const keys = ['recall', 'precision', 'purity', 'fragmentation', 'cropsPerIdentity', 'framesPerSecond', 'realTime'];
  console.log(['seed', ...keys].join('\t'));
  for (const r of rows) console.log([r.seed, ...keys.map((k) => fmt(r[k]))].join('\t'));
  console.log(['mean', ...keys.map((k) => fmt(mean(k)))].join('\t'));
} finally {
  await rm(root, { recursive: true, force: true });
}
