// Colour arithmetic for the pixel reader: distances, robust averages, soft nearest-colour assignment.

export type Colour3 = readonly [number, number, number];

/** Euclidean distance in RGB. */
export function colourDistance(a: Colour3, b: Colour3): number {
  const dr = a[0] - b[0];
  const dg = a[1] - b[1];
  const db = a[2] - b[2];
  return Math.sqrt(dr * dr + dg * dg + db * db);
}

export function luminance(c: Colour3): number {
  return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
}

/** Per-channel median of a set of colours (null when empty). */
export function medianColour(pixels: readonly Colour3[]): Colour3 | null {
  if (pixels.length === 0) return null;
  const channel = (i: number) => {
    const v = pixels.map((p) => p[i]).sort((x, y) => x - y);
    return v[Math.floor(v.length / 2)];
  };
  return [channel(0), channel(1), channel(2)];
}

/**
 * Soft nearest colour: a probability per palette entry, exp(−d²/2σ²) normalised. σ sets how sure it is:
 * small σ is nearly argmax, large σ spreads the probability over near colours.
 */
export function softNearest(colour: Colour3, palette: Readonly<Record<string, Colour3>>, sigma: number): Record<string, number> {
  const names = Object.keys(palette);
  const logits = names.map((k) => -(colourDistance(colour, palette[k]) ** 2) / (2 * sigma * sigma));
  const max = Math.max(...logits);
  const weights = logits.map((l) => Math.exp(l - max));
  const total = weights.reduce((a, b) => a + b, 0);
  return Object.fromEntries(names.map((k, i) => [k, weights[i] / total]));
}

/**
 * Soft vote of many pixels: the mean of their soft nearest colours. A strap or a zip across a garment takes
 * its share of the vote instead of shifting an average colour.
 */
export function softVote(pixels: readonly Colour3[], palette: Readonly<Record<string, Colour3>>, sigma: number): Record<string, number> | null {
  if (pixels.length === 0) return null;
  const sum: Record<string, number> = Object.fromEntries(Object.keys(palette).map((k) => [k, 0]));
  for (const p of pixels) {
    const probs = softNearest(p, palette, sigma);
    for (const k in probs) sum[k] += probs[k];
  }
  for (const k in sum) sum[k] /= pixels.length;
  return sum;
}

/** The key with the highest probability. */
export function argmax(probs: Readonly<Record<string, number>>): string {
  let best = '';
  let bestP = -Infinity;
  for (const [k, p] of Object.entries(probs)) {
    if (p > bestP) {
      best = k;
      bestP = p;
    }
  }
  return best;
}

/** Mixes a distribution with the uniform one (floor keeps every value possible: the reader can be wrong). */
export function soften(probs: Readonly<Record<string, number>>, floor: number): Record<string, number> {
  const keys = Object.keys(probs);
  const total = keys.reduce((s, k) => s + probs[k], 0) || 1;
  return Object.fromEntries(keys.map((k) => [k, (1 - floor) * (probs[k] / total) + floor / keys.length]));
}

/** Logistic function: a soft threshold. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
