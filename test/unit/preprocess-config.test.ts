import { describe, expect, it } from 'vitest';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { parseHfPreprocessorConfig, parseImmichPreprocessConfig } from '../../src/vision/preprocess-config.js';
import { CLIP_MEAN, CLIP_STD } from '../../src/vision/preprocess-spec.js';

const HF_SOURCE = '/models/clip/preprocessor_config.json';
const IMMICH_SOURCE = '/models/immich/visual/preprocess_cfg.json';

/** openai/clip-vit-base-patch32's preprocessor_config.json, as published. */
const OPENAI_CLIP = {
  crop_size: { height: 224, width: 224 },
  do_center_crop: true,
  do_convert_rgb: true,
  do_normalize: true,
  do_rescale: true,
  do_resize: true,
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_processor_type: 'CLIPImageProcessor',
  image_std: [0.26862954, 0.26130258, 0.27577711],
  resample: 3,
  rescale_factor: 0.00392156862745098,
  size: { shortest_edge: 224 },
};

/** The older CLIPFeatureExtractor layout (Xenova/clip-vit-base-patch16): int size and crop_size, no rescale keys. */
const XENOVA_CLIP = {
  crop_size: 224,
  do_center_crop: true,
  do_normalize: true,
  do_resize: true,
  feature_extractor_type: 'CLIPFeatureExtractor',
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_std: [0.26862954, 0.26130258, 0.27577711],
  resample: 3,
  size: 224,
};

/** immich's ViT-B-32__openai visual/preprocess_cfg.json. */
const IMMICH_CLIP = {
  size: [224, 224],
  mode: 'RGB',
  mean: [0.48145466, 0.4578275, 0.40821073],
  std: [0.26862954, 0.26130258, 0.27577711],
  interpolation: 'bicubic',
  resize_mode: 'shortest',
  fill_color: 0,
};

function expectError(fn: () => unknown, code: string, ...fragments: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(isCtgiError(caught), `expected CtgiError ${code}, got ${String(caught)}`).toBe(true);
  const err = caught as Error & { code: string };
  expect(err.code, err.message).toBe(code);
  for (const f of fragments) expect(err.message).toContain(f);
}

