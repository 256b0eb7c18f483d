import type { Box } from './box.js';

// Ultralytics' LetterBox as its predictor applies it: scale the frame to fit the square input keeping its
// aspect ratio (up or down), centre it, pad with grey 114. Rounding follows theirs (`round(d ± 0.1)`) so a
// model sees the pixels it saw in training and boxes map back to the same frame pixels.

/** How a frame of `width` × `height` is placed in a `size` × `size` detector input. */
export interface LetterboxPlan {
  size: number;
  scale: number;
  /** Size of the resized frame inside the input. */
  width: number;
  height: number;
  /** Padding before the frame (left, top). */
  left: number;
  top: number;
}

/** Grey of the padding, in 0–255. */
export const LETTERBOX_PAD = 114;

/** Plans the letterbox of a `frameWidth` × `frameHeight` frame into a square input of `size`. */
export function planLetterbox(frameWidth: number, frameHeight: number, size: number): LetterboxPlan {
  const scale = Math.min(size / frameWidth, size / frameHeight);
  const width = Math.min(size, Math.max(1, Math.round(frameWidth * scale)));
  const height = Math.min(size, Math.max(1, Math.round(frameHeight * scale)));
  const dw = (size - width) / 2;
  const dh = (size - height) / 2;
  return { size, scale, width, height, left: Math.max(0, Math.round(dw - 0.1)), top: Math.max(0, Math.round(dh - 0.1)) };
}

/** Maps a box in input coordinates back to the frame. */
export function boxToFrame(b: Box, plan: LetterboxPlan): Box {
  return {
    x1: (b.x1 - plan.left) / plan.scale,
    y1: (b.y1 - plan.top) / plan.scale,
    x2: (b.x2 - plan.left) / plan.scale,
    y2: (b.y2 - plan.top) / plan.scale,
  };
}

/**
 * The NCHW float tensor (values 0–1, RGB) of the letterboxed input, from the frame already resized to
 * `plan.width` × `plan.height` (interleaved RGB bytes).
 */
export function letterboxTensor(resized: Uint8Array, plan: LetterboxPlan): Float32Array {
  const { size, width, height, left, top } = plan;
  const plane = size * size;
  const out = new Float32Array(3 * plane).fill(LETTERBOX_PAD / 255);
  for (let y = 0; y < height; y++) {
    const row = (y + top) * size + left;
    for (let x = 0; x < width; x++) {
      const src = (y * width + x) * 3;
      const dst = row + x;
      out[dst] = resized[src] / 255;
      out[plane + dst] = resized[src + 1] / 255;
      out[2 * plane + dst] = resized[src + 2] / 255;
    }
  }
  return out;
}
