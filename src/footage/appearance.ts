import type { RawInput } from '../vision/sharp-adapter.js';
import type { Box, Detection } from './box.js';

// A cheap appearance cue for the tracker (as DeepSORT uses one): the colour distribution of the middle of a
// person's box. At a few frames per second people cross between two frames, and motion alone cannot tell
// who is who; clothing colours mostly can.

const BINS = 4;
/** Sample points per side at most (bounded cost on large boxes). */
const SAMPLES = 32;

/** A unit-length square-root colour histogram (4×4×4 RGB bins) of the box's central part. */
export function colourSignature(frame: RawInput, box: Box): number[] {
  const w = box.x2 - box.x1;
  const h = box.y2 - box.y1;
  // The middle of the box is mostly the person; its edges are mostly background.
  const x1 = box.x1 + 0.25 * w;
  const x2 = box.x2 - 0.25 * w;
  const y1 = box.y1 + 0.12 * h;
  const y2 = box.y2 - 0.1 * h;
  const hist = new Float64Array(BINS * BINS * BINS);
  let total = 0;
  for (let j = 0; j < SAMPLES; j++) {
    const y = Math.floor(y1 + ((j + 0.5) / SAMPLES) * (y2 - y1));
    if (y < 0 || y >= frame.height) continue;
    for (let i = 0; i < SAMPLES / 2; i++) {
      const x = Math.floor(x1 + ((i + 0.5) / (SAMPLES / 2)) * (x2 - x1));
      if (x < 0 || x >= frame.width) continue;
      const p = (y * frame.width + x) * frame.channels;
      const bin = ((frame.data[p] * BINS) >> 8) * BINS * BINS + ((frame.data[p + 1] * BINS) >> 8) * BINS + ((frame.data[p + 2] * BINS) >> 8);
      hist[bin]++;
      total++;
    }
  }
  return Array.from(hist, (v) => (total > 0 ? Math.sqrt(v / total) : 0));
}

/** Bhattacharyya coefficient of two signatures: 1 for the same colours, 0 for none in common. */
export function signatureSimilarity(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** The detections with their colour signatures. */
export function withSignatures(frame: RawInput, detections: readonly Detection[]): Detection[] {
  return detections.map((d) => ({ ...d, signature: colourSignature(frame, d.box) }));
}