describe('parseHfPreprocessorConfig', () => {
  it('reads the OpenAI CLIP config as a 224 shortest-edge resize and 224×224 centre crop', () => {
    expect(parseHfPreprocessorConfig(OPENAI_CLIP, HF_SOURCE)).toEqual({
      height: 224,
      width: 224,
      resizeMode: 'shortest',
      shortestEdge: 224,
      interpolation: 'bicubic',
      rescaleFactor: 1 / 255,
      mean: [0.48145466, 0.4578275, 0.40821073],
      std: [0.26862954, 0.26130258, 0.27577711],
    });
  });

  it('reads the older int size / crop_size layout the same way, defaulting the rescale to 1/255', () => {
    expect(parseHfPreprocessorConfig(XENOVA_CLIP, HF_SOURCE)).toEqual(parseHfPreprocessorConfig(OPENAI_CLIP, HF_SOURCE));
  });

  it('keeps a crop smaller than the shortest edge (336-pixel models, 256 → 224 crops)', () => {
    const spec = parseHfPreprocessorConfig({ ...OPENAI_CLIP, size: { shortest_edge: 256 }, crop_size: { height: 224, width: 224 } }, HF_SOURCE);
    expect(spec).toMatchObject({ height: 224, width: 224, resizeMode: 'shortest', shortestEdge: 256 });
  });

  it('crops to the shortest edge when crop_size is missing', () => {
    const { crop_size: _omit, ...noCrop } = OPENAI_CLIP;
    expect(parseHfPreprocessorConfig({ ...noCrop, size: { shortest_edge: 336 } }, HF_SOURCE)).toMatchObject({ height: 336, width: 336, shortestEdge: 336 });
  });

  it('reads {height, width} as a squash resize: a 384×128 person-search config', () => {
    const spec = parseHfPreprocessorConfig({ ...OPENAI_CLIP, size: { height: 384, width: 128 }, do_center_crop: false, crop_size: undefined }, HF_SOURCE);
    expect(spec).toMatchObject({ height: 384, width: 128, resizeMode: 'squash' });
    expect(spec.shortestEdge).toBeUndefined();
    // A crop equal to the size is no crop at all.
    const same = parseHfPreprocessorConfig({ ...OPENAI_CLIP, size: { height: 384, width: 128 }, crop_size: { height: 384, width: 128 } }, HF_SOURCE);
    expect(same).toMatchObject({ height: 384, width: 128, resizeMode: 'squash' });
  });

  it('maps PIL resample codes', () => {
    const interp = (resample: unknown) => parseHfPreprocessorConfig({ ...OPENAI_CLIP, resample }, HF_SOURCE).interpolation;
    expect(interp(0)).toBe('nearest');
    expect(interp(1)).toBe('bicubic'); // lanczos, run as bicubic
    expect(interp(2)).toBe('bilinear');
    expect(interp(3)).toBe('bicubic');
    expect(interp(undefined)).toBe('bicubic');
  });

  it('applies defaults and switches: no mean/std → CLIP constants; do_normalize false → identity; do_rescale false → 1', () => {
    const { image_mean: _m, image_std: _s, rescale_factor: _r, ...bare } = OPENAI_CLIP;
    expect(parseHfPreprocessorConfig(bare, HF_SOURCE)).toMatchObject({ mean: CLIP_MEAN, std: CLIP_STD, rescaleFactor: 1 / 255 });
    expect(parseHfPreprocessorConfig({ ...OPENAI_CLIP, do_normalize: false }, HF_SOURCE)).toMatchObject({ mean: [0, 0, 0], std: [1, 1, 1] });
    expect(parseHfPreprocessorConfig({ ...OPENAI_CLIP, do_rescale: false }, HF_SOURCE).rescaleFactor).toBe(1);
    expect(parseHfPreprocessorConfig({ ...OPENAI_CLIP, image_mean: 0.5, image_std: 0.5 }, HF_SOURCE)).toMatchObject({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
  });

  it('refuses malformed configs with MODEL_INVALID naming the file and the key', () => {
    expectError(() => parseHfPreprocessorConfig([], HF_SOURCE), 'MODEL_INVALID', HF_SOURCE);
    expectError(() => parseHfPreprocessorConfig(null, HF_SOURCE), 'MODEL_INVALID', HF_SOURCE);
    expectError(() => parseHfPreprocessorConfig({ ...OPENAI_CLIP, size: '224' }, HF_SOURCE), 'MODEL_INVALID', HF_SOURCE, '`size`');
    expectError(() => parseHfPreprocessorConfig({ ...OPENAI_CLIP, size: undefined }, HF_SOURCE), 'MODEL_INVALID', '`size`');
    expectError(() => parseHfPreprocessorConfig({ ...OPENAI_CLIP, size: { shortest_edge: 0 } }, HF_SOURCE), 'MODEL_INVALID', '`size.shortest_edge`');
    expectError(() => parseHfPreprocessorConfig({ ...OPENAI_CLIP, size: { shortest_edge: 22.5 } }, HF_SOURCE), 'MODEL_INVALID', '`size.shortest_edge`');
    expectError(() => parseHfPreprocessorConfig({ ...OPENAI_CLIP, size: { height: 384 } }, HF_SOURCE), 'MODEL_INVALID', '`size.width`');
    expectError(() => parseHfPreprocessorConfig({ ...OPENAI_CLIP, crop_size: { height: 224 } }, HF_SOURCE), 'MODEL_INVALID', '`crop_size.width`');
    expectError(() => parseHfPreprocessorConfig({ ...OPENAI_CLIP, resample: 'bicubic' }, HF_SOURCE), 'MODEL_INVALID', '`resample`');
    expectError(() => parseHfPreprocessorConfig({ ...OPENAI_CLIP, resample: 9 }, HF_SOURCE), 'MODEL_INVALID', '`resample`');
    expectError(() => parseHfPreprocessorConfig({ ...OPENAI_CLIP, image_mean: [0.5, 0.5] }, HF_SOURCE), 'MODEL_INVALID', '`image_mean`');
    expectError(() => parseHfPreprocessorConfig({ ...OPENAI_CLIP, image_std: [0.2, 0, 0.2] }, HF_SOURCE), 'MODEL_INVALID', '`image_std`');
    expectError(() => parseHfPreprocessorConfig({ ...OPENAI_CLIP, rescale_factor: -1 }, HF_SOURCE), 'MODEL_INVALID', '`rescale_factor`');
    expectError(() => parseHfPreprocessorConfig({ ...OPENAI_CLIP, do_normalize: 'yes' }, HF_SOURCE), 'MODEL_INVALID', '`do_normalize`');
  });

  it('refuses preprocessing it cannot reproduce with MODEL_UNSUPPORTED', () => {
    expectError(() => parseHfPreprocessorConfig({ ...OPENAI_CLIP, do_center_crop: false }, HF_SOURCE), 'MODEL_UNSUPPORTED', HF_SOURCE, 'do_center_crop');
    expectError(() => parseHfPreprocessorConfig({ ...OPENAI_CLIP, do_resize: false }, HF_SOURCE), 'MODEL_UNSUPPORTED', 'do_resize');
    expectError(() => parseHfPreprocessorConfig({ ...OPENAI_CLIP, resample: 4 }, HF_SOURCE), 'MODEL_UNSUPPORTED', 'resample');
    expectError(() => parseHfPreprocessorConfig({ ...OPENAI_CLIP, resample: 5 }, HF_SOURCE), 'MODEL_UNSUPPORTED', 'resample');
    expectError(() => parseHfPreprocessorConfig({ ...OPENAI_CLIP, size: { longest_edge: 224 } }, HF_SOURCE), 'MODEL_UNSUPPORTED', 'longest');
    expectError(
      () => parseHfPreprocessorConfig({ ...OPENAI_CLIP, size: { height: 256, width: 256 }, crop_size: { height: 224, width: 224 } }, HF_SOURCE),
      'MODEL_UNSUPPORTED',
      'crop_size',
    );
  });
});

describe('parseImmichPreprocessConfig', () => {
  it("reads immich's CLIP config", () => {
    expect(parseImmichPreprocessConfig(IMMICH_CLIP, IMMICH_SOURCE)).toEqual({
      height: 224,
      width: 224,
      resizeMode: 'shortest',
      interpolation: 'bicubic',
      rescaleFactor: 1 / 255,
      mean: [0.48145466, 0.4578275, 0.40821073],
      std: [0.26862954, 0.26130258, 0.27577711],
    });
  });

  it('reads [height, width] in that order, an int size, and the defaults', () => {
    expect(parseImmichPreprocessConfig({ ...IMMICH_CLIP, size: [384, 128], resize_mode: 'squash', interpolation: 'bilinear' }, IMMICH_SOURCE)).toMatchObject({
      height: 384,
      width: 128,
      resizeMode: 'squash',
      interpolation: 'bilinear',
    });
    expect(parseImmichPreprocessConfig({ size: 336 }, IMMICH_SOURCE)).toEqual({
      height: 336,
      width: 336,
      resizeMode: 'shortest',
      interpolation: 'bicubic',
      rescaleFactor: 1 / 255,
      mean: CLIP_MEAN,
      std: CLIP_STD,
    });
    expect(parseImmichPreprocessConfig({ ...IMMICH_CLIP, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }, IMMICH_SOURCE)).toMatchObject({
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
    });
  });

  it('refuses malformed configs with MODEL_INVALID naming the file and the key', () => {
    expectError(() => parseImmichPreprocessConfig('size: 224', IMMICH_SOURCE), 'MODEL_INVALID', IMMICH_SOURCE);
    expectError(() => parseImmichPreprocessConfig({ ...IMMICH_CLIP, size: [224] }, IMMICH_SOURCE), 'MODEL_INVALID', IMMICH_SOURCE, '`size`');
    expectError(() => parseImmichPreprocessConfig({ ...IMMICH_CLIP, size: undefined }, IMMICH_SOURCE), 'MODEL_INVALID', '`size`');
    expectError(() => parseImmichPreprocessConfig({ ...IMMICH_CLIP, size: [384, -128] }, IMMICH_SOURCE), 'MODEL_INVALID', '`size[1]`');
    expectError(() => parseImmichPreprocessConfig({ ...IMMICH_CLIP, size: 100000 }, IMMICH_SOURCE), 'MODEL_INVALID', '`size`');
    expectError(() => parseImmichPreprocessConfig({ ...IMMICH_CLIP, resize_mode: 'fit' }, IMMICH_SOURCE), 'MODEL_INVALID', '`resize_mode`');
    expectError(() => parseImmichPreprocessConfig({ ...IMMICH_CLIP, interpolation: 'random' }, IMMICH_SOURCE), 'MODEL_INVALID', '`interpolation`');
    expectError(() => parseImmichPreprocessConfig({ ...IMMICH_CLIP, mean: '0.5' }, IMMICH_SOURCE), 'MODEL_INVALID', '`mean`');
    expectError(() => parseImmichPreprocessConfig({ ...IMMICH_CLIP, std: [0.5, 0.5, -0.5] }, IMMICH_SOURCE), 'MODEL_INVALID', '`std`');
  });

  it('refuses modes it cannot reproduce with MODEL_UNSUPPORTED', () => {
    expectError(() => parseImmichPreprocessConfig({ ...IMMICH_CLIP, resize_mode: 'longest' }, IMMICH_SOURCE), 'MODEL_UNSUPPORTED', IMMICH_SOURCE, 'longest');
    expectError(() => parseImmichPreprocessConfig({ ...IMMICH_CLIP, mode: 'L' }, IMMICH_SOURCE), 'MODEL_UNSUPPORTED', 'mode');
  });
});
