import type { RgbImage } from '../vision/rgb-decode.js';
import { COLOUR_RGB } from './attributes.js';
import { colourDistance, luminance, medianColour, type Colour3 } from './colour-match.js';
import { extentAt, foregroundFraction, halfWidthAt, locateFigure, zonePixels, type FigureFrame } from './figure-frame.js';

// Measurements of a figure, in figure units (figure-geometry.ts), taken from pixels only. pixel-reader.ts
// turns them into probabilities.

/** What the reader measured; colours are null where the zone held no foreground. */
export interface ReaderFeatures {
  skin: Colour3 | null;
  /** Pixels where hair shows: on top of the head, and at the sides below a hat brim. */
  hairTop: Colour3[];
  hairSide: Colour3[];
  /** Widest symmetric half-width near the head top (a hat brim is wide). */
  topHalfWidth: number;
  hatCrown: Colour3 | null;
  /** Luminance of the eye band over the face's (dark lenses make it low). */
  eyeDarkness: number;
  /** Half-width of the shoulders. */
  shoulderHalf: number;
  /** Foreground beside the neck above the shoulders (long hair or a hood fills it), and its colour. */
  neckFill: number;
  neckPixels: Colour3[];
  /** Foreground beside the head's lower half, past long hair (only a hood reaches there), and its colour. */
  hoodFill: number;
  hoodPixels: Colour3[];
  torso: Colour3 | null;
  torsoPixels: Colour3[];
  /** Fraction of skin-coloured pixels where forearms hang (short sleeves). */
  armSkin: number;
  /** Colour where the thighs are (a coat covers them). */
  thigh: Colour3 | null;
  /** Half-widths around a coat's hem and a skirt's hem. */
  coatWidth: number;
  hemWidth: number;
  /** Fraction of skin-coloured pixels on the shins (bare legs). */
  shinSkin: number;
  shinPixels: Colour3[];
  shortsPixels: Colour3[];
  skirtPixels: Colour3[];
  shoePixels: Colour3[];
  /** Backpack straps: share of pixels in both strap zones that differ from the torso; their pixels. */
  straps: number;
  strapPixels: Colour3[];
  /** Shoulder-bag strap: share of samples along its diagonal that differ from the torso, minus the mirrored diagonal's. */
  diagonal: number;
  /** Foreground beside the right hip (a shoulder bag) and below the right hand (a handbag). */
  hipBag: number;
  hipBagPixels: Colour3[];
  handBag: number;
  handBagPixels: Colour3[];
  /** Backpack sticking out past the arms. */
  packSides: number;
  packPixels: Colour3[];
  /** Left forearm missing where it hangs (raised to the ear), and something at the left of the head. */
  leftArmMissing: number;
  earObject: number;
  /** Foreground far below the left hand (an umbrella) and just below it (a bottle or an umbrella). */
  longObject: number;
  shortObject: number;
}

const GARMENTS = Object.values(COLOUR_RGB) as Colour3[];

/** Share of pixels that look like the face's skin: near it, and nearer to it than to `other` or to any garment colour. */
function skinShare(pixels: readonly Colour3[], skin: Colour3 | null, other: Colour3 | null): number {
  if (!skin || pixels.length === 0) return 0;
  let n = 0;
  for (const p of pixels) {
    const ds = colourDistance(p, skin);
    if (ds < 48 && (!other || ds < colourDistance(p, other)) && GARMENTS.every((g) => ds < colourDistance(p, g))) n++;
  }
  return n / pixels.length;
}

function differs(pixels: readonly Colour3[], ref: Colour3 | null, threshold: number): Colour3[] {
  return ref ? pixels.filter((p) => colourDistance(p, ref) > threshold) : [];
}

function lineSamples(frame: FigureFrame, from: [number, number], to: [number, number], y0: number, y1: number): Colour3[] {
  const out: Colour3[] = [];
  const steps = Math.max(4, Math.round((y1 - y0) * frame.unit));
  for (let i = 0; i <= steps; i++) {
    const y = y0 + ((y1 - y0) * i) / steps;
    const x = from[0] + ((to[0] - from[0]) * (y - from[1])) / (to[1] - from[1]);
    const px = Math.round(frame.axis + x * frame.unit - 0.5);
    const py = Math.round(frame.headTop + y * frame.unit - 0.5);
    if (px >= 0 && py >= 0 && px < frame.img.width && py < frame.img.height) out.push(frame.colourAt(px, py));
  }
  return out;
}

/** Median over rows y0..y1 of the half-width of the run through the axis. */
function medianHalfWidth(frame: FigureFrame, y0: number, y1: number): number {
  return medianOf(y0, y1, (y) => halfWidthAt(frame, y));
}

