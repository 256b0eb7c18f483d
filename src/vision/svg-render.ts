import { CtgiError } from '../errors/ctgi-error.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { renderSvg } from './sharp-adapter.js';

// Rendering our own vector drawings (the CMC chart of `ctgi eval --plot`, the demo world's people) to PNG.
// It stays in src/vision rather than src/demo because eval's chart uses it too.

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
 * Renders an SVG document to PNG bytes (through librsvg). With a density of 72 one SVG unit is one pixel,
 * so an SVG of width 128 and height 384 becomes a 128×384 image; the default is 144.
 * @throws CtgiError IMAGE_INVALID when the SVG cannot be rendered.
 */
export async function renderSvgToPngBuffer(svg: string, options: { density?: number } = {}): Promise<Buffer> {
  try {
    return await renderSvg(svg, options.density ?? 144);
  } catch (err) {
    throw new CtgiError('IMAGE_INVALID', `Cannot render the SVG to PNG: ${err instanceof Error ? err.message : String(err)}.`, { cause: err });
  }
}
