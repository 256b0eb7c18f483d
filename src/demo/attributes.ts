import { SLOTS, type AttributeEvidence, type AttributeSlot, type Colour, type HairColour, type SlotKey } from '../attributes/vocabulary.js';

// The synthetic demo world's attributes: the subset of the product's vocabulary (src/attributes) the world
// renders, the palette it paints them with, and the demo embedding built from them. Shared by the renderer,
// the pixel read-out, the demo encoder, the local MLLM and the witness simulator.

export type { Colour, HairColour } from '../attributes/vocabulary.js';
/** Palette of garment colours, far enough apart in RGB for a pixel read-out. */
export const COLOUR_RGB = {
  black: [28, 28, 30],
  white: [236, 236, 232],
  grey: [128, 128, 132],
  red: [200, 32, 36],
  blue: [36, 70, 200],
  green: [40, 150, 64],
  yellow: [236, 206, 44],
  brown: [116, 72, 36],
  pink: [238, 140, 184],
  purple: [118, 52, 160],
  orange: [240, 128, 32],
} as const satisfies Record<Colour, readonly [number, number, number]>;
export const COLOURS = Object.keys(COLOUR_RGB) as Colour[];

export const HAIR_RGB = {
  black: [22, 20, 20],
  brown: [98, 62, 34],
  blonde: [222, 192, 112],
  grey: [170, 170, 168],
  red: [164, 62, 28],
} as const satisfies Record<HairColour, readonly [number, number, number]>;

export const SHOE_COLOURS = ['black', 'white', 'brown', 'grey', 'red', 'blue'] as const satisfies readonly Colour[];

/** Everything that defines how one synthetic person looks (values of the product's vocabulary). */
export interface PersonAttributes {
  gender: 'man' | 'woman';
  hairColour: HairColour;
  hairLength: 'short' | 'long';
  /** t-shirt: short sleeves; jacket: long sleeves to the hip; coat: long sleeves to the knee; hoodie: long sleeves and a hood. */
  upperType: 't-shirt' | 'jacket' | 'coat' | 'hoodie';
  upperColour: Colour;
  lowerType: 'trousers' | 'shorts' | 'skirt';
  lowerColour: Colour;
  shoeColour: (typeof SHOE_COLOURS)[number];
  bag: 'none' | 'backpack' | 'handbag' | 'shoulder bag';
  /** null when bag is 'none'. */
  bagColour: Colour | null;
  hat: 'no' | 'yes';
  /** null when hat is 'no'. */
  hatColour: Colour | null;
  glasses: 'no' | 'yes';
  held: 'none' | 'umbrella' | 'phone' | 'bottle';
}

/** The slots the world renders. */
export type DemoSlotKey = keyof PersonAttributes;

/** The values of each rendered slot the world draws from (a subset of the product's). */
const DEMO_VALUES: Readonly<Record<DemoSlotKey, readonly string[]>> = {
  gender: ['man', 'woman'],
  hairColour: Object.keys(HAIR_RGB),
  hairLength: ['short', 'long'],
  upperType: ['t-shirt', 'jacket', 'coat', 'hoodie'],
  upperColour: COLOURS,
  lowerType: ['trousers', 'shorts', 'skirt'],
  lowerColour: COLOURS,
  shoeColour: SHOE_COLOURS,
  bag: ['none', 'backpack', 'handbag', 'shoulder bag'],
  bagColour: COLOURS,
  hat: ['no', 'yes'],
  hatColour: COLOURS,
  glasses: ['no', 'yes'],
  held: ['none', 'umbrella', 'phone', 'bottle'],
};

/** A rendered slot: the product's slot with the world's values. */
export interface DemoSlot extends AttributeSlot {
  key: DemoSlotKey;
}

/** The product's slots the world renders, in the product's order, each with the world's values. */
export const DEMO_SLOTS: readonly DemoSlot[] = SLOTS.filter((s): s is DemoSlot => s.key in DEMO_VALUES).map((s) => ({ ...s, values: DEMO_VALUES[s.key] }));

/** A rendered slot by key. */
export function demoSlot(key: DemoSlotKey): DemoSlot {
  return DEMO_SLOTS.find((s) => s.key === key)!;
}

/** True for the slots the world renders. */
export function isDemoSlot(key: SlotKey): key is DemoSlotKey {
  return key in DEMO_VALUES;
}

/** Dimension of the demo embedding: one coordinate per (slot, value). */
export const DEMO_DIM = DEMO_SLOTS.reduce((n, s) => n + s.values.length, 0);

/**
 * The demo embedding: per slot a block of its values' probabilities times the slot's weight,
 * L2-normalised. Text mentions only some slots, images give evidence for all, so the cosine rewards
 * agreement on what the text says and ignores the rest.
 */
export function evidenceVector(evidence: AttributeEvidence): Float32Array {
  const v = new Float32Array(DEMO_DIM);
  let offset = 0;
  for (const s of DEMO_SLOTS) {
    const probs = evidence[s.key];
    if (probs) s.values.forEach((value, i) => (v[offset + i] = (probs[value] ?? 0) * s.weight));
    offset += s.values.length;
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}

export { certainEvidence } from '../attributes/vocabulary.js';
export type { AttributeEvidence } from '../attributes/vocabulary.js';
