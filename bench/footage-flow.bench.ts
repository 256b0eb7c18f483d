// node bin/run-ts.js bench/footage-flow.bench.ts [-- --frames 40 --width 1280 --height 720 --people 6]
// The whole footage flow on this machine (issue 14): frames → detect → track → crops → embed → index, with
// a YOLOv8n-sized detector and a ViT-B/16-sized CLIP (both generated, random weights; the model is kept
// under .bench/). Random weights find nobody, so the detector pays YOLOv8n's inference on every frame but
// reports the demo detector's boxes: the crops, and hence the embedding work, are those of real people.
// Prints frames per second against real time for one camera sampled at 2 fps, and each stage's share.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDemoDetector } from '../src/demo/demo-detector.js';
import { writeScene } from '../src/demo/scene.js';
import { indexFootage } from '../src/footage/footage-index.js';
import { openOnnxDetector, type PersonDetector } from '../src/footage/onnx-detector.js';
import { VITB16_PERSON, writeTinyClipModel } from '../test/fixtures/tiny-clip.js';
import { yoloSizedDetector } from '../test/fixtures/yolo-sized-detector.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const FRAMES = arg('frames', 40);
const WIDTH = arg('width', 1280);
const HEIGHT = arg('height', 720);
const PEOPLE = arg('people', 6);

const modelDir = resolve('.bench', 'vitb16-hf');
if (!existsSync(join(modelDir, 'config.json')) && !existsSync(join(modelDir, 'model.onnx'))) {
  console.log('generating a ViT-B/16-sized model under .bench/ (once)…');
  await writeTinyClipModel(modelDir, { layout: 'hf', ...VITB16_PERSON });
}
const root = await mkdtemp(join(tmpdir(), 'ctgi-bench-flow-'));
try {
  const scene = await writeScene(join(root, 'scene'), { seed: 4, frames: FRAMES, width: WIDTH, height: HEIGHT, people: PEOPLE });
  await writeFile(join(root, 'yolo.onnx'), yoloSizedDetector());
  const yolo = await openOnnxDetector(join(root, 'yolo.onnx'), { confidence: 0.999, intraOpThreads: 2 });
  const demo = await openDemoDetector(join(root, 'scene', 'background.png'));
  let detectMs = 0;
  let demoMs = 0;
  const detector: PersonDetector = {
    ...yolo,
    async detect(frame) {
      const t0 = performance.now();
      await yolo.detect(frame);
      detectMs += performance.now() - t0;
      const t1 = performance.now();
      const boxes = await demo.detect(frame);
      demoMs += performance.now() - t1;
      return boxes;
    },
  };
  const t0 = performance.now();
  const result = await indexFootage({ indexDir: join(root, 'index'), modelDir, detector, camera: 'street', frames: join(root, 'scene', 'frames'), start: scene.start, fps: scene.fps });
  // The demo boxes are the benchmark's stand-in for what YOLO would find, not work the product does.
  const totalMs = performance.now() - t0 - demoMs;
  await yolo.close();
  const fps = (FRAMES * 1000) / totalMs;
  console.log(`${FRAMES} frames at ${WIDTH}×${HEIGHT}, ${result.size} crops indexed (${result.sources[0].tracks} tracks)`);
  console.log(`YOLOv8n-sized inference ${(detectMs / FRAMES).toFixed(0)} ms/frame (${((100 * detectMs) / totalMs).toFixed(0)}% of the run)`);
  console.log(`everything else (decode, track, crop, embed ${result.size} crops, index) ${((totalMs - detectMs) / FRAMES).toFixed(0)} ms/frame; demo boxes (not counted) ${(demoMs / FRAMES).toFixed(0)} ms/frame`);
  console.log(`throughput ${fps.toFixed(2)} frames/s = ${(fps / 2).toFixed(2)}× real time for one camera sampled at 2 fps`);
} finally {
  await rm(root, { recursive: true, force: true });
}
