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
  const boxes = mergeParts(components(mask)).flatMap((b) => splitByHeads(mask, b));
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

/**
 * Splits a blob of several people walking close together at their heads: the blob's upper outline dips
 * between two heads (neck and shoulders), so each clear dip between two head tops a body width apart
 * is a boundary. A single upright person is left whole.
 */
function splitByHeads(mask: Uint8Array, b: Box): Box[] {
  const w = b.x2 - b.x1;
  const h = b.y2 - b.y1;
  if (w < 0.35 * h) return [b];
  const top: number[] = [];
  for (let x = b.x1; x < b.x2; x++) {
    let y = b.y1;
    while (y < b.y2 && !mask[y * INPUT + x]) y++;
    top.push(y);
  }
  const minGap = Math.max(4, Math.round(0.12 * h));
  const dip = 0.05 * h;
  // Head tops: columns that are the highest point within ±minGap columns.
  const heads: number[] = [];
  for (let i = 0; i < top.length; i++) {
    if (top[i] >= b.y2) continue;
    let isTop = true;
    for (let j = Math.max(0, i - minGap); j <= Math.min(top.length - 1, i + minGap) && isTop; j++) if (top[j] < top[i] || (top[j] === top[i] && j < i)) isTop = false;
    if (isTop) heads.push(i);
  }
  const cuts: number[] = [];
  for (let k = 1; k < heads.length; k++) {
    const [l, r] = [heads[k - 1], heads[k]];
    let low = l;
    for (let i = l; i <= r; i++) if (top[i] > top[low]) low = i;
    if (top[low] - Math.max(top[l], top[r]) >= dip) cuts.push(low);
  }
  if (cuts.length === 0) return [b];
  const edges = [0, ...cuts, top.length];
  const out: Box[] = [];
  for (let k = 0; k + 1 < edges.length; k++) {
    const part = rowsOf(mask, b.x1 + edges[k], b.x1 + edges[k + 1], b.y1, b.y2);
    if (part) out.push(part);
  }
  return out;
}

/** The foreground box within columns [x1, x2) and rows [y1, y2). */
function rowsOf(mask: Uint8Array, x1: number, x2: number, y1: number, y2: number): Box | undefined {
  let top = y2;
  let bottom = y1;
  let left = x2;
  let right = x1;
  for (let y = y1; y < y2; y++) {
    for (let x = x1; x < x2; x++) {
      if (!mask[y * INPUT + x]) continue;
      if (y < top) top = y;
      if (y + 1 > bottom) bottom = y + 1;
      if (x < left) left = x;
      if (x + 1 > right) right = x + 1;
    }
  }
  return bottom > top ? { x1: left, y1: top, x2: right, y2: bottom } : undefined;
}