/** Median over rows y0..y1 of the symmetric extent of everything within 45 units of the axis. */
function medianExtent(frame: FigureFrame, y0: number, y1: number): number {
  return medianOf(y0, y1, (y) => extentAt(frame, y, 45));
}

function medianOf(y0: number, y1: number, at: (y: number) => number): number {
  const values: number[] = [];
  for (let y = y0; y <= y1; y += 2) values.push(at(y));
  values.sort((a, b) => a - b);
  return values[values.length >> 1];
}

/** Measures the figure in `img`; null when no figure is found. */
export function measureFigure(img: RgbImage): ReaderFeatures | null {
  const frame = locateFigure(img);
  if (!frame) return null;
  const z = (x0: number, x1: number, y0: number, y1: number) => zonePixels(frame, x0, x1, y0, y1);
  const both = (x0: number, x1: number, y0: number, y1: number) => [...z(-x1, -x0, y0, y1), ...z(x0, x1, y0, y1)];
  const frac = (x0: number, x1: number, y0: number, y1: number) => foregroundFraction(frame, x0, x1, y0, y1);

  const skin = medianColour(z(-5, 5, 24.5, 28.5));
  const torsoPixels = z(-6, 6, 62, 140);
  const torso = medianColour(torsoPixels);
  const eyes = z(-8.5, -2.5, 18, 22).concat(z(2.5, 8.5, 18, 22));
  const eyeLum = eyes.length > 0 ? eyes.reduce((s, p) => s + luminance(p), 0) / eyes.length : 0;

  // Beside the head's lower half and past long hair: only a hood reaches there.
  const hoodL = frac(-24, -18.5, 33, 45);
  const hoodR = frac(18.5, 24, 33, 45);
  const strapPixels = both(10.5, 15, 96, 128);
  const strapOff = differs(strapPixels, torso, 45);
  const diagonal = lineSamples(frame, [-17, 50], [23, 142], 70, 125);
  const mirrored = lineSamples(frame, [17, 50], [-23, 142], 70, 125);
  const diagonalOff = differs(diagonal, torso, 45);
  const mirroredOff = differs(mirrored, torso, 45);
  const shinPixels = z(-20, 20, 245, 292);
  const earObject = frac(-22, -14, 18, 34) - frac(14, 22, 18, 34);
  const phoneSide = earObject > 0.2;

  return {
    skin,
    hairTop: z(-6, 6, 1.5, 7.5),
    hairSide: both(12.5, 15.5, 13, 22),
    topHalfWidth: frame.topHalfWidth,
    hatCrown: medianColour(z(-7, 7, -7, 1)),
    eyeDarkness: skin ? eyeLum / Math.max(20, luminance(skin)) : 1,
    shoulderHalf: medianExtent(frame, 53, 60),
    // A forearm raised to the ear crosses the left side.
    neckFill: phoneSide ? frac(7, 16, 39, 46) : frac(7, 16, 39, 46) / 2 + frac(-16, -7, 39, 46) / 2,
    neckPixels: phoneSide ? z(7, 16, 39, 46) : both(7, 16, 39, 46),
    // A hood fills both sides; a forearm raised to the ear fills the left one only.
    hoodFill: phoneSide ? hoodR : Math.min(hoodL, hoodR),
    hoodPixels: phoneSide ? z(18.5, 24, 33, 45) : both(18.5, 24, 33, 45),
    torso,
    torsoPixels,
    armSkin: skinShare(both(16, 42, 112, 140), skin, torso),
    thigh: medianColour(z(-12, 12, 185, 212)),
    coatWidth: medianHalfWidth(frame, 198, 216),
    hemWidth: medianHalfWidth(frame, 226, 236),
    shinSkin: skinShare(shinPixels, skin, null),
    shinPixels,
    shortsPixels: z(-14, 14, 165, 190),
    skirtPixels: z(-20, 20, 226, 236),
    shoePixels: z(-24, 24, 305, 316),
    straps: strapPixels.length > 0 ? strapOff.length / strapPixels.length : 0,
    strapPixels: strapOff,
    diagonal: (diagonalOff.length - mirroredOff.length) / Math.max(1, diagonal.length),
    hipBag: frac(20, 40, 142, 158),
    hipBagPixels: z(22, 38, 144, 168),
    handBag: frac(26, 46, 174, 194),
    handBagPixels: z(22, 46, 174, 192),
    packSides: medianExtent(frame, 70, 100),
    packPixels: both(27, 36, 68, 110),
    leftArmMissing: frac(18, 44, 118, 150) - frac(-44, -18, 118, 150),
    earObject,
    // Below the skirt's hem and outside its flare, so only something held can be there.
    longObject: frac(-50, -27, 242, 268),
    shortObject: frac(-50, -31, 172, 190),
  };
}
