import { describe, expect, it } from 'vitest';
import { CLIP_MEAN, CLIP_STD, type PreprocessSpec } from '../../src/vision/preprocess-spec.js';
import { planCrops, planPads, planResize } from '../../src/vision/resize-plan.js';

function spec(over: Partial<PreprocessSpec>): PreprocessSpec {
  return { height: 224, width: 224, resizeMode: 'shortest', interpolation: 'bicubic', rescaleFactor: 1 / 255, mean: CLIP_MEAN, std: CLIP_STD, ...over };
}

// Expected numbers are worked by hand from transformers' formulas:
// long = floor(edge × long / short); crop offset = floor((resized − crop) / 2); pad = ceil((crop − resized) / 2).
describe('planResize', () => {
  it('resizes the short edge to the target and floors the long edge (333×250 → 298×224, crop from x = 37)', () => {
    // 224 × 333 / 250 = 298.368
    expect(planResize(333, 250, spec({}))).toEqual({
      resizeWidth: 298, resizeHeight: 224, cropLeft: 37, cropTop: 0, cropWidth: 224, cropHeight: 224, padLeft: 0, padTop: 0,
    });
    expect(planResize(250, 333, spec({}))).toEqual({
      resizeWidth: 224, resizeHeight: 298, cropLeft: 0, cropTop: 37, cropWidth: 224, cropHeight: 224, padLeft: 0, padTop: 0,
    });
  });

  it('floors an odd crop margin (301×200 → 337×224, (337 − 224)/2 = 56.5 → 56)', () => {
    const plan = planResize(301, 200, spec({}));
    expect(plan).toMatchObject({ resizeWidth: 337, resizeHeight: 224, cropLeft: 56, cropTop: 0 });
    expect(planCrops(plan)).toBe(true);
  });

  it('needs no crop for a square image', () => {
    const plan = planResize(500, 500, spec({}));
    expect(plan).toMatchObject({ resizeWidth: 224, resizeHeight: 224, cropLeft: 0, cropTop: 0 });
    expect(planCrops(plan)).toBe(false);
  });

  it('uses shortestEdge when it differs from the crop (640×480, edge 256 → 341×256, crop at 58, 16)', () => {
    expect(planResize(640, 480, spec({ shortestEdge: 256 }))).toEqual({
      resizeWidth: 341, resizeHeight: 256, cropLeft: 58, cropTop: 16, cropWidth: 224, cropHeight: 224, padLeft: 0, padTop: 0,
    });
  });

  it('pads a non-square crop the resized image cannot fill (384×128 output, edge defaults to 128)', () => {
    const s = spec({ height: 384, width: 128 });
    const square = planResize(100, 100, s);
    expect(square).toEqual({ resizeWidth: 128, resizeHeight: 128, cropLeft: 0, cropTop: 0, cropWidth: 128, cropHeight: 128, padLeft: 0, padTop: 128 });
    expect(planPads(square, s)).toBe(true);
    // 128 × 201 / 100 = 257.28 → 257 rows; pad ceil(127 / 2) = 64 above.
    expect(planResize(100, 201, s)).toMatchObject({ resizeWidth: 128, resizeHeight: 257, cropHeight: 257, padTop: 64, padLeft: 0 });
  });

  it('squashes straight to the output size, whatever the aspect ratio', () => {
    const s = spec({ height: 384, width: 128, resizeMode: 'squash' });
    const plan = planResize(1000, 37, s);
    expect(plan).toEqual({ resizeWidth: 128, resizeHeight: 384, cropLeft: 0, cropTop: 0, cropWidth: 128, cropHeight: 384, padLeft: 0, padTop: 0 });
    expect(planCrops(plan)).toBe(false);
    expect(planPads(plan, s)).toBe(false);
  });
});
