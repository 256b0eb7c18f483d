import { open, stat } from 'node:fs/promises';
import sharp, { type OutputInfo, type Sharp } from 'sharp';
import { DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_IMAGE_PIXELS } from '../config/config.js';
import { CtgiError, isCtgiError } from '../errors/ctgi-error.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { writeNormalisedChw } from './pixel-normalise.js';
import type { PreprocessSpec } from './preprocess-spec.js';
import { planCrops, planResize } from './resize-plan.js';

// The one module that imports sharp: decoding, preprocessing and (later) rendering of images.

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

/** Size and format of an image, with EXIF orientation applied to the size. */
export interface ImageMeta {
  width: number;
  height: number;
  /** sharp's decoder name: `jpeg`, `png`, `webp`, … */
  format: string;
}

const KERNELS = { bicubic: 'cubic', bilinear: 'linear', nearest: 'nearest' } as const;

// Transparent pixels become white: CLIP was trained on RGB images, and white is how most viewers show them.
const FLATTEN_BACKGROUND = { r: 255, g: 255, b: 255 };

// ---------------------------------------------------------------------------------------------------------
// Reading and probing (shared by every operation that decodes an image)
// ---------------------------------------------------------------------------------------------------------

/**
 * Reads an image file whole after checking its size against `limits.maxBytes`.
 * @throws CtgiError NOT_FOUND, IMAGE_TOO_LARGE or IMAGE_INVALID naming the file.
 */
async function readImageFile(path: string, limits: ImageLimits): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw fileError(path, err);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw invalid(path, 'it is not a regular file');
    checkBytes(path, stats.size, limits);
    const data = await handle.readFile();
    checkBytes(path, data.length, limits); // the file may have grown since stat
    return data;
  } catch (err) {
    if (isCtgiError(err)) throw err;
    throw fileError(path, err);
  } finally {
    await handle.close();
  }
}

/**
 * Reads the header only (no pixels are decoded) and refuses images over `limits.maxPixels`, so a
 * decompression bomb costs no more than its header.
 * @throws CtgiError IMAGE_INVALID or IMAGE_TOO_LARGE naming `label`.
 */
async function probeImage(data: Buffer, label: string, limits: ImageLimits): Promise<ImageMeta> {
  if (data.length === 0) throw invalid(label, 'the file is empty');
  checkBytes(label, data.length, limits);
  const meta = await readHeader(data, label);
  const pixels = meta.width * meta.height;
  if (pixels > limits.maxPixels) {
    throw new CtgiError(
      'IMAGE_TOO_LARGE',
      `Image ${label} is ${meta.width}×${meta.height} (${formatPixels(pixels)}), over the limit of ${formatPixels(limits.maxPixels)}; ` +
        'downscale it or raise CTGI_MAX_IMAGE_PIXELS.',
    );
  }
  return meta;
}

/** Oriented size and format from the header of a file path or buffer. @throws CtgiError IMAGE_INVALID. */
async function readHeader(input: Buffer | string, label: string): Promise<ImageMeta> {
  let meta;
  try {
    // No pixel limit here: callers compare the size themselves so the error is ours and names the size.
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw invalid(label, headerReason(err), err);
  }
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!(width > 0 && height > 0)) throw invalid(label, 'its header declares no pixel size');
  return { width, height, format: meta.format };
}

/** A sharp instance for already-probed bytes, with orientation applied and the pixel cap kept as a backstop. */
function openProbed(data: Buffer, limits: ImageLimits): Sharp {
  return sharp(data, {
    autoOrient: true,
    // 'warning' (sharp's default, spelled out) makes truncated or corrupt pixel data an error, not grey fill.
    failOn: 'warning',
    // 0 would mean "no limit" to sharp.
    limitInputPixels: Math.max(1, Math.floor(limits.maxPixels)),
  });
}

function checkBytes(label: string, bytes: number, limits: ImageLimits): void {
  if (bytes > limits.maxBytes) {
    throw new CtgiError(
      'IMAGE_TOO_LARGE',
      `Image ${label} is ${formatBytes(bytes)}, over the limit of ${formatBytes(limits.maxBytes)}; ` +
        'shrink the file or raise CTGI_MAX_IMAGE_BYTES.',
    );
  }
}

function invalid(label: string, reason: string, cause?: unknown): CtgiError {
  return new CtgiError('IMAGE_INVALID', `Cannot read image ${label}: ${reason}.`, cause === undefined ? undefined : { cause });
}

