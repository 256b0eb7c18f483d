import { CtgiError } from '../../errors/ctgi-error.js';

/** The stretch the paper uses (§3.2, Long-CLIP): 77 → 248 positions, first 20 kept, factor 4. */
export const DEFAULT_STRETCH = { length: 248, keep: 20 } as const;

/**
 * The integer interpolation factor for stretching `from` positions to `to` while keeping the first
 * `keep` rows: to = keep + (from − keep) × factor.
 * @throws CtgiError BAD_INPUT when no integer factor fits.
 */
export function stretchFactor(from: number, to: number, keep: number): number {
  if (!Number.isInteger(keep) || keep < 1 || keep >= from - 1) {
    throw new CtgiError('BAD_INPUT', `--keep must be an integer from 1 to ${from - 2} for a ${from}-position table; got ${keep}.`);
  }
  const factor = (to - keep) / (from - keep);
  if (!Number.isInteger(factor) || factor < 2) {
    const examples = [2, 3, 4].map((f) => keep + (from - keep) * f).join(', ');
    throw new CtgiError(
      'BAD_INPUT',
      `--length ${to} cannot be reached from ${from} positions keeping ${keep}: it must be ${keep} + ${from - keep} × an integer factor ≥ 2 (e.g. ${examples}).`,
    );
  }
  return factor;
}

/**
 * Positional-embedding stretching exactly as Long-CLIP does (DESIGN.md flow 5, paper §3.2): rows
 * 0..keep−1 are copied; for each i, with a = p[keep+i] and b = p[keep+i+1], new[keep+f·i+j] =
 * ((f−j)·a + j·b)/f for j = 0..f−1; the last f rows extrapolate past the final row:
 * new[keep+f·(n−keep−1)+k] = p[n−1] + k·(p[n−1] − p[n−2])/f. With n = 77, keep = 20, f = 4 this is
 * the 248-row table of the paper.
 * @param table row-major [from, dim] float32
 * @returns row-major [to, dim] float32
 */
export function stretchPositionTable(table: Float32Array, from: number, dim: number, to: number, keep: number): Float32Array {
  if (table.length !== from * dim) {
    throw new CtgiError('MODEL_INVALID', `The position table has ${table.length} values, expected ${from} × ${dim}.`);
  }
  const f = stretchFactor(from, to, keep);
  const out = new Float32Array(to * dim);
  out.set(table.subarray(0, keep * dim));
  const row = (r: number) => table.subarray(r * dim, (r + 1) * dim);
  for (let i = 0; i < from - keep - 1; i++) {
    const a = row(keep + i);
    const b = row(keep + i + 1);
    for (let j = 0; j < f; j++) {
      const base = (keep + f * i + j) * dim;
      for (let d = 0; d < dim; d++) out[base + d] = ((f - j) * a[d] + j * b[d]) / f;
    }
  }
  const last = row(from - 1);
  const prev = row(from - 2);
  const tail = keep + f * (from - keep - 1);
  for (let k = 0; k < f; k++) {
    const base = (tail + k) * dim;
    for (let d = 0; d < dim; d++) out[base + d] = last[d] + (k * (last[d] - prev[d])) / f;
  }
  return out;
}
