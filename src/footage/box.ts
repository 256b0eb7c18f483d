// Axis-aligned boxes in pixel coordinates, corners (x1, y1) top-left and (x2, y2) bottom-right.

/** A box in pixels of some image (a frame, or the detector's letterboxed input). */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** One detection in frame coordinates. */
export interface Detection {
  box: Box;
  score: number;
  classId: number;
  /** Appearance cue for tracking (see colourSignature). */
  signature?: number[];
}

/** Width times height (0 for degenerate boxes). */
export function boxArea(b: Box): number {
  return Math.max(0, b.x2 - b.x1) * Math.max(0, b.y2 - b.y1);
}

/** Intersection over union of two boxes. */
export function iou(a: Box, b: Box): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (boxArea(a) + boxArea(b) - inter);
}

/** The box clipped to a `width` × `height` image. */
export function clipBox(b: Box, width: number, height: number): Box {
  return { x1: clamp(b.x1, 0, width), y1: clamp(b.y1, 0, height), x2: clamp(b.x2, 0, width), y2: clamp(b.y2, 0, height) };
}

/** True when the box touches the image border within `margin` pixels (the person is probably cut off). */
export function touchesEdge(b: Box, width: number, height: number, margin = 2): boolean {
  return b.x1 <= margin || b.y1 <= margin || b.x2 >= width - margin || b.y2 >= height - margin;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** Greedy non-maximum suppression: keeps the highest-scoring detection of every group overlapping above `iouThreshold`. */
export function nms<T extends { box: Box; score: number }>(items: readonly T[], iouThreshold: number): T[] {
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const d of sorted) {
    if (kept.every((k) => iou(k.box, d.box) <= iouThreshold)) kept.push(d);
  }
  return kept;
}
