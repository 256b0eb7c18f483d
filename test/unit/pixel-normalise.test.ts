import { describe, expect, it } from 'vitest';
import { channelTables, writeNormalisedChw } from '../../src/vision/pixel-normalise.js';
import type { PreprocessSpec } from '../../src/vision/preprocess-spec.js';
import type { ResizePlan } from '../../src/vision/resize-plan.js';

const spec: PreprocessSpec = {
  height: 2, width: 3, resizeMode: 'shortest', interpolation: 'bicubic',
  rescaleFactor: 1 / 255, mean: [0.5, 0.25, 0], std: [0.5, 0.25, 2],
};
const full: ResizePlan = { resizeWidth: 3, resizeHeight: 2, cropLeft: 0, cropTop: 0, cropWidth: 3, cropHeight: 2, padLeft: 0, padTop: 0 };
const norm = (v: number, c: number) => (v / 255 - spec.mean[c]) / spec.std[c];

describe('channelTables', () => {
  it('holds (v × rescale − mean) / std for every byte value', () => {
    const tables = channelTables(spec);
    for (const v of [0, 1, 128, 255]) for (let c = 0; c < 3; c++) expect(tables[c][v]).toBeCloseTo(norm(v, c), 6);
  });
});

describe('writeNormalisedChw', () => {
  it('turns interleaved HWC bytes into planar CHW floats at an offset', () => {
    // Pixel p has RGB = (10p, 10p + 1, 10p + 2).
    const hwc = Uint8Array.from({ length: 18 }, (_, i) => 10 * Math.floor(i / 3) + (i % 3));
    const out = new Float32Array(2 + 18).fill(7);
    writeNormalisedChw(hwc, full, spec, out, 2);
    expect(out[0]).toBe(7);
    expect(out[1]).toBe(7);
    for (let c = 0; c < 3; c++) for (let p = 0; p < 6; p++) expect(out[2 + c * 6 + p]).toBeCloseTo(norm(10 * p + c, c), 6);
  });

  it('places a smaller region at its pad offset and fills the rest with a zero pixel', () => {
    const plan: ResizePlan = { ...full, cropWidth: 1, cropHeight: 1, padLeft: 1, padTop: 1 };
    const out = new Float32Array(18);
    writeNormalisedChw(Uint8Array.from([255, 255, 255]), plan, spec, out, 0);
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < 6; p++) expect(out[c * 6 + p]).toBeCloseTo(p === 4 ? norm(255, c) : norm(0, c), 6); // (x 1, y 1) = index 4
    }
  });

  it('refuses an output tensor or pixel buffer that is too short', () => {
    expect(() => writeNormalisedChw(new Uint8Array(18), full, spec, new Float32Array(18), 1)).toThrow(RangeError);
    expect(() => writeNormalisedChw(new Uint8Array(17), full, spec, new Float32Array(18), 0)).toThrow(RangeError);
  });
});
