// node bin/run-ts.js bench/footage-detect.bench.ts [-- --frames 20 --width 1280 --height 720 --threads 2]
// Throughput of the footage stages on this machine with a YOLOv8n-sized detector (generated weights,
// output [1, 84, 8400]): decode of a PNG frame, detection (letterbox + inference + decoding), tracking with
// colour signatures and crop encoding, in frames per second and against real time for one camera at 2 fps.
// Embedding the crops is measured by bench:encode (ViT-B/16-sized) and adds per crop, not per frame.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeScene } from '../src/demo/scene.js';
import { withSignatures } from '../src/footage/appearance.js';
import { cropQuality, sharpness } from '../src/footage/crop-quality.js';
import { openOnnxDetector } from '../src/footage/onnx-detector.js';
import { BoxTracker } from '../src/footage/tracker.js';
import { decodeRgb } from '../src/vision/rgb-decode.js';
import { encodeRawPng } from '../src/vision/sharp-adapter.js';
import { yoloSizedDetector } from '../test/fixtures/yolo-sized-detector.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const FRAMES = arg('frames', 20);
const WIDTH = arg('width', 1280);
const HEIGHT = arg('height', 720);
const THREADS = arg('threads', 2);

const root = await mkdtemp(join(tmpdir(), 'ctgi-bench-detect-'));
try {
  const model = join(root, 'yolo.onnx');
  await writeFile(model, yoloSizedDetector());
  const scene = await writeScene(join(root, 'scene'), { seed: 3, frames: FRAMES, width: WIDTH, height: HEIGHT, people: 6 });
  // Random weights score everything near 0.5: a high threshold keeps NMS from dominating what real models never pay.
  const detector = await openOnnxDetector(model, { confidence: 0.999, intraOpThreads: THREADS });
  const tracker = new BoxTracker();
  const t = { decode: 0, detect: 0, track: 0 };
  let detections = 0;
  for (const [i, frame] of scene.frames.entries()) {
    let t0 = performance.now();
    const img = await decodeRgb(await readFile(join(root, 'scene', frame.file)), frame.file);
    const pixels = { data: img.data, width: img.width, height: img.height, channels: 3 };
    t.decode += performance.now() - t0;
    t0 = performance.now();
    const found = await detector.detect(pixels);
    t.detect += performance.now() - t0;
    t0 = performance.now();
    // Tracking and one crop per true person stand in for the detections random weights cannot make.
    const boxes = frame.people.map((p) => ({ box: p.box, score: 0.9, classId: 0 }));
    const { assigned } = tracker.update(i, withSignatures(pixels, boxes));
    for (const a of assigned) {
      cropQuality(a.detection, sharpness(pixels, a.detection.box), img.width, img.height);
      const b = a.detection.box;
      await encodeRawPng(pixels, { left: Math.floor(b.x1), top: Math.floor(b.y1), width: Math.max(1, Math.floor(b.x2 - b.x1)), height: Math.max(1, Math.floor(b.y2 - b.y1)) });
    }
    t.track += performance.now() - t0;
    detections += found.length;
  }
  await detector.close();
  const total = t.decode + t.detect + t.track;
  const fps = (FRAMES * 1000) / total;
  console.log(`frames ${FRAMES} at ${WIDTH}×${HEIGHT}, detector threads ${THREADS}`);
  for (const [k, v] of Object.entries(t)) console.log(`${k.padEnd(8)} ${(v / FRAMES).toFixed(1)} ms/frame  ${((100 * v) / total).toFixed(0)}%`);
  console.log(`throughput ${fps.toFixed(2)} frames/s = ${(fps / 2).toFixed(2)}× real time for one camera sampled at 2 fps`);
  void detections;
} finally {
  await rm(root, { recursive: true, force: true });
}
