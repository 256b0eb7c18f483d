import { CtgiError } from '../errors/ctgi-error.js';
import { CLIP_MEAN, CLIP_STD, type PreprocessSpec } from './preprocess-spec.js';

type Rgb = [number, number, number];
type Json = Record<string, unknown>;

// Sanity bound on input sizes: larger values are almost certainly a corrupt config, not a real model.
const MAX_SIDE = 8192;

/**
 * Parses a Hugging Face `preprocessor_config.json` (CLIPImageProcessor / CLIPFeatureExtractor) into a spec.
 * @throws CtgiError MODEL_INVALID naming `source` and the bad key; MODEL_UNSUPPORTED when the config asks for
 * preprocessing ctgi does not implement (no resize, no crop after a shortest-edge resize, box/hamming filters).
 */
export function parseHfPreprocessorConfig(json: unknown, source: string): PreprocessSpec {
  const cfg = asObject(json, source);
  if (optionalBool(cfg, 'do_resize', source) === false) {
    throw unsupported(source, '`do_resize` is false, so images would reach the model at their own size; ctgi needs a fixed input size');
  }
  const size = cfg.size;
  const doCrop = optionalBool(cfg, 'do_center_crop', source) ?? true; // CLIPImageProcessor's default
  let geometry: Pick<PreprocessSpec, 'height' | 'width' | 'resizeMode' | 'shortestEdge'>;
  const shortestEdge =
    typeof size === 'number'
      ? side(size, 'size', source) // older configs: an int size is the shortest edge
      : isObject(size) && 'shortest_edge' in size
        ? side(size.shortest_edge, 'size.shortest_edge', source)
        : undefined;
  if (shortestEdge !== undefined) {
    if (!doCrop) {
      throw unsupported(source, '`do_center_crop` is false after a shortest-edge resize, so the output size would depend on each image');
    }
    // transformers falls back to a 224×224 crop; a config that omits crop_size is taken to mean "crop to the edge"
    // (the same thing for every standard 224 model).
    const crop = cfg.crop_size === undefined ? { height: shortestEdge, width: shortestEdge } : hw(cfg.crop_size, 'crop_size', source);
    geometry = { ...crop, resizeMode: 'shortest', shortestEdge };
  } else if (isObject(size) && ('height' in size || 'width' in size)) {
    const target = hw(size, 'size', source);
    if (doCrop && cfg.crop_size !== undefined) {
      const crop = hw(cfg.crop_size, 'crop_size', source);
      if (crop.height !== target.height || crop.width !== target.width) {
        throw unsupported(
          source,
          `\`crop_size\` ${crop.height}×${crop.width} differs from \`size\` ${target.height}×${target.width}; ctgi supports a crop only after a shortest-edge resize`,
        );
      }
    }
    geometry = { ...target, resizeMode: 'squash' };
  } else if (isObject(size) && 'longest_edge' in size) {
    throw unsupported(source, '`size` asks for a longest-edge resize, which ctgi does not implement');
  } else {
    throw invalidKey(source, 'size', 'an integer, {"shortest_edge": N} or {"height": H, "width": W}', size);
  }

  const doRescale = optionalBool(cfg, 'do_rescale', source) ?? true;
  const rescaleFactor = doRescale ? positive(cfg.rescale_factor ?? 1 / 255, 'rescale_factor', source) : 1;
  const doNormalize = optionalBool(cfg, 'do_normalize', source) ?? true;
  const mean: Rgb = doNormalize ? rgb(cfg.image_mean ?? CLIP_MEAN, 'image_mean', source, false) : [0, 0, 0];
  const std: Rgb = doNormalize ? rgb(cfg.image_std ?? CLIP_STD, 'image_std', source, true) : [1, 1, 1];
  return { ...geometry, interpolation: pilResample(cfg.resample, source), rescaleFactor, mean, std };
}

/**
 * Parses an immich / open_clip `visual/preprocess_cfg.json` into a spec (pixels are always rescaled by 1/255).
 * @throws CtgiError MODEL_INVALID naming `source` and the bad key; MODEL_UNSUPPORTED for modes ctgi lacks.
 */
