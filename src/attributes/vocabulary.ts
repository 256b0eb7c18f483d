// What the product knows about how people look: the attribute slots a description, a question or an
// answer can be about, with their values. The set follows the public pedestrian-attribute vocabularies
// (PA-100K's 26 attributes, RAP, UPAR): gender and age group, hair, upper and lower garment type, length,
// colour and pattern, footwear, bags (suitcases too), hats, glasses, masks, scarves and held objects.
// MTI, MTG, the template Reconstructor and the demo world all read this one list.

/** Garment, bag and hat colours: the basic colour terms a witness uses. */
export const COLOURS = ['black', 'white', 'grey', 'red', 'blue', 'green', 'yellow', 'brown', 'pink', 'purple', 'orange'] as const;
export type Colour = (typeof COLOURS)[number];

/** Hair colours. */
export const HAIR_COLOURS = ['black', 'brown', 'blonde', 'grey', 'red'] as const;
export type HairColour = (typeof HAIR_COLOURS)[number];

export type SlotKey =
  | 'gender'
  | 'hairColour'
  | 'hairLength'
  | 'upperType'
  | 'upperColour'
  | 'lowerType'
  | 'lowerColour'
  | 'shoeColour'
  | 'bag'
  | 'bagColour'
  | 'hat'
  | 'hatColour'
  | 'glasses'
  | 'held'
  | 'ageGroup'
  | 'sleeveLength'
  | 'upperPattern'
  | 'lowerLength'
  | 'lowerPattern'
  | 'footwear'
  | 'hatType'
  | 'mask'
  | 'scarf';

/** One attribute as a categorical slot: its values, how much it tells people apart, a question about it. */
export interface AttributeSlot {
  key: SlotKey;
  values: readonly string[];
  /**
   * How much the attribute tells people apart at a glance (salient ones weigh more): orders questions when
   * there is no evidence to rank them by, and weighs agreement when a description is compared with an image.
   */
  weight: number;
  /** The question a witness or the MLLM is asked about it. */
  question: string;
  /** The slot only applies when another slot has a value (bag colour needs a bag). */
  requires?: { key: SlotKey; notValue: string };
}

/**
 * Every slot, the most telling first. The first fourteen are the attributes the product has always asked
 * about (their order breaks ties between equally good questions); the rest weigh less, so they are asked
 * once the salient ones are settled or when the candidates' own answers show they split them.
 */
export const SLOTS: readonly AttributeSlot[] = [
  { key: 'gender', values: ['man', 'woman'], weight: 1.0, question: 'Is the person a man or a woman?' },
  { key: 'hairColour', values: HAIR_COLOURS, weight: 0.7, question: "What colour is the person's hair?" },
  { key: 'hairLength', values: ['short', 'long'], weight: 0.6, question: "Is the person's hair short or long?" },
  { key: 'upperType', values: ['t-shirt', 'shirt', 'sweater', 'jacket', 'coat', 'hoodie', 'vest'], weight: 0.8, question: 'What kind of top is the person wearing?' },
  { key: 'upperColour', values: COLOURS, weight: 1.4, question: "What colour is the person's upper body clothing?" },
  { key: 'lowerType', values: ['trousers', 'shorts', 'skirt', 'dress'], weight: 0.8, question: 'Is the person wearing trousers, shorts, a skirt or a dress?' },
  { key: 'lowerColour', values: COLOURS, weight: 1.2, question: "What colour is the person's lower body clothing?" },
  { key: 'shoeColour', values: COLOURS, weight: 0.5, question: "What colour are the person's shoes?" },
  { key: 'bag', values: ['none', 'backpack', 'handbag', 'shoulder bag', 'suitcase'], weight: 1.0, question: 'Is the person carrying a bag? What kind?' },
  { key: 'bagColour', values: COLOURS, weight: 0.6, question: 'What colour is the bag?', requires: { key: 'bag', notValue: 'none' } },
  { key: 'hat', values: ['no', 'yes'], weight: 0.7, question: 'Is the person wearing a hat?' },
  { key: 'hatColour', values: COLOURS, weight: 0.4, question: 'What colour is the hat?', requires: { key: 'hat', notValue: 'no' } },
  { key: 'glasses', values: ['no', 'yes'], weight: 0.5, question: 'Is the person wearing glasses?' },
  { key: 'held', values: ['none', 'umbrella', 'phone', 'bottle', 'cup', 'box'], weight: 0.6, question: 'Is the person holding anything in their hands?' },
  { key: 'ageGroup', values: ['child', 'adult', 'elderly'], weight: 0.45, question: 'Is the person a child, an adult or elderly?' },
  { key: 'mask', values: ['no', 'yes'], weight: 0.4, question: 'Is the person wearing a face mask?' },
  { key: 'sleeveLength', values: ['short', 'long'], weight: 0.35, question: "Are the person's sleeves short or long?" },
  { key: 'upperPattern', values: ['plain', 'stripes', 'logo', 'plaid', 'print'], weight: 0.35, question: "Is the person's top plain, striped, checked or printed?" },
  { key: 'footwear', values: ['sneakers', 'shoes', 'boots', 'sandals', 'heels'], weight: 0.35, question: 'What kind of shoes is the person wearing?' },
  { key: 'lowerLength', values: ['short', 'long'], weight: 0.3, question: "Do the person's trousers, shorts or skirt end above or below the knee?" },
  { key: 'lowerPattern', values: ['plain', 'stripes', 'plaid', 'print'], weight: 0.3, question: "Are the person's trousers, shorts or skirt plain, striped, checked or printed?" },
  { key: 'hatType', values: ['cap', 'beanie', 'brimmed hat', 'helmet'], weight: 0.3, question: 'What kind of hat is the person wearing?', requires: { key: 'hat', notValue: 'no' } },
  { key: 'scarf', values: ['no', 'yes'], weight: 0.3, question: 'Is the person wearing a scarf?' },
];

const BY_KEY = new Map(SLOTS.map((s) => [s.key, s]));

/** The slot of a key. @throws Error for a key that is not a slot (a programming error). */
export function slot(key: SlotKey): AttributeSlot {
  const s = BY_KEY.get(key);
  if (!s) throw new Error(`unknown attribute slot ${key}`);
  return s;
}

/** True when `key` names a slot (for keys read from stored JSON). */
export function isSlotKey(key: string): key is SlotKey {
  return BY_KEY.has(key as SlotKey);
}

/** Soft evidence about attributes: per slot, a probability per value (absent slot: no evidence). */
export type AttributeEvidence = Partial<Record<SlotKey, Partial<Record<string, number>>>>;

/** Certain evidence for the given attribute values (what a caption or a ground truth states). */
export function certainEvidence(values: Partial<Record<SlotKey, string | null>>): AttributeEvidence {
  const e: AttributeEvidence = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== null && value !== undefined) e[key as SlotKey] = { [value]: 1 };
  }
  return e;
}
