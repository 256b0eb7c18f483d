import type { Rgb } from './appearance.js';

// Small helpers for writing SVG markup by hand: numbers, colours, shapes.

/** A number with at most two decimals, as SVG text. */
export function n(x: number): string {
  return String(Math.round(x * 100) / 100);
}

/** `#rrggbb` for an RGB triple (channels clamped to 0–255). */
export function hex(c: Rgb): string {
  return `#${c.map((v) => Math.max(0, Math.min(255, Math.round(v))).toString(16).padStart(2, '0')).join('')}`;
}

/** The colour darkened (f < 1) or brightened (f > 1) by a factor. */
export function shade(c: Rgb, f: number): Rgb {
  return [c[0] * f, c[1] * f, c[2] * f];
}

/** The colour mixed with `other` by weight t (0 = c, 1 = other). */
export function mix(c: Rgb, other: Rgb, t: number): Rgb {
  return [c[0] + (other[0] - c[0]) * t, c[1] + (other[1] - c[1]) * t, c[2] + (other[2] - c[2]) * t];
}

/** Outline colour for a fill: darker, but never pure black on black. */
export function outline(c: Rgb): Rgb {
  const lum = 0.3 * c[0] + 0.59 * c[1] + 0.11 * c[2];
  return lum < 50 ? mix(c, [90, 90, 96], 0.35) : shade(c, 0.7);
}

export type Point = readonly [number, number];

/** A closed polygon. */
export function polygon(points: readonly Point[], fill: Rgb, stroke?: Rgb, strokeWidth = 1): string {
  const pts = points.map(([x, y]) => `${n(x)},${n(y)}`).join(' ');
  return `<polygon points="${pts}" fill="${hex(fill)}"${strokeAttr(stroke, strokeWidth)} stroke-linejoin="round"/>`;
}

/** An open polyline drawn as a thick stroke (limbs, straps). */
export function stroke(points: readonly Point[], colour: Rgb, width: number, cap: 'round' | 'butt' = 'round'): string {
  const pts = points.map(([x, y]) => `${n(x)},${n(y)}`).join(' ');
  return `<polyline points="${pts}" fill="none" stroke="${hex(colour)}" stroke-width="${n(width)}" stroke-linecap="${cap}" stroke-linejoin="round"/>`;
}

export function ellipse(cx: number, cy: number, rx: number, ry: number, fill: Rgb, strokeColour?: Rgb, strokeWidth = 1): string {
  return `<ellipse cx="${n(cx)}" cy="${n(cy)}" rx="${n(rx)}" ry="${n(ry)}" fill="${hex(fill)}"${strokeAttr(strokeColour, strokeWidth)}/>`;
}

export function rect(x: number, y: number, w: number, h: number, r: number, fill: Rgb, strokeColour?: Rgb, strokeWidth = 1): string {
  return `<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" rx="${n(r)}" fill="${hex(fill)}"${strokeAttr(strokeColour, strokeWidth)}/>`;
}

/** A path with the given `d`, filled or stroked. */
export function path(d: string, fill: Rgb | null, strokeColour?: Rgb, strokeWidth = 1): string {
  return `<path d="${d}" fill="${fill ? hex(fill) : 'none'}"${strokeAttr(strokeColour, strokeWidth)} stroke-linecap="round" stroke-linejoin="round"/>`;
}

function strokeAttr(colour: Rgb | undefined, width: number): string {
  return colour ? ` stroke="${hex(colour)}" stroke-width="${n(width)}"` : '';
}
