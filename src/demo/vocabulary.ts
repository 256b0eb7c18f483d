import type { Colour, HairColour, PersonAttributes, DemoSlotKey } from './attributes.js';

// The words the demo world's captions and witness queries use for each attribute value. The text parser
// reads the same lists, so anything the world writes, the parser can understand. Multi-word phrases are
// listed before their last word where both exist ("hooded sweatshirt" before nothing shorter).

export const COLOUR_WORDS: Readonly<Record<Colour, readonly string[]>> = {
  black: ['black'],
  white: ['white'],
  grey: ['grey', 'gray'],
  red: ['red'],
  blue: ['blue'],
  green: ['green'],
  yellow: ['yellow'],
  brown: ['brown'],
  pink: ['pink'],
  purple: ['purple'],
  orange: ['orange'],
};

export const HAIR_COLOUR_WORDS: Readonly<Record<HairColour, readonly string[]>> = {
  black: ['black', 'dark'],
  brown: ['brown'],
  blonde: ['blonde', 'blond', 'fair'],
  grey: ['grey', 'gray', 'silver'],
  red: ['red', 'ginger'],
};

export const GENDER_WORDS: Readonly<Record<PersonAttributes['gender'], readonly string[]>> = {
  man: ['man', 'guy', 'gentleman', 'male'],
  woman: ['woman', 'lady', 'female'],
};

/** Words for a person whose gender the speaker does not give. */
export const PERSON_WORDS: readonly string[] = ['person', 'someone', 'somebody'];

export const HAIR_LENGTH_WORDS: Readonly<Record<PersonAttributes['hairLength'], readonly string[]>> = {
  short: ['short'],
  long: ['long'],
};

/** Garment types, by slot. */
export const GARMENT_WORDS = {
  upperType: {
    't-shirt': ['t-shirt', 'tee shirt', 'tee'],
    jacket: ['jacket'],
    coat: ['long coat', 'overcoat', 'coat'],
    hoodie: ['hooded sweatshirt', 'hoodie'],
  },
  lowerType: {
    trousers: ['trousers', 'pants', 'jeans'],
    shorts: ['shorts'],
    skirt: ['skirt'],
  },
} as const satisfies Record<'upperType' | 'lowerType', Record<string, readonly string[]>>;

/** A garment on the upper body whose type the speaker does not give ("a red top"). */
export const GENERIC_UPPER_WORDS: readonly string[] = ['top'];

export const SHOE_WORDS: readonly string[] = ['shoes', 'sneakers', 'trainers'];

export const BAG_WORDS: Readonly<Record<Exclude<PersonAttributes['bag'], 'none'>, readonly string[]>> = {
  backpack: ['backpack', 'rucksack'],
  handbag: ['handbag', 'purse'],
  'shoulder bag': ['shoulder bag', 'messenger bag', 'satchel'],
};

/** A bag whose kind the speaker does not give ("a red bag"). */
export const GENERIC_BAG_WORDS: readonly string[] = ['bag'];

export const HAT_WORDS: readonly string[] = ['hat'];

export const GLASSES_WORDS: readonly string[] = ['sunglasses', 'dark glasses', 'glasses', 'shades'];

export const HELD_WORDS: Readonly<Record<Exclude<PersonAttributes['held'], 'none'>, readonly string[]>> = {
  umbrella: ['umbrella'],
  phone: ['mobile phone', 'phone'],
  bottle: ['water bottle', 'bottle'],
};

/** Every value's words per slot, for a parser that maps phrases back to slot values. */
export const SLOT_WORDS: Readonly<Partial<Record<DemoSlotKey, Readonly<Record<string, readonly string[]>>>>> = {
  gender: GENDER_WORDS,
  hairColour: HAIR_COLOUR_WORDS,
  hairLength: HAIR_LENGTH_WORDS,
  upperType: GARMENT_WORDS.upperType,
  upperColour: COLOUR_WORDS,
  lowerType: GARMENT_WORDS.lowerType,
  lowerColour: COLOUR_WORDS,
  shoeColour: COLOUR_WORDS,
  bag: BAG_WORDS,
  bagColour: COLOUR_WORDS,
  hatColour: COLOUR_WORDS,
  held: HELD_WORDS,
};
