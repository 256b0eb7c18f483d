import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withSignatures } from '../footage/appearance.js';
import { countFrame, newCounts, summarise, type FootageMetrics } from '../footage/footage-metrics.js';
import type { PersonDetector } from '../footage/onnx-detector.js';
import { BoxTracker, type TrackerOptions } from '../footage/tracker.js';
import { decodeRgb } from '../vision/rgb-decode.js';
import type { SceneFile } from './scene.js';

/** Figures below which a true box is not required (mostly hidden or outside the frame). */
export const MIN_VISIBLE = 0.5;

/** Runs `detector` and the product's tracker over a written scene and scores them against its ground truth. */
export async function evaluateScene(dir: string, detector: PersonDetector, tracker: TrackerOptions = {}): Promise<FootageMetrics & { frames: number }> {
  const scene = JSON.parse(await readFile(join(dir, 'scene.json'), 'utf8')) as SceneFile;
  const counts = newCounts();
  const boxes = new BoxTracker(tracker);
  for (const [index, frame] of scene.frames.entries()) {
    const img = await decodeRgb(await readFile(join(dir, frame.file)), frame.file);
    const pixels = { data: img.data, width: img.width, height: img.height, channels: 3 };
    const detections = withSignatures(pixels, await detector.detect(pixels));
    const { assigned } = boxes.update(index, detections);
    countFrame(
      counts,
      frame.people.map((p) => ({ identity: p.identity, box: p.box, ignore: p.visible < MIN_VISIBLE })),
      assigned.map((a) => ({ box: a.detection.box, trackId: a.trackId })),
    );
  }
  return { ...summarise(counts), frames: scene.frames.length };
}
