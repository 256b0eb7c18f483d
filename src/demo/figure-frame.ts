import type { RgbImage } from '../vision/rgb-decode.js';
import { colourDistance, type Colour3 } from './colour-match.js';
import { FIGURE_HEIGHT, HAIR, HAT } from './figure-geometry.js';

// Finds the figure in an image from pixels alone: the background is estimated per row from the image's left
// and right borders (the figure never touches both), everything far from it is foreground, and the
// foreground's extent gives a frame in figure units (figure-geometry.ts) whatever the image size.

/** Colour distance from the row's background above which a pixel is foreground. */
const FOREGROUND_DISTANCE = 26;

/** Where the figure is: pixel ↔ figure-unit mapping plus the foreground test. */
export interface FigureFrame {
  img: RgbImage;
  /** Pixels per figure unit. */
  unit: number;
  /** Pixel column of the body's axis and pixel row of the top of the hair. */
  axis: number;
  headTop: number;
  /** First and last foreground rows. */
  top: number;
  bottom: number;
  /** Half-width (figure units) of the widest row near the head top: a hat brim is wider than hair. */
  topHalfWidth: number;
  isForeground(x: number, y: number): boolean;
  colourAt(x: number, y: number): Colour3;
}

function rowBackgrounds(img: RgbImage): Colour3[] {
  const border = Math.max(2, Math.round(img.width * 0.03));
  const out: Colour3[] = [];
  const values: number[][] = [[], [], []];
  for (let y = 0; y < img.height; y++) {
    for (const v of values) v.length = 0;
    for (let i = 0; i < border; i++) {
      for (const x of [i, img.width - 1 - i]) {
        const o = (y * img.width + x) * 3;
        for (let c = 0; c < 3; c++) values[c].push(img.data[o + c]);
      }
    }
    out.push(values.map((v) => v.sort((a, b) => a - b)[v.length >> 1]) as unknown as Colour3);
  }
  return out;
}

function foregroundMask(img: RgbImage, bg: readonly Colour3[]): Uint8Array {
  const far = new Uint8Array(img.width * img.height);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const o = (y * img.width + x) * 3;
      const p: Colour3 = [img.data[o], img.data[o + 1], img.data[o + 2]];
      // A pixel must differ from the background of its row and of both neighbours: thin horizontal lines
      // (the floor's edge), softened by blur or resizing, then stay background.
      let d = Infinity;
      for (let dy = -1; dy <= 1; dy++) d = Math.min(d, colourDistance(p, bg[Math.min(img.height - 1, Math.max(0, y + dy))]));
      if (d > FOREGROUND_DISTANCE) far[y * img.width + x] = 1;
    }
  }
  // Isolated specks (noise on a textured wall) are not foreground: keep pixels with two far neighbours.
  const mask = new Uint8Array(far.length);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      if (!far[y * img.width + x]) continue;
      let neighbours = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if ((dx || dy) && nx >= 0 && ny >= 0 && nx < img.width && ny < img.height) neighbours += far[ny * img.width + nx];
        }
      }
      if (neighbours >= 2) mask[y * img.width + x] = 1;
    }
  }
  return mask;
}

/** Leftmost and rightmost foreground columns of the run through (or nearest to) column `near` in row y. */
function runAt(mask: Uint8Array, width: number, y: number, near: number): [number, number] | null {
  const row = y * width;
  let start = -1;
  for (let d = 0; d < width && start < 0; d++) {
    for (const x of [Math.round(near) - d, Math.round(near) + d]) {
      if (x >= 0 && x < width && mask[row + x]) {
        start = x;
        break;
      }
    }
  }
  if (start < 0) return null;
  let l = start;
  let r = start;
  // Allow one-pixel gaps inside the figure (outlines, blur).
  while (l > 0 && (mask[row + l - 1] || (l > 1 && mask[row + l - 2]))) l--;
  while (r < width - 1 && (mask[row + r + 1] || (r < width - 2 && mask[row + r + 2]))) r++;
  return [l, r];
}

