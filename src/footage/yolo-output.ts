import { CtgiError } from '../errors/ctgi-error.js';
import type { Box } from './box.js';

// The two public Ultralytics detection output layouts, told apart by shape, and their decoding into boxes
// in the detector's input coordinates. Pure functions over the output tensor.

/**
 * `anchors`: YOLOv8/11, `[1, 4 + classes, N]`, rows cx, cy, w, h then one score per class; needs NMS.
 * `end2end`: YOLOv10/26, `[1, N, 6]`, rows x1, y1, x2, y2, score, class; already suppressed.
 */
export type YoloLayout = 'anchors' | 'end2end';

/** A raw candidate in input coordinates. */
export interface RawDetection {
  box: Box;
  score: number;
  classId: number;
}

/**
 * Recognises the layout from an output shape as the runtime reports it (symbolic dims are strings).
 * @throws CtgiError MODEL_UNSUPPORTED naming the shape when it is neither layout.
 */
export function yoloLayoutOf(shape: ReadonlyArray<number | string>, classCount: number | undefined, label: string): YoloLayout {
  const [b, d1, d2] = shape;
  const batchOk = shape.length === 3 && (b === 1 || typeof b === 'string');
  if (batchOk && d2 === 6 && (classCount === undefined || d1 !== classCount + 4)) return 'end2end';
  if (batchOk && typeof d1 === 'number' && d1 > 4 && (classCount === undefined || d1 === classCount + 4)) return 'anchors';
  const classes = classCount === undefined ? 'C' : String(classCount);
  throw new CtgiError(
    'MODEL_UNSUPPORTED',
    `${label} has a detection output of shape [${shape.join(', ')}]; expected the Ultralytics layouts [1, 4 + ${classes}, N] (YOLOv8/11) or [1, N, 6] (YOLOv10/26 end-to-end).`,
  );
}

/** Candidates of class `classId` scoring at least `minScore`, from an output of `dims`. */
export function decodeYolo(layout: YoloLayout, data: Float32Array, dims: readonly number[], classId: number, minScore: number): RawDetection[] {
  const out: RawDetection[] = [];
  if (layout === 'anchors') {
    const rows = dims[1];
    const n = dims[2];
    if (classId + 4 >= rows) return out;
    const scores = (4 + classId) * n;
    for (let i = 0; i < n; i++) {
      const score = data[scores + i];
      if (!(score >= minScore)) continue;
      // The class must be the anchor's best, as Ultralytics' NMS assigns one class per anchor.
      let best = true;
      for (let c = 4; c < rows && best; c++) if (c !== 4 + classId && data[c * n + i] > score) best = false;
      if (!best) continue;
      const cx = data[i];
      const cy = data[n + i];
      const w = data[2 * n + i];
      const h = data[3 * n + i];
      out.push({ box: { x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 }, score, classId });
    }
    return out;
  }
  const n = dims[1];
  const stride = dims[2];
  for (let i = 0; i < n; i++) {
    const o = i * stride;
    const score = data[o + 4];
    if (!(score >= minScore) || Math.round(data[o + 5]) !== classId) continue;
    out.push({ box: { x1: data[o], y1: data[o + 1], x2: data[o + 2], y2: data[o + 3] }, score, classId });
  }
  return out;
}

/** Input size from Ultralytics' `imgsz` metadata (`[640, 640]` or `640`); undefined when absent or not square. */
export function parseImgsz(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const nums = (value.match(/\d+/g) ?? []).map(Number);
  if (nums.length === 1 || (nums.length === 2 && nums[0] === nums[1])) return nums[0] > 0 ? nums[0] : undefined;
  return undefined;
}

/** Class names from Ultralytics' `names` metadata, a Python dict literal `{0: 'person', 1: 'bicycle'}`. */
export function parseNames(value: string | undefined): string[] | undefined {
  if (!value) return undefined;
  const names: string[] = [];
  for (const m of value.matchAll(/(\d+)\s*:\s*(['"])(.*?)\2/g)) names[Number(m[1])] = m[3];
  return names.length > 0 ? Array.from(names, (n, i) => n ?? String(i)) : undefined;
}
