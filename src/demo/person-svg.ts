import type { PersonAttributes } from './attributes.js';
import { CAMERAS, type Appearance, type Jitter, type Rgb } from './appearance.js';
import { figureSvg } from './figure-svg.js';
import { FIGURE_HEIGHT, IMAGE_HEIGHT, IMAGE_WIDTH } from './figure-geometry.js';
import { Rng } from './rng.js';
import { ellipse, hex, n, rect, shade, stroke } from './svg-paint.js';

// One image: a street-like background, the figure placed and scaled by the jitter, and a camera "look"
// (blur, sensor noise, lighting, colour cast) applied to everything.

const W = IMAGE_WIDTH;
const H = IMAGE_HEIGHT;

function background(jitter: Jitter): string {
  const rng = new Rng(jitter.textureSeed);
  const out = [rect(0, 0, W, H, 0, jitter.wall)];
  const style = rng.pick(['tiles', 'blotches', 'panels'] as const);
  if (style === 'tiles') {
    const step = rng.int(26, 44);
    const line = shade(jitter.wall, 0.95);
    for (let y = rng.int(8, step); y < jitter.horizon; y += step) out.push(stroke([[0, y], [W, y]], line, 1, 'butt'));
    for (let x = rng.int(4, step); x < W; x += step) out.push(stroke([[x, 0], [x, jitter.horizon]], line, 1, 'butt'));
  } else if (style === 'blotches') {
    for (let i = 0; i < 9; i++) {
      const c = shade(jitter.wall, rng.chance(0.5) ? 0.965 : 1.035);
      out.push(ellipse(rng.range(0, W), rng.range(0, jitter.horizon), rng.range(8, 30), rng.range(8, 40), c));
    }
  } else {
    const x = rng.int(10, W - 30);
    out.push(rect(x, rng.int(40, 120), rng.int(20, 40), jitter.horizon, 2, shade(jitter.wall, 1.04), shade(jitter.wall, 0.94), 1));
  }
  out.push(rect(0, jitter.horizon, W, H - jitter.horizon, 0, jitter.floor));
  out.push(stroke([[0, jitter.horizon], [W, jitter.horizon]], shade(jitter.floor, 0.85), 1.5, 'butt'));
  for (let y = jitter.horizon + 14; y < H; y += rng.int(16, 26)) out.push(stroke([[0, y], [W, y]], shade(jitter.floor, 0.96), 1, 'butt'));
  return out.join('');
}

/** The camera look: blur, luminance noise, then brightness/contrast and the camera's colour gains. */
function lookFilter(jitter: Jitter): string {
  const cam = CAMERAS[jitter.camera] ?? CAMERAS.c1;
  const c = jitter.contrast;
  const row = (i: number, gain: number) => {
    const cells = [0, 0, 0, 0, gain * (0.5 - 0.5 * c + jitter.brightness)];
    cells[i] = gain * c;
    return cells.map((v) => n(v)).join(' ');
  };
  const matrix = [row(0, cam.gains[0]), row(1, cam.gains[1]), row(2, cam.gains[2]), '0 0 0 1 0'].join('  ');
  const blur = cam.blur > 0 ? `<feGaussianBlur in="SourceGraphic" stdDeviation="${cam.blur}" result="src"/>` : '';
  return (
    `<filter id="look" filterUnits="userSpaceOnUse" x="0" y="0" width="${W}" height="${H}" color-interpolation-filters="sRGB">` +
    blur +
    `<feTurbulence type="fractalNoise" baseFrequency="0.9" numOctaves="1" seed="${jitter.textureSeed % 10_000}" result="t"/>` +
    `<feColorMatrix in="t" type="matrix" values="1 0 0 0 0  1 0 0 0 0  1 0 0 0 0  0 0 0 0 1" result="noise"/>` +
    `<feComposite in="${blur ? 'src' : 'SourceGraphic'}" in2="noise" operator="arithmetic" k1="0" k2="1" k3="0.07" k4="-0.035" result="noisy"/>` +
    `<feColorMatrix in="noisy" type="matrix" values="${matrix}"/>` +
    `</filter>`
  );
}

/**
 * The SVG of one image (128×384 units, one unit per pixel at density 72) of a person with the given
 * attributes, traits and jitter. Pure: the same inputs give the same text.
 */
export function renderPersonSvg(attributes: PersonAttributes, appearance: Appearance, jitter: Jitter): string {
  const s = jitter.scale;
  const top = (H - FIGURE_HEIGHT * s) / 2 + jitter.dy;
  const cx = W / 2 + jitter.dx;
  const shadow: Rgb = shade(jitter.floor, 0.8);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">` +
    `<defs>${lookFilter(jitter)}</defs>` +
    `<g filter="url(#look)">` +
    background(jitter) +
    `<g transform="translate(${n(cx)} ${n(top)}) scale(${s})">` +
    `<ellipse cx="0" cy="${FIGURE_HEIGHT - 1}" rx="30" ry="4" fill="${hex(shadow)}" opacity="0.35"/>` +
    figureSvg(attributes, appearance, jitter) +
    `</g></g></svg>`
  );
}
