import { invalidImage } from './image-errors.js';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image-limits.js';
import { probeImage } from './image-probe.js';
import { decodeAndEncode } from './sharp-adapter.js';

// MLLM input: the JPEG sent in a data URL.

/**
 * Re-encodes an image for an MLLM request: EXIF-oriented, alpha flattened onto white, downscaled so the
 * long side is at most `maxSide` (never enlarged), sRGB JPEG at quality 90.
 * @throws CtgiError IMAGE_INVALID for bytes that are not a JPEG, PNG or WebP image, IMAGE_TOO_LARGE over `limits`.
 */
export async function encodeJpegForMllm(bytes: Buffer, maxSide = 448, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Promise<Buffer> {
  const label = 'for the MLLM';
  await probeImage(bytes, label, limits);
  const side = Math.max(1, Math.floor(maxSide));
  try {
    return await decodeAndEncode(
      bytes,
      { maxPixels: limits.maxPixels, flatten: { r: 255, g: 255, b: 255 }, resize: { width: side, height: side, fit: 'inside', withoutEnlargement: true } },
      { format: 'jpeg', quality: 90 },
    );
  } catch (err) {
    throw invalidImage(label, 'its pixel data is corrupt or truncated', err);
  }
}
