import { isCtgiError } from '../errors/ctgi-error.js';
import { invalidImage } from './image-errors.js';
import { readImageFile } from './image-file.js';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image-limits.js';
import { probeImage } from './image-probe.js';
import { decodeToRawRgb } from './sharp-adapter.js';

// Raw pixels, for readers that look at colours and shapes rather than a model tensor.

/** Decoded 8-bit sRGB pixels, row-major RGB (3 bytes per pixel). */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Options of decodeRgb: an optional squash to `size`, and the limits checked before decoding. */
export interface DecodeRgbOptions {
  size?: { width: number; height: number };
  limits?: ImageLimits;
}

/**
 * Decodes encoded image bytes (JPEG, PNG, WebP) to 8-bit RGB, EXIF-oriented, alpha flattened onto white,
 * optionally resized (squash) to `size`. `label` names the image in errors.
 * @throws CtgiError IMAGE_TOO_LARGE / IMAGE_INVALID naming `label`.
 */
export async function decodeRgb(data: Buffer, label: string, options: DecodeRgbOptions = {}): Promise<RgbImage> {
  const limits = options.limits ?? DEFAULT_IMAGE_LIMITS;
  await probeImage(data, label, limits);
  try {
    const raw = await decodeToRawRgb(data, {
      maxPixels: limits.maxPixels,
      flatten: '#ffffff',
      ...(options.size ? { resize: { width: options.size.width, height: options.size.height, fit: 'fill' as const } } : {}),
    });
    return { width: raw.width, height: raw.height, data: new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength) };
  } catch (err) {
    if (isCtgiError(err)) throw err;
    throw invalidImage(label, err instanceof Error ? err.message : String(err), err);
  }
}

/**
 * Reads and decodes an image file to 8-bit RGB (see decodeRgb), with the same checks as the model
 * preprocessing path.
 * @throws CtgiError NOT_FOUND, IMAGE_TOO_LARGE or IMAGE_INVALID naming the file.
 */
export async function decodeRgbFile(path: string, options: DecodeRgbOptions = {}): Promise<RgbImage> {
  const limits = options.limits ?? DEFAULT_IMAGE_LIMITS;
  return decodeRgb(await readImageFile(path, limits), path, { ...options, limits });
}
