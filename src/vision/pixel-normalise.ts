import type { PreprocessSpec } from './preprocess-spec.js';
import type { ResizePlan } from './resize-plan.js';

/** Per-channel lookup tables: `lut[c][v]` = (v × rescaleFactor − mean[c]) / std[c] for v in 0–255. */
export type ChannelTables = readonly [Float32Array, Float32Array, Float32Array];

/**
 * Builds the 8-bit → normalised float tables for the three RGB channels (768 entries: cheaper to rebuild per
 * image than to cache against a spec that a caller might mutate).
 */
export function channelTables(spec: PreprocessSpec): ChannelTables {
  const make = (c: 0 | 1 | 2): Float32Array => {
    const lut = new Float32Array(256);
    for (let v = 0; v < 256; v++) lut[v] = (v * spec.rescaleFactor - spec.mean[c]) / spec.std[c];
    return lut;
  };
  return [make(0), make(1), make(2)];
}

/**
 * Writes an interleaved RGB uint8 region (`plan.cropWidth`×`plan.cropHeight`, HWC) into `out` at `offset` as
 * normalised CHW floats of the spec's height×width, padding outside the region with the value of a zero pixel
 * (as transformers' centre crop pads with zeros before normalising).
 */
export function writeNormalisedChw(
  hwc: Uint8Array,
  plan: ResizePlan,
  spec: PreprocessSpec,
  out: Float32Array,
  offset: number,
): void {
  const { width, height } = spec;
  const plane = width * height;
  const regionW = plan.cropWidth;
  const regionH = plan.cropHeight;
  if (hwc.length < regionW * regionH * 3) {
    throw new RangeError(`Pixel buffer holds ${hwc.length} bytes, expected ${regionW * regionH * 3}.`);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset + 3 * plane > out.length) {
    throw new RangeError(`Output tensor of length ${out.length} cannot hold 3×${height}×${width} floats at offset ${offset}.`);
  }
  const [r, g, b] = channelTables(spec);
  const o1 = offset + plane;
  const o2 = offset + 2 * plane;
  if (regionW === width && regionH === height) {
    // Hot path: one pass, three table look-ups per pixel.
    for (let p = 0, i = 0; p < plane; p++, i += 3) {
      out[offset + p] = r[hwc[i]];
      out[o1 + p] = g[hwc[i + 1]];
      out[o2 + p] = b[hwc[i + 2]];
    }
    return;
  }
  out.fill(r[0], offset, o1);
  out.fill(g[0], o1, o2);
  out.fill(b[0], o2, o2 + plane);
  for (let y = 0; y < regionH; y++) {
    const row = (plan.padTop + y) * width + plan.padLeft;
    for (let x = 0, i = y * regionW * 3; x < regionW; x++, i += 3) {
      out[offset + row + x] = r[hwc[i]];
      out[o1 + row + x] = g[hwc[i + 1]];
      out[o2 + row + x] = b[hwc[i + 2]];
    }
  }
}