/** Locates the figure; null when the image holds no figure-like foreground. */
export function locateFigure(img: RgbImage): FigureFrame | null {
  const bg = rowBackgrounds(img);
  const mask = foregroundMask(img, bg);
  // The figure's column: where the middle rows' foreground is. Rows are then counted only near it, so
  // specks of background texture at the borders do not stretch the figure.
  const columns = new Array<number>(img.width).fill(0);
  for (let y = Math.floor(img.height * 0.3); y < img.height * 0.7; y++) {
    for (let x = 0; x < img.width; x++) columns[x] += mask[y * img.width + x];
  }
  const total = columns.reduce((a, b) => a + b, 0);
  let centre = img.width / 2;
  if (total > 0) {
    let acc = 0;
    centre = columns.findIndex((c) => (acc += c) >= total / 2);
  }
  // Rows count only with foreground near that column, and the figure is the block of such rows connected
  // to its middle: specks of background texture at the borders or above the head do not stretch it.
  const x0 = Math.max(0, Math.round(centre - img.width * 0.3));
  const x1 = Math.min(img.width - 1, Math.round(centre + img.width * 0.3));
  const filled = (y: number) => {
    for (let x = x0; x <= x1; x++) if (mask[y * img.width + x]) return true;
    return false;
  };
  const middle = Math.round(img.height * 0.45);
  if (!filled(middle)) return null;
  const gap = Math.max(1, Math.round(img.height / 192));
  let top = middle;
  while (top > 0 && [...Array(gap + 1).keys()].some((d) => top - 1 - d >= 0 && filled(top - 1 - d))) top--;
  let bottom = middle;
  while (bottom < img.height - 1 && [...Array(gap + 1).keys()].some((d) => bottom + 1 + d < img.height && filled(bottom + 1 + d))) bottom++;
  while (!filled(top)) top++;
  while (!filled(bottom)) bottom--;
  if (bottom - top < img.height * 0.3) return null;

  let unit = (bottom - top) / FIGURE_HEIGHT;
  // The head's centre: the middle of the topmost rows (hair or hat crown) is the body's axis.
  const centres: number[] = [];
  for (let y = top; y <= top + Math.max(1, 6 * unit); y++) {
    const run = runAt(mask, img.width, y, centre);
    if (run) centres.push((run[0] + run[1] + 1) / 2);
  }
  centres.sort((a, b) => a - b);
  const axis = centres.length > 0 ? centres[centres.length >> 1] : img.width / 2;
  // Symmetric half-width near the top (min of both sides, so a phone at one ear does not count).
  let topHalf = 0;
  for (let y = top + Math.max(1, Math.round(2 * unit)); y <= top + 22 * unit; y++) {
    const run = runAt(mask, img.width, y, axis);
    if (run) topHalf = Math.max(topHalf, Math.min(axis - run[0], run[1] + 1 - axis));
  }
  const topHalfWidth = topHalf / unit;
  let headTop = top;
  if (topHalfWidth > (HAT.brimHalf + HAIR.rx) / 2) {
    // A hat: its crown rises above the hair.
    unit = (bottom - top) / (FIGURE_HEIGHT - HAT.top);
    headTop = top - HAT.top * unit;
  }
  return {
    img,
    unit: (bottom - headTop) / FIGURE_HEIGHT,
    axis,
    headTop,
    top,
    bottom,
    topHalfWidth,
    isForeground: (x, y) => x >= 0 && y >= 0 && x < img.width && y < img.height && mask[y * img.width + x] === 1,
    colourAt: (x, y) => {
      const o = (y * img.width + x) * 3;
      return [img.data[o], img.data[o + 1], img.data[o + 2]];
    },
  };
}

/** Colours of the pixels inside a rectangle given in figure units (foreground ones only, unless told otherwise). */
export function zonePixels(frame: FigureFrame, x0: number, x1: number, y0: number, y1: number, foregroundOnly = true): Colour3[] {
  const out: Colour3[] = [];
  const px0 = Math.max(0, Math.ceil(frame.axis + Math.min(x0, x1) * frame.unit - 0.5));
  const px1 = Math.min(frame.img.width - 1, Math.floor(frame.axis + Math.max(x0, x1) * frame.unit - 0.5));
  const py0 = Math.max(0, Math.ceil(frame.headTop + y0 * frame.unit - 0.5));
  const py1 = Math.min(frame.img.height - 1, Math.floor(frame.headTop + y1 * frame.unit - 0.5));
  for (let y = py0; y <= py1; y++) {
    for (let x = px0; x <= px1; x++) {
      if (!foregroundOnly || frame.isForeground(x, y)) out.push(frame.colourAt(x, y));
    }
  }
  return out;
}

/** Fraction of a figure-unit rectangle that is foreground (0 when the rectangle holds no pixel). */
export function foregroundFraction(frame: FigureFrame, x0: number, x1: number, y0: number, y1: number): number {
  const all = zonePixels(frame, x0, x1, y0, y1, false).length;
  return all === 0 ? 0 : zonePixels(frame, x0, x1, y0, y1, true).length / all;
}

/** Half-width (figure units) of the foreground run through the axis at figure row y, on one side (−1 left, 1 right, 0 both: the smaller). */
export function halfWidthAt(frame: FigureFrame, y: number, side: -1 | 0 | 1 = 0): number {
  const py = Math.round(frame.headTop + y * frame.unit - 0.5);
  if (py < 0 || py >= frame.img.height) return 0;
  const mask = new Uint8Array(frame.img.width);
  for (let x = 0; x < frame.img.width; x++) mask[x] = frame.isForeground(x, py) ? 1 : 0;
  const run = runAt(mask, frame.img.width, 0, frame.axis);
  if (!run) return 0;
  const left = (frame.axis - run[0]) / frame.unit;
  const right = (run[1] + 1 - frame.axis) / frame.unit;
  return side === -1 ? left : side === 1 ? right : Math.min(left, right);
}

/** Symmetric half-width (figure units) of all foreground within `reach` units of the axis at row y: the smaller of both sides' extents. */
export function extentAt(frame: FigureFrame, y: number, reach: number): number {
  const py = Math.round(frame.headTop + y * frame.unit - 0.5);
  if (py < 0 || py >= frame.img.height) return 0;
  const lo = Math.max(0, Math.floor(frame.axis - reach * frame.unit));
  const hi = Math.min(frame.img.width - 1, Math.ceil(frame.axis + reach * frame.unit));
  let left = frame.axis;
  let right = frame.axis;
  for (let x = lo; x <= hi; x++) {
    if (!frame.isForeground(x, py)) continue;
    left = Math.min(left, x);
    right = Math.max(right, x + 1);
  }
  return Math.min(frame.axis - left, right - frame.axis) / frame.unit;
}
