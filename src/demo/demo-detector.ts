import { readFile } from 'node:fs/promises';
import type { Box } from '../footage/box.js';
import { letterboxTensor, planLetterbox } from '../footage/letterbox.js';
import { yoloDetector, type DetectorOptions, type PersonDetector } from '../footage/onnx-detector.js';
import { decodeRgb } from '../vision/rgb-decode.js';
import { resizeRaw } from '../vision/sharp-adapter.js';

// The demo world's stand-in for a YOLO person detector, as the demo encoder stands in for CLIP: a fixed
// camera's scene minus its empty background gives the people. It answers in the YOLOv10/26 end-to-end layout
// ([1, N, 6] in letterboxed input pixels), so the product's letterbox and decoding path run unchanged.

const INPUT = 640;
const MAX_DET = 100;
/** Per-channel difference (0–1) above which a pixel is foreground. */
const DIFF = 0.06;
/** Smallest component kept, in input pixels. */
const MIN_PIXELS = 40;

/** Opens the demo detector for a scene whose empty background is the PNG at `backgroundPng`. */
export async function openDemoDetector(backgroundPng: string, options: DetectorOptions = {}): Promise<PersonDetector> {
  const bg = await decodeRgb(await readFile(backgroundPng), backgroundPng);
  const plan = planLetterbox(bg.width, bg.height, INPUT);
  const resized = await resizeRaw({ data: bg.data, width: bg.width, height: bg.height, channels: 3 }, plan.width, plan.height);
  const background = letterboxTensor(resized.data, plan);
  return yoloDetector({ label: 'demo detector', layout: 'end2end', inputSize: INPUT, classNames: ['person'] }, async (input) => detectOutput(input, background), options);
}

/** Foreground components of `input` against `background` as an end-to-end output [1, 100, 6]. */
export function detectOutput(input: Float32Array, background: Float32Array): { data: Float32Array; dims: number[] } {
  const plane = INPUT * INPUT;
  const mask = new Uint8Array(plane);
  for (let i = 0; i < plane; i++) {
    const d = Math.max(Math.abs(input[i] - background[i]), Math.abs(input[plane + i] - background[plane + i]), Math.abs(input[2 * plane + i] - background[2 * plane + i]));
    if (d > DIFF) mask[i] = 1;
  }
  const boxes = mergeParts(components(mask));
  const data = new Float32Array(MAX_DET * 6);
  boxes
    .sort((a, b) => area(b) - area(a))
    .slice(0, MAX_DET)
    .forEach((b, k) => {
      const aspect = (b.x2 - b.x1) / Math.max(1, b.y2 - b.y1);
      // People are upright: a blob much wider than a person is likely several of them, scored lower.
      data.set([b.x1, b.y1, b.x2, b.y2, aspect < 0.6 ? 0.9 : 0.55, 0], k * 6);
    });
  return { data, dims: [1, MAX_DET, 6] };
}

function area(b: Box): number {
  return (b.x2 - b.x1) * (b.y2 - b.y1);
}

/** Bounding boxes of 8-connected foreground components of at least MIN_PIXELS pixels. */
function components(mask: Uint8Array): Box[] {
  const seen = new Uint8Array(mask.length);
  const stack: number[] = [];
  const out: Box[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || seen[start]) continue;
    let x1 = INPUT;
    let y1 = INPUT;
    let x2 = 0;
    let y2 = 0;
    let count = 0;
    seen[start] = 1;
    stack.push(start);
    while (stack.length > 0) {
      const p = stack.pop()!;
      const x = p % INPUT;
      const y = (p - x) / INPUT;
      count++;
      if (x < x1) x1 = x;
      if (y < y1) y1 = y;
      if (x + 1 > x2) x2 = x + 1;
      if (y + 1 > y2) y2 = y + 1;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= INPUT || ny >= INPUT) continue;
          const q = ny * INPUT + nx;
          if (mask[q] && !seen[q]) {
            seen[q] = 1;
            stack.push(q);
          }
        }
      }
    }
    if (count >= MIN_PIXELS) out.push({ x1, y1, x2, y2 });
  }
  return out;
}

/** Joins parts of one figure split where its colours match the background (a head above a coat, feet below). */
function mergeParts(boxes: Box[]): Box[] {
  const out = boxes.map((b) => ({ ...b }));
  for (let changed = true; changed; ) {
    changed = false;
    outer: for (let i = 0; i < out.length; i++) {
      for (let j = i + 1; j < out.length; j++) {
        const a = out[i];
        const b = out[j];
        const overlapX = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
        const gapY = Math.max(a.y1, b.y1) - Math.min(a.y2, b.y2);
        const h = Math.max(a.y2 - a.y1, b.y2 - b.y1);
        if (overlapX >= 0.5 * Math.min(a.x2 - a.x1, b.x2 - b.x1) && gapY <= 0.15 * h) {
          out[i] = { x1: Math.min(a.x1, b.x1), y1: Math.min(a.y1, b.y1), x2: Math.max(a.x2, b.x2), y2: Math.max(a.y2, b.y2) };
          out.splice(j, 1);
          changed = true;
          break outer;
        }
      }
    }
  }
  return out;
}
