// The synthetic demo world's attribute schema, shared by the renderer, the pixel read-out, the text
// parser, the demo encoder, the local MLLM and the witness simulator.

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
} as const satisfies Record<string, readonly [number, number, number]>;
export type Colour = keyof typeof COLOUR_RGB;
export const COLOURS = Object.keys(COLOUR_RGB) as Colour[];

export const HAIR_RGB = {
  black: [22, 20, 20],
  brown: [98, 62, 34],
  blonde: [222, 192, 112],
  grey: [170, 170, 168],
  red: [164, 62, 28],
} as const satisfies Record<string, readonly [number, number, number]>;
export type HairColour = keyof typeof HAIR_RGB;

export const SHOE_COLOURS = ['black', 'white', 'brown', 'grey', 'red', 'blue'] as const satisfies readonly Colour[];

/** Everything that defines how one synthetic person looks. */
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

export type SlotKey = keyof PersonAttributes;

/** One attribute as a categorical slot: its values, its weight in the demo embedding, a question about it. */
export interface AttributeSlot {
  key: SlotKey;
  values: readonly string[];
  /** How much the slot counts in the demo embedding (salient attributes weigh more). */
  weight: number;
  /** The question a witness or the MLLM is asked about it. */
  question: string;
  /** The slot only applies when another slot has a value (bag colour needs a bag). */
  requires?: { key: SlotKey; notValue: string };
}

export const SLOTS: readonly AttributeSlot[] = [
  { key: 'gender', values: ['man', 'woman'], weight: 1.0, question: 'Is the person a man or a woman?' },
  { key: 'hairColour', values: Object.keys(HAIR_RGB), weight: 0.7, question: "What colour is the person's hair?" },
  { key: 'hairLength', values: ['short', 'long'], weight: 0.6, question: "Is the person's hair short or long?" },
  { key: 'upperType', values: ['t-shirt', 'jacket', 'coat', 'hoodie'], weight: 0.8, question: 'What kind of top is the person wearing?' },
  { key: 'upperColour', values: COLOURS, weight: 1.4, question: "What colour is the person's upper body clothing?" },
  { key: 'lowerType', values: ['trousers', 'shorts', 'skirt'], weight: 0.8, question: 'Is the person wearing trousers, shorts or a skirt?' },
  { key: 'lowerColour', values: COLOURS, weight: 1.2, question: "What colour is the person's lower body clothing?" },
  { key: 'shoeColour', values: SHOE_COLOURS, weight: 0.5, question: "What colour are the person's shoes?" },
  { key: 'bag', values: ['none', 'backpack', 'handbag', 'shoulder bag'], weight: 1.0, question: 'Is the person carrying a bag? What kind?' },
  { key: 'bagColour', values: COLOURS, weight: 0.6, question: 'What colour is the bag?', requires: { key: 'bag', notValue: 'none' } },
  { key: 'hat', values: ['no', 'yes'], weight: 0.7, question: 'Is the person wearing a hat?' },
  { key: 'hatColour', values: COLOURS, weight: 0.4, question: 'What colour is the hat?', requires: { key: 'hat', notValue: 'no' } },
  { key: 'glasses', values: ['no', 'yes'], weight: 0.5, question: 'Is the person wearing glasses?' },
  { key: 'held', values: ['none', 'umbrella', 'phone', 'bottle'], weight: 0.6, question: 'Is the person holding anything in their hands?' },
];

export function slot(key: SlotKey): AttributeSlot {
  const s = SLOTS.find((x) => x.key === key);
  if (!s) throw new Error(`unknown attribute slot ${key}`);
  return s;
}

/** Soft evidence about attributes: per slot, a probability per value (absent slot: no evidence). */
export type AttributeEvidence = Partial<Record<SlotKey, Partial<Record<string, number>>>>;

/** Dimension of the demo embedding: one coordinate per (slot, value). */
export const DEMO_DIM = SLOTS.reduce((n, s) => n + s.values.length, 0);

/**
 * The demo embedding: per slot a block of its values' probabilities times the slot's weight,
 * L2-normalised. Text mentions only some slots, images give evidence for all, so the cosine rewards
 * agreement on what the text says and ignores the rest.
 */
export function evidenceVector(evidence: AttributeEvidence): Float32Array {
  const v = new Float32Array(DEMO_DIM);
  let offset = 0;
  for (const s of SLOTS) {
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

/** Certain evidence for the given attribute values (what a caption or a ground truth states). */
export function certainEvidence(values: Partial<PersonAttributes>): AttributeEvidence {
  const e: AttributeEvidence = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== null && value !== undefined) e[key as SlotKey] = { [value]: 1 };
  }
  return e;
}
