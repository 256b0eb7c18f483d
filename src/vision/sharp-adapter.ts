import sharp from 'sharp';

// The one module that imports sharp (libvips). The rest of src/vision describes what it wants with plain
// options and gets bytes back, so the native dependency is confined here. Errors are sharp's own: callers
// know which image they were reading and turn them into CtgiErrors that name it.

/** Size (EXIF orientation applied; 0 when the header declares none) and sharp's decoder name from a header. */
export interface SharpHeader {
  width: number;
  height: number;
  /** `jpeg`, `png`, `webp`, `gif`, `svg`, … */
  format: string;
}

/** Steps applied to decoded pixels, in libvips' fixed order: flatten, resize, extract. */
export interface DecodeSteps {
  /** Backstop pixel cap passed to the decoder (callers compare the header size themselves first). */
  maxPixels: number;
  /** Background that transparent pixels are flattened onto: a CSS colour or RGB bytes. */
  flatten: string | { r: number; g: number; b: number };
  resize?: {
    width: number;
    height: number;
    fit: 'fill' | 'contain' | 'inside';
    kernel?: 'cubic' | 'linear' | 'nearest';
    fastShrinkOnLoad?: boolean;
    withoutEnlargement?: boolean;
    /** Colour of `contain` bars (CSS). */
    background?: string;
  };
  /** A crop of the resized image. */
  extract?: { left: number; top: number; width: number; height: number };
}

/** Encoded output of decodeAndEncode. */
export type EncodeAs = { format: 'png' } | { format: 'jpeg'; quality: number };

/** Raw 8-bit pixels: `channels` interleaved samples per pixel, row-major. */
export interface RawPixels {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

/** One layer of a composition: encoded image bytes placed with its top-left corner at `left`, `top`. */
export interface CanvasLayer {
  input: Buffer;
  left: number;
  top: number;
}

/** Reads the header of a file path or buffer; no pixels are decoded and no pixel limit applies. */
export async function sharpHeader(input: Buffer | string): Promise<SharpHeader> {
  // No pixel limit here: callers compare the size themselves so the error is ours and names the size.
  const meta = await sharp(input, { limitInputPixels: false }).metadata();
  return { width: meta.autoOrient?.width ?? meta.width ?? 0, height: meta.autoOrient?.height ?? meta.height ?? 0, format: meta.format ?? '' };
}

/** Decodes, orients and transforms `data`, returning 8-bit sRGB pixels without alpha. */
export async function decodeToRawRgb(data: Buffer, steps: DecodeSteps): Promise<RawPixels> {
  // sRGB output converts grey, CMYK and 16-bit inputs to 8-bit three-channel RGB.
  const { data: pixels, info } = await pipeline(data, steps).toColourspace('srgb').removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return { data: pixels, width: info.width, height: info.height, channels: info.channels };
}

/** Decodes, orients and transforms `data`, then encodes it as sRGB PNG or JPEG. */
export async function decodeAndEncode(data: Buffer, steps: DecodeSteps, as: EncodeAs): Promise<Buffer> {
  const srgb = pipeline(data, steps).toColourspace('srgb');
  return (as.format === 'png' ? srgb.png() : srgb.jpeg({ quality: as.quality })).toBuffer();
}

/** Rasterises an SVG document (librsvg) at `density` DPI (72: one SVG unit per pixel) to PNG bytes. */
export async function renderSvg(svg: string, density: number): Promise<Buffer> {
  return sharp(Buffer.from(svg, 'utf8'), { density }).png().toBuffer();
}

/** Draws `layers` in order onto a blank RGB canvas of `background` (CSS) and encodes it as PNG; SVG layers at one unit per pixel. */
export async function composeOnCanvas(width: number, height: number, background: string, layers: CanvasLayer[]): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background } })
    .composite(layers.map((l) => ({ input: l.input, left: l.left, top: l.top, density: 72 })))
    .png()
    .toBuffer();
}

function pipeline(data: Buffer, steps: DecodeSteps) {
  let image = sharp(data, {
    autoOrient: true,
    // 'warning' (sharp's default, spelled out) makes truncated or corrupt pixel data an error, not grey fill.
    failOn: 'warning',
    // 0 would mean "no limit" to sharp.
    limitInputPixels: Math.max(1, Math.floor(steps.maxPixels)),
  }).flatten({ background: steps.flatten });
  const r = steps.resize;
  if (r) {
    image = image.resize(r.width, r.height, {
      fit: r.fit,
      ...(r.kernel ? { kernel: r.kernel } : {}),
      ...(r.fastShrinkOnLoad !== undefined ? { fastShrinkOnLoad: r.fastShrinkOnLoad } : {}),
      ...(r.withoutEnlargement !== undefined ? { withoutEnlargement: r.withoutEnlargement } : {}),
      ...(r.background !== undefined ? { background: r.background } : {}),
    });
  }
  if (steps.extract) image = image.extract(steps.extract);
  return image;
}

/** Raw 8-bit pixels handed in: `channels` interleaved samples per pixel, row-major. */
export interface RawInput {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** Resizes raw 8-bit RGB pixels to exactly `width` × `height` (bilinear, as detectors are trained with). */
export async function resizeRaw(pixels: RawInput, width: number, height: number): Promise<RawPixels> {
  const { data, info } = await rawInput(pixels)
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** Encodes a region (or all) of raw 8-bit pixels as PNG. */
export async function encodeRawPng(pixels: RawInput, region?: { left: number; top: number; width: number; height: number }): Promise<Buffer> {
  const image = rawInput(pixels);
  return (region ? image.extract(region) : image).png().toBuffer();
}

function rawInput(pixels: RawInput) {
  return sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels as 1 | 2 | 3 | 4 } });
}