function fileError(path: string, err: unknown): CtgiError {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new CtgiError('NOT_FOUND', `Image file ${path} does not exist; check the path.`, { cause: err });
  }
  if (code === 'EACCES' || code === 'EPERM') return invalid(path, 'permission denied', err);
  if (code === 'EISDIR') return invalid(path, 'it is a directory, not a file', err);
  return invalid(path, `the file could not be read (${typeof code === 'string' ? code : 'I/O error'})`, err);
}

function headerReason(err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  if (/unsupported image format/i.test(message)) return 'it is not a supported image format (use JPEG, PNG or WebP)';
  return 'its header is corrupt or truncated';
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

// ---------------------------------------------------------------------------------------------------------
// CLIP preprocessing: decode → orient → flatten → resize (+ centre crop) → sRGB uint8 → normalised CHW floats
// ---------------------------------------------------------------------------------------------------------

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
  // One libvips pipeline: sharp resizes, then rotates to the EXIF orientation, then applies the crop.
  let pipeline = openProbed(data, limits)
    .flatten({ background: FLATTEN_BACKGROUND })
    // fastShrinkOnLoad false leaves at least 2× of any JPEG shrink-on-load to the real kernel (closer to PIL's
    // full-resolution resize); measured at no extra cost on large photos.
    .resize(plan.resizeWidth, plan.resizeHeight, { fit: 'fill', kernel: KERNELS[spec.interpolation], fastShrinkOnLoad: false });
  if (planCrops(plan)) {
    pipeline = pipeline.extract({ left: plan.cropLeft, top: plan.cropTop, width: plan.cropWidth, height: plan.cropHeight });
  }
  let pixels: Buffer;
  let info: OutputInfo;
  try {
    // sRGB output converts grey, CMYK and 16-bit inputs to 8-bit three-channel RGB.
    ({ data: pixels, info } = await pipeline.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }));
  } catch (err) {
    throw invalid(label, 'its pixel data is corrupt or truncated', err);
  }
  if (info.channels !== 3 || info.width !== plan.cropWidth || info.height !== plan.cropHeight) {
    throw invalid(label, `it decoded to an unexpected ${info.width}×${info.height}×${info.channels} layout`);
  }
  writeNormalisedChw(pixels, plan, spec, out, offset);
}

// ---------------------------------------------------------------------------------------------------------
// Metadata
// ---------------------------------------------------------------------------------------------------------

/**
 * Reads an image's oriented size and format from its header, without decoding pixels or applying limits.
 * @throws CtgiError NOT_FOUND or IMAGE_INVALID naming the file.
 */
export async function readImageMeta(path: string): Promise<ImageMeta> {
  let stats;
  try {
    stats = await stat(path);
  } catch (err) {
    throw fileError(path, err);
  }
  if (!stats.isFile()) throw invalid(path, 'it is not a regular file');
  if (stats.size === 0) throw invalid(path, 'the file is empty');
  return readHeader(path, path);
}

// ---------------------------------------------------------------------------------------------------------
// Rendering (charts and other vector graphics to PNG)
// ---------------------------------------------------------------------------------------------------------

/**
 * Renders an SVG document to a PNG file (through librsvg), written atomically. `density` is the DPI the
 * SVG is rasterised at: 72 (the default here is 144) maps one SVG unit to one pixel.
 * @throws CtgiError IMAGE_INVALID when the SVG cannot be rendered, BAD_INPUT when the file cannot be written.
 */
export async function renderSvgToPng(svg: string, outPath: string, options: { density?: number } = {}): Promise<void> {
  const png = await renderSvgToPngBuffer(svg, options);
  try {
    await writeFileAtomic(outPath, png);
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    throw new CtgiError(
      'BAD_INPUT',
      `Cannot write ${outPath} (${typeof code === 'string' ? code : 'I/O error'}); check that its folder exists and is writable.`,
      { cause: err },
    );
  }
}

/**
 * Renders an SVG document to PNG bytes (through librsvg). With the default density of 72 one SVG unit is
 * one pixel, so an SVG of width 128 and height 384 becomes a 128×384 image.
 * @throws CtgiError IMAGE_INVALID when the SVG cannot be rendered.
 */
