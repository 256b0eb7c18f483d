import { createHash } from 'node:crypto';
import { mulberry32 } from '../util/prng.js';

/** Which towers carry an adapter. */
export type AdapterSide = 'text' | 'image';

/**
 * One tower's residual low-rank map, y = x + (x·down)·up, applied to the tower's embedding before the encoder
 * L2-normalises it. With no bias the map commutes with scaling, so it gives the same direction whether or not
 * the tower normalised x already.
 */
export interface SideWeights {
  /** [dim, rank], row-major. */
  down: Float32Array;
  /** [rank, dim], row-major; all zero at initialisation, so the map starts as the identity exactly. */
  up: Float32Array;
}

/** Everything the trainer learns, as plain arrays. */
export interface AdapterWeights {
  dim: number;
  rank: number;
  sides: Partial<Record<AdapterSide, SideWeights>>;
  /** The contrastive loss's learnable logit scale (1/τ), kept for the record. */
  logitScale: number;
}

/** The CLIP initial temperature 0.07 (logit scale ≈ 14.3), as in IRRA's contrastive term. */
export const INITIAL_LOGIT_SCALE = 1 / 0.07;

/** Identity-initialised weights: `down` seeded uniform in ±1/√dim, `up` zero. */
export function initialWeights(dim: number, rank: number, sides: AdapterSide[], seed: number): AdapterWeights {
  const random = mulberry32(seed);
  const bound = 1 / Math.sqrt(dim);
  const out: AdapterWeights = { dim, rank, sides: {}, logitScale: INITIAL_LOGIT_SCALE };
  for (const side of ['image', 'text'] as const) {
    // Both sides draw their numbers whether adapted or not, so a side's weights do not depend on --text-only.
    const down = Float32Array.from({ length: dim * rank }, () => (random() * 2 - 1) * bound);
    if (sides.includes(side)) out.sides[side] = { down, up: new Float32Array(rank * dim) };
  }
  return out;
}

/** y = normalise(x + (x·down)·up) for each row, in float64 sums (the reference the export is checked against). */
export function applySide(w: SideWeights | undefined, dim: number, rank: number, vectors: readonly Float32Array[]): Float32Array[] {
  return vectors.map((x) => {
    const y = Float64Array.from(x);
    if (w) {
      const low = new Float64Array(rank);
      for (let k = 0; k < dim; k++) for (let r = 0; r < rank; r++) low[r] += x[k] * w.down[k * rank + r];
      for (let r = 0; r < rank; r++) for (let d = 0; d < dim; d++) y[d] += low[r] * w.up[r * dim + d];
    }
    let norm = 0;
    for (const v of y) norm += v * v;
    norm = Math.sqrt(norm) || 1;
    return Float32Array.from(y, (v) => v / norm);
  });
}

/** sha256 (hex) of the adapted sides' weights: the adapted model's identity suffix. */
export function weightsHash(w: AdapterWeights): string {
  const hash = createHash('sha256');
  for (const side of ['image', 'text'] as const) {
    const s = w.sides[side];
    if (!s) continue;
    hash.update(side);
    hash.update(new Uint8Array(s.down.buffer, s.down.byteOffset, s.down.byteLength));
    hash.update(new Uint8Array(s.up.buffer, s.up.byteOffset, s.up.byteLength));
  }
  return hash.digest('hex');
}
