import { renderSvgToPngBuffer } from '../vision/svg-render.js';
import type { PersonAttributes } from './attributes.js';
import type { Appearance, Jitter } from './appearance.js';
import { renderPersonSvg } from './person-svg.js';

/**
 * Renders one image of a person to PNG bytes (128×384).
 * @throws CtgiError IMAGE_INVALID if librsvg refuses the SVG (a bug in the renderer).
 */
export async function renderPersonPng(attributes: PersonAttributes, appearance: Appearance, jitter: Jitter): Promise<Buffer> {
  return renderSvgToPngBuffer(renderPersonSvg(attributes, appearance, jitter), { density: 72 });
}