export async function renderSvgToPngBuffer(svg: string, options: { density?: number } = {}): Promise<Buffer> {
  try {
    return await sharp(Buffer.from(svg, 'utf8'), { density: options.density ?? 144 }).png().toBuffer();
  } catch (err) {
    throw new CtgiError('IMAGE_INVALID', `Cannot render the SVG to PNG: ${err instanceof Error ? err.message : String(err)}.`, { cause: err });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Raw pixels (for readers that look at colours and shapes rather than a model tensor)
// ---------------------------------------------------------------------------------------------------------

/** Decoded 8-bit sRGB pixels, row-major RGB (3 bytes per pixel). */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Decodes encoded image bytes (JPEG, PNG, WebP) to 8-bit RGB, EXIF-oriented, alpha flattened onto white,
 * optionally resized (squash) to `size`. `label` names the image in errors.
 * @throws CtgiError IMAGE_TOO_LARGE / IMAGE_INVALID naming `label`.
 */
export async function decodeRgb(data: Buffer, label: string, options: { size?: { width: number; height: number }; limits?: ImageLimits } = {}): Promise<RgbImage> {
  const limits = options.limits ?? DEFAULT_IMAGE_LIMITS;
  await probeImage(data, label, limits);
  try {
    let pipeline = openProbed(data, limits).flatten({ background: '#ffffff' });
    if (options.size) pipeline = pipeline.resize(options.size.width, options.size.height, { fit: 'fill' });
    const { data: raw, info } = await pipeline.toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) };
  } catch (err) {
    if (isCtgiError(err)) throw err;
    throw invalid(label, err instanceof Error ? err.message : String(err), err);
  }
}

/**
 * Reads and decodes an image file to 8-bit RGB (see decodeRgb), with the same size checks as the model
 * preprocessing path.
 * @throws CtgiError NOT_FOUND, IMAGE_TOO_LARGE or IMAGE_INVALID naming the file.
 */
export async function decodeRgbFile(path: string, options: { size?: { width: number; height: number }; limits?: ImageLimits } = {}): Promise<RgbImage> {
  const limits = options.limits ?? DEFAULT_IMAGE_LIMITS;
  return decodeRgb(await readImageFile(path, limits), path, { ...options, limits });
}

// ---------------------------------------------------------------------------------------------------------
// Composition (contact sheets): letterboxed tiles and layers placed on a canvas
// ---------------------------------------------------------------------------------------------------------

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
    return await openProbed(data, limits)
      .flatten({ background })
      .resize(size.width, size.height, { fit: 'contain', background })
      .toColourspace('srgb')
      .png()
      .toBuffer();
  } catch (err) {
    throw invalid(label, 'its pixel data is corrupt or truncated', err);
  }
}

/** One layer of a composition: encoded image bytes (PNG, JPEG, WebP or SVG) placed with its top-left corner at `left`, `top`. */
export interface CompositeLayer {
  input: Buffer;
  left: number;
  top: number;
}

/**
 * Draws `layers` in order onto a blank `width`×`height` canvas of `background` (a CSS colour) and encodes
 * the result as an 8-bit RGB PNG. SVG layers are rasterised at one unit per pixel.
 * @throws CtgiError IMAGE_INVALID when a layer cannot be decoded or does not fit on the canvas.
 */
export async function composePng(width: number, height: number, background: string, layers: CompositeLayer[]): Promise<Buffer> {
  try {
    return await sharp({ create: { width, height, channels: 3, background } })
      .composite(layers.map((l) => ({ input: l.input, left: l.left, top: l.top, density: 72 })))
      .png()
      .toBuffer();
  } catch (err) {
    throw new CtgiError('IMAGE_INVALID', `Cannot compose the ${width}×${height} image: ${err instanceof Error ? err.message : String(err)}.`, { cause: err });
  }
}

// ---------------------------------------------------------------------------------------------------------
// MLLM input (JPEG for data URLs)
// ---------------------------------------------------------------------------------------------------------

/**
 * Re-encodes an image for an MLLM request: EXIF-oriented, alpha flattened onto white, downscaled so the
 * long side is at most `maxSide` (never enlarged), sRGB JPEG at quality 90.
 * @throws CtgiError IMAGE_INVALID for bytes that are not an image, IMAGE_TOO_LARGE over `limits`.
 */
export async function encodeJpegForMllm(bytes: Buffer, maxSide = 448, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Promise<Buffer> {
  const label = 'for the MLLM';
  await probeImage(bytes, label, limits);
  const side = Math.max(1, Math.floor(maxSide));
  try {
    return await openProbed(bytes, limits)
      .flatten({ background: FLATTEN_BACKGROUND })
      .resize(side, side, { fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb')
      .jpeg({ quality: 90 })
      .toBuffer();
  } catch (err) {
    throw invalid(label, 'its pixel data is corrupt or truncated', err);
  }
}