export function parseImmichPreprocessConfig(json: unknown, source: string): PreprocessSpec {
  const cfg = asObject(json, source);
  const { size } = cfg;
  let height: number;
  let width: number;
  if (typeof size === 'number') {
    height = width = side(size, 'size', source);
  } else if (Array.isArray(size) && size.length === 2) {
    // open_clip's image_size tuple is (height, width).
    height = side(size[0], 'size[0]', source);
    width = side(size[1], 'size[1]', source);
  } else {
    throw invalidKey(source, 'size', 'an integer or [height, width]', size);
  }

  // For a non-square size, open_clip's "shortest" scales the image to cover height×width; PreprocessSpec's
  // shortest edge defaults to min(height, width) instead (transformers' behaviour). Square sizes agree.
  const resizeMode = cfg.resize_mode ?? 'shortest';
  if (resizeMode === 'longest') {
    throw unsupported(source, '`resize_mode` "longest" (resize then pad) is not implemented; use a model exported with "shortest" or "squash"');
  }
  if (resizeMode !== 'shortest' && resizeMode !== 'squash') {
    throw invalidKey(source, 'resize_mode', '"shortest" or "squash"', resizeMode);
  }
  const interpolation = cfg.interpolation ?? 'bicubic';
  if (interpolation !== 'bicubic' && interpolation !== 'bilinear' && interpolation !== 'nearest') {
    throw invalidKey(source, 'interpolation', '"bicubic", "bilinear" or "nearest"', interpolation);
  }
  if (cfg.mode !== undefined && cfg.mode !== 'RGB') {
    throw unsupported(source, `\`mode\` is ${JSON.stringify(cfg.mode)}; ctgi feeds models RGB images only`);
  }
  return {
    height,
    width,
    resizeMode,
    interpolation,
    rescaleFactor: 1 / 255,
    mean: rgb(cfg.mean ?? CLIP_MEAN, 'mean', source, false),
    std: rgb(cfg.std ?? CLIP_STD, 'std', source, true),
  };
}

/** Maps PIL's `Image.Resampling` codes to the filters ctgi implements. */
function pilResample(value: unknown, source: string): PreprocessSpec['interpolation'] {
  switch (value) {
    case undefined:
    case 3:
      return 'bicubic'; // 3 = BICUBIC, CLIPImageProcessor's default
    case 0:
      return 'nearest';
    case 2:
      return 'bilinear';
    case 1:
      // 1 = LANCZOS: PreprocessSpec has no lanczos, so run the closest filter it has; pixels differ slightly.
      return 'bicubic';
    case 4:
    case 5:
      throw unsupported(source, `\`resample\` ${value} (${value === 4 ? 'BOX' : 'HAMMING'}) is not implemented; ctgi supports 0 (nearest), 1 (lanczos, run as bicubic), 2 (bilinear) and 3 (bicubic)`);
    default:
      throw invalidKey(source, 'resample', 'a PIL resampling code 0–3', value);
  }
}

function asObject(json: unknown, source: string): Json {
  if (!isObject(json)) {
    throw new CtgiError('MODEL_INVALID', `Preprocessing config ${source} is not a JSON object; re-download the model.`);
  }
  return json;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalBool(cfg: Json, key: string, source: string): boolean | undefined {
  const value = cfg[key];
  if (value === undefined || typeof value === 'boolean') return value;
  throw invalidKey(source, key, 'true or false', value);
}

function side(value: unknown, key: string, source: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_SIDE) return value;
  throw invalidKey(source, key, `an integer from 1 to ${MAX_SIDE}`, value);
}

/** `{height, width}` or a single int meaning a square. */
function hw(value: unknown, key: string, source: string): { height: number; width: number } {
  if (typeof value === 'number') {
    const n = side(value, key, source);
    return { height: n, width: n };
  }
  if (!isObject(value)) throw invalidKey(source, key, 'an integer or {"height": H, "width": W}', value);
  return { height: side(value.height, `${key}.height`, source), width: side(value.width, `${key}.width`, source) };
}

function positive(value: unknown, key: string, source: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  throw invalidKey(source, key, 'a positive number', value);
}

/** Three finite numbers, or one number for all channels; `nonZero` for divisors. */
function rgb(value: unknown, key: string, source: string, nonZero: boolean): Rgb {
  const list = typeof value === 'number' ? [value, value, value] : value;
  const ok = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && (!nonZero || v > 0);
  if (Array.isArray(list) && list.length === 3 && list.every(ok)) return [list[0], list[1], list[2]];
  throw invalidKey(source, key, nonZero ? 'three positive numbers (one per RGB channel)' : 'three numbers (one per RGB channel)', value);
}

function invalidKey(source: string, key: string, expected: string, got: unknown): CtgiError {
  return new CtgiError(
    'MODEL_INVALID',
    `Preprocessing config ${source} has an invalid \`${key}\`: expected ${expected}, got ${describe(got)}; fix the file or re-download the model.`,
  );
}

function unsupported(source: string, reason: string): CtgiError {
  return new CtgiError('MODEL_UNSUPPORTED', `Preprocessing config ${source} cannot be used: ${reason}.`);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
