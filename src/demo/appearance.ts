import type { Rng } from './rng.js';

// What a render needs beyond the attributes: traits of the person that no attribute names (skin tone, the
// umbrella's colour) and the per-image jitter (pose, framing, background, lighting, camera).

export type Rgb = readonly [number, number, number];

/** Skin tones, from light to dark; none is close to a garment or hair colour of the palette. */
export const SKIN_TONES: readonly Rgb[] = [
  [244, 210, 186],
  [228, 178, 146],
  [198, 142, 104],
  [150, 100, 70],
  [92, 60, 46],
];

/** Dark canopy colours of a closed umbrella (shape, not colour, says "umbrella"). */
const UMBRELLA_COLOURS: readonly Rgb[] = [
  [34, 36, 60],
  [30, 30, 34],
  [90, 28, 40],
  [28, 64, 52],
];

/** Traits of one person that stay the same in all their images. */
export interface Appearance {
  /** Index into SKIN_TONES. */
  skinTone: number;
  umbrellaColour: Rgb;
}

/** Per-camera colour gains and sharpness: each camera casts its images slightly. */
export const CAMERAS: Readonly<Record<string, { gains: Rgb; blur: number }>> = {
  c1: { gains: [1, 1, 1], blur: 0 },
  c2: { gains: [1.05, 1.0, 0.93], blur: 0.3 },
  c3: { gains: [0.96, 1.0, 1.06], blur: 0 },
  c4: { gains: [0.97, 1.04, 0.97], blur: 0.5 },
  c5: { gains: [0.95, 0.95, 0.95], blur: 0.3 },
  c6: { gains: [1.04, 0.96, 1.03], blur: 0 },
};
export const CAMERA_IDS = Object.keys(CAMERAS);

/** Muted wall and floor colours, away from the garment palette (greys here are warm or cool, never neutral mid-grey). */
const WALLS: readonly Rgb[] = [
  [196, 188, 170],
  [178, 186, 170],
  [190, 184, 198],
  [208, 200, 186],
  [172, 180, 188],
  [192, 178, 160],
];
const FLOORS: readonly Rgb[] = [
  [174, 164, 146],
  [162, 172, 160],
  [180, 170, 172],
  [188, 178, 160],
  [160, 168, 182],
];

/** How one image of a person differs from another. */
export interface Jitter {
  camera: string;
  /** Figure size factor (0.92–1.08). */
  scale: number;
  /** Offset of the figure from the image centre, in pixels. */
  dx: number;
  dy: number;
  /** Outward angles in degrees: [upper arm, forearm] for the image-left and image-right arms. */
  armLeft: [number, number];
  armRight: [number, number];
  /** Outward angle of each leg, in degrees. */
  legLeft: number;
  legRight: number;
  wall: Rgb;
  floor: Rgb;
  /** Image row where the floor starts. */
  horizon: number;
  /** Seed of the background's texture and the sensor noise. */
  textureSeed: number;
  /** Mild lighting: brightness offset (−0.06–0.06) and contrast factor (0.9–1.1). */
  brightness: number;
  contrast: number;
}

/** Draws the traits of one person. */
export function sampleAppearance(rng: Rng): Appearance {
  return {
    skinTone: rng.int(0, SKIN_TONES.length - 1),
    umbrellaColour: rng.pick(UMBRELLA_COLOURS),
  };
}

// "+ 0" turns −0 into 0, so a world survives a JSON round trip unchanged.
const round = (x: number, digits = 2): number => Number(x.toFixed(digits)) + 0;

/** Draws the jitter of one image taken by `camera`. */
export function sampleJitter(rng: Rng, camera: string): Jitter {
  const arm = (): [number, number] => {
    const upper = round(rng.range(4, 10), 1);
    return [upper, round(upper + rng.range(-3, 3), 1)];
  };
  return {
    camera,
    scale: round(rng.range(0.92, 1.08), 3),
    dx: round(rng.range(-5, 5), 1),
    dy: round(rng.range(-7, 7), 1),
    armLeft: arm(),
    armRight: arm(),
    legLeft: round(rng.range(-1, 4), 1),
    legRight: round(rng.range(-1, 4), 1),
    wall: rng.pick(WALLS),
    floor: rng.pick(FLOORS),
    horizon: rng.int(250, 320),
    textureSeed: rng.int(1, 1_000_000),
    brightness: round(rng.range(-0.06, 0.06), 3),
    contrast: round(rng.range(0.9, 1.1), 3),
  };
}
