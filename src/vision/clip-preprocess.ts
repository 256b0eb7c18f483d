import { invalidImage } from './image-errors.js';
import { readImageFile } from './image-file.js';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image-limits.js';
import { probeImage } from './image-probe.js';
import { writeNormalisedChw } from './pixel-normalise.js';
import type { PreprocessSpec } from './preprocess-spec.js';
import { planCrops, planResize } from './resize-plan.js';
import { decodeToRawRgb, type RawPixels } from './sharp-adapter.js';

// CLIP preprocessing: decode → orient → flatten → resize (+ centre crop) → sRGB uint8 → normalised CHW floats.

const KERNELS = { bicubic: 'cubic', bilinear: 'linear', nearest: 'nearest' } as const;

// Transparent pixels become white: CLIP was trained on RGB images, and white is how most viewers show them.
const FLATTEN_BACKGROUND = { r: 255, g: 255, b: 255 };

/**
 * Decodes and preprocesses an image file into a CHW float32 tensor of length 3 × height × width.
 * @throws CtgiError NOT_FOUND, IMAGE_TOO_LARGE or IMAGE_INVALID naming the file.
 */
export async function preprocessImageFile(path: string, spec: PreprocessSpec, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Promise<Float32Array> {
  const out = new Float32Array(3 * spec.height * spec.width);
  await preprocessImageFileInto(path, spec, out, 0, limits);
  return out;
}

/**
 * Like `preprocessImageFile`, but writes the 3 × height × width floats into `out` starting at `offset`, so a
 * batch tensor can be filled in place.
 * @throws CtgiError NOT_FOUND, IMAGE_TOO_LARGE or IMAGE_INVALID naming the file; RangeError if `out` is too short.
 */
export async function preprocessImageFileInto(
  path: string,
  spec: PreprocessSpec,
  out: Float32Array,
  offset: number,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
): Promise<void> {
  const data = await readImageFile(path, limits);
  await preprocessImageBufferInto(data, spec, path, out, offset, limits);
}

/**
 * Decodes and preprocesses encoded image bytes; `label` names the image in errors.
 * @throws CtgiError IMAGE_TOO_LARGE or IMAGE_INVALID naming `label`.
 */
export async function preprocessImageBuffer(
  data: Buffer,
  spec: PreprocessSpec,
  label: string,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
): Promise<Float32Array> {
  const out = new Float32Array(3 * spec.height * spec.width);
  await preprocessImageBufferInto(data, spec, label, out, 0, limits);
  return out;
}

/**
 * Like `preprocessImageBuffer`, but writes into `out` starting at `offset`.
 * @throws CtgiError IMAGE_TOO_LARGE or IMAGE_INVALID naming `label`; RangeError if `out` is too short.
 */
export async function preprocessImageBufferInto(
  data: Buffer,
  spec: PreprocessSpec,
  label: string,
  out: Float32Array,
  offset: number,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
): Promise<void> {
  if (!Number.isInteger(offset) || offset < 0 || offset + 3 * spec.height * spec.width > out.length) {
    throw new RangeError(`Output tensor of length ${out.length} cannot hold 3×${spec.height}×${spec.width} floats at offset ${offset}.`);
  }
  const meta = await probeImage(data, label, limits);
  const plan = planResize(meta.width, meta.height, spec);
  let pixels: RawPixels;
  try {
    // One libvips pipeline: it resizes, then rotates to the EXIF orientation, then applies the crop.
    pixels = await decodeToRawRgb(data, {
      maxPixels: limits.maxPixels,
      flatten: FLATTEN_BACKGROUND,
      // fastShrinkOnLoad false leaves at least 2× of any JPEG shrink-on-load to the real kernel (closer to PIL's
      // full-resolution resize); measured at no extra cost on large photos.
      resize: { width: plan.resizeWidth, height: plan.resizeHeight, fit: 'fill', kernel: KERNELS[spec.interpolation], fastShrinkOnLoad: false },
      ...(planCrops(plan) ? { extract: { left: plan.cropLeft, top: plan.cropTop, width: plan.cropWidth, height: plan.cropHeight } } : {}),
    });
  } catch (err) {
    throw invalidImage(label, 'its pixel data is corrupt or truncated', err);
  }
  if (pixels.channels !== 3 || pixels.width !== plan.cropWidth || pixels.height !== plan.cropHeight) {
    throw invalidImage(label, `it decoded to an unexpected ${pixels.width}×${pixels.height}×${pixels.channels} layout`);
  }
  writeNormalisedChw(pixels.data, plan, spec, out, offset);
}
