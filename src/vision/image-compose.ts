import { CtgiError } from '../errors/ctgi-error.js';
import { invalidImage } from './image-errors.js';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image-limits.js';
import { probeImage } from './image-probe.js';
import { composeOnCanvas, decodeAndEncode, type CanvasLayer } from './sharp-adapter.js';

// Composition (contact sheets): letterboxed tiles and layers placed on a canvas.

/**
 * Decodes encoded image bytes and letterboxes them into exactly `width`×`height` (aspect ratio kept, the
 * bars filled with `background`, a CSS colour), returned as PNG bytes. `label` names the image in errors.
 * @throws CtgiError IMAGE_TOO_LARGE / IMAGE_INVALID naming `label`.
 */
export async function letterboxImage(
  data: Buffer,
  label: string,
  size: { width: number; height: number },
  options: { background?: string; limits?: ImageLimits } = {},
): Promise<Buffer> {
  const limits = options.limits ?? DEFAULT_IMAGE_LIMITS;
  await probeImage(data, label, limits);
  const background = options.background ?? '#000000';
  try {
    return await decodeAndEncode(
      data,
      { maxPixels: limits.maxPixels, flatten: background, resize: { width: size.width, height: size.height, fit: 'contain', background } },
      { format: 'png' },
    );
  } catch (err) {
    throw invalidImage(label, 'its pixel data is corrupt or truncated', err);
  }
}

/** One layer of a composition: encoded image bytes (PNG, JPEG, WebP or SVG) placed with its top-left corner at `left`, `top`. */
export type CompositeLayer = CanvasLayer;

/**
 * Draws `layers` in order onto a blank `width`×`height` canvas of `background` (a CSS colour) and encodes
 * the result as an 8-bit RGB PNG. SVG layers are rasterised at one unit per pixel. Layers are our own
 * drawings and already-checked tiles, not user files.
 * @throws CtgiError IMAGE_INVALID when a layer cannot be decoded or does not fit on the canvas.
 */
export async function composePng(width: number, height: number, background: string, layers: CompositeLayer[]): Promise<Buffer> {
  try {
    return await composeOnCanvas(width, height, background, layers);
  } catch (err) {
    throw new CtgiError('IMAGE_INVALID', `Cannot compose the ${width}×${height} image: ${err instanceof Error ? err.message : String(err)}.`, { cause: err });
  }
}
