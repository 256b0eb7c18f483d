import type { RawInput } from '../vision/sharp-adapter.js';
import { touchesEdge, type Box, type Detection } from './box.js';

// How good a crop of a track is for search: big, sharp, confidently a person and not cut by the frame
// edge. A product of factors in (0, 1] so no single one can be traded for an edge-cut crop entirely.

/** Height in pixels from which size no longer adds to quality. */
const FULL_HEIGHT = 256;
/** Laplacian variance at which sharpness counts half. */
const HALF_SHARPNESS = 60;
/** Factor applied to crops touching the frame border. */
const EDGE_PENALTY = 0.25;
/** Samples per side at most when measuring sharpness (bounded cost on 4K frames). */
const SHARPNESS_SAMPLES = 96;

/** Variance of the 4-neighbour Laplacian of the luma inside `box`, on a grid of at most 96×96 samples. */
export function sharpness(frame: RawInput, box: Box): number {
  const x1 = Math.max(1, Math.floor(box.x1));
  const y1 = Math.max(1, Math.floor(box.y1));
  const x2 = Math.min(frame.width - 1, Math.ceil(box.x2));
  const y2 = Math.min(frame.height - 1, Math.ceil(box.y2));
  if (x2 - x1 < 3 || y2 - y1 < 3) return 0;
  const stepX = Math.max(1, Math.floor((x2 - x1) / SHARPNESS_SAMPLES));
  const stepY = Math.max(1, Math.floor((y2 - y1) / SHARPNESS_SAMPLES));
  const c = frame.channels;
  const luma = (x: number, y: number) => {
    const i = (y * frame.width + x) * c;
    return c >= 3 ? 0.299 * frame.data[i] + 0.587 * frame.data[i + 1] + 0.114 * frame.data[i + 2] : frame.data[i];
  };
  let n = 0;
  let sum = 0;
  let sum2 = 0;
  for (let y = y1; y < y2; y += stepY) {
    for (let x = x1; x < x2; x += stepX) {
      const lap = luma(x - 1, y) + luma(x + 1, y) + luma(x, y - 1) + luma(x, y + 1) - 4 * luma(x, y);
      n++;
      sum += lap;
      sum2 += lap * lap;
    }
  }
  const mean = sum / n;
  return sum2 / n - mean * mean;
}

/** Quality of a detection's crop in (0, 1]. */
export function cropQuality(detection: Detection, sharp: number, frameWidth: number, frameHeight: number): number {
  const h = detection.box.y2 - detection.box.y1;
  const size = Math.sqrt(Math.min(1, Math.max(0, h) / FULL_HEIGHT));
  const focus = sharp / (sharp + HALF_SHARPNESS);
  const edge = touchesEdge(detection.box, frameWidth, frameHeight) ? EDGE_PENALTY : 1;
  return Math.max(1e-6, detection.score * size * (0.25 + 0.75 * focus) * edge);
}

/** A crop a track may keep. */
export interface CropCandidate {
  frame: number;
  quality: number;
}

/**
 * Decides whether `candidate` joins a track's kept crops (at most `keep`, at least `minGap` frames apart so
 * they are not near-copies of one frame): returns the kept crops it evicts, or `rejected`.
 */
export function offerCrop<C extends CropCandidate>(kept: readonly C[], candidate: C, keep: number, minGap: number): { accepted: boolean; evicted: C[] } {
  const near = kept.filter((k) => Math.abs(k.frame - candidate.frame) < minGap);
  if (near.length > 0) {
    return near.every((k) => candidate.quality > k.quality) ? { accepted: true, evicted: near } : { accepted: false, evicted: [] };
  }
  if (kept.length < keep) return { accepted: true, evicted: [] };
  const worst = kept.reduce((a, b) => (b.quality < a.quality ? b : a));
  return candidate.quality > worst.quality ? { accepted: true, evicted: [worst] } : { accepted: false, evicted: [] };
}
