import { DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_IMAGE_PIXELS } from '../config/config.js';
import { CtgiError } from '../errors/ctgi-error.js';

/** Caps applied before any pixel is decoded. */
export interface ImageLimits {
  /** Images with more pixels (width × height) than this are refused. */
  maxPixels: number;
  /** Image files (or buffers) larger than this many bytes are refused. */
  maxBytes: number;
}

/** The limits used when a caller passes none (config.ts defaults). */
export const DEFAULT_IMAGE_LIMITS: Readonly<ImageLimits> = {
  maxPixels: DEFAULT_MAX_IMAGE_PIXELS,
  maxBytes: DEFAULT_MAX_IMAGE_BYTES,
};

/** @throws CtgiError IMAGE_TOO_LARGE naming `label` when `bytes` is over `limits.maxBytes`. */
export function checkBytes(label: string, bytes: number, limits: ImageLimits): void {
  if (bytes > limits.maxBytes) {
    throw new CtgiError(
      'IMAGE_TOO_LARGE',
      `Image ${label} is ${formatBytes(bytes)}, over the limit of ${formatBytes(limits.maxBytes)}; ` +
        'shrink the file or raise CTGI_MAX_IMAGE_BYTES.',
    );
  }
}

/** @throws CtgiError IMAGE_TOO_LARGE naming `label` and the size when width × height is over `limits.maxPixels`. */
export function checkPixels(label: string, width: number, height: number, limits: ImageLimits): void {
  const pixels = width * height;
  if (pixels > limits.maxPixels) {
    throw new CtgiError(
      'IMAGE_TOO_LARGE',
      `Image ${label} is ${width}×${height} (${formatPixels(pixels)}), over the limit of ${formatPixels(limits.maxPixels)}; ` +
        'downscale it or raise CTGI_MAX_IMAGE_PIXELS.',
    );
  }
}

function formatPixels(pixels: number): string {
  return pixels >= 100_000 ? `${trimZero((pixels / 1e6).toFixed(1))} megapixels` : `${pixels} pixels`;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${trimZero((bytes / (1024 * 1024)).toFixed(1))} MiB`;
  if (bytes >= 1024) return `${trimZero((bytes / 1024).toFixed(1))} KiB`;
  return `${bytes} bytes`;
}

function trimZero(text: string): string {
  return text.endsWith('.0') ? text.slice(0, -2) : text;
}
