import type { Colour, HairColour, PersonAttributes } from './attributes.js';
import type { Rng } from './rng.js';

// Street-like frequencies rather than uniform ones: dark trousers, black bags and white shoes are common,
// so "a man in black trousers" matches many people and a vague query stays ambiguous.

type Weights<K extends string> = Readonly<Partial<Record<K, number>>>;

const HAIR_COLOURS: Weights<HairColour> = { black: 45, brown: 30, blonde: 12, grey: 8, red: 5 };

const UPPER_TYPES: Weights<PersonAttributes['upperType']> = { 't-shirt': 32, jacket: 30, coat: 16, hoodie: 22 };

const UPPER_COLOURS: Readonly<Record<'man' | 'woman', Weights<Colour>>> = {
  man: { black: 18, white: 14, grey: 13, blue: 13, red: 8, green: 7, yellow: 5, brown: 7, pink: 2, purple: 3, orange: 5 },
  woman: { black: 15, white: 14, grey: 10, blue: 10, red: 10, green: 6, yellow: 6, brown: 6, pink: 10, purple: 7, orange: 5 },
};

const LOWER_TYPES: Readonly<Record<'man' | 'woman', Weights<PersonAttributes['lowerType']>>> = {
  man: { trousers: 78, shorts: 22 },
  woman: { trousers: 50, shorts: 14, skirt: 36 },
};

const LOWER_COLOURS: Readonly<Record<PersonAttributes['lowerType'], Weights<Colour>>> = {
  trousers: { black: 30, blue: 28, grey: 15, brown: 8, white: 5, green: 4, red: 2, yellow: 1, pink: 1, purple: 2, orange: 1 },
  shorts: { black: 18, blue: 22, grey: 14, brown: 10, white: 10, green: 8, red: 6, yellow: 4, pink: 2, purple: 2, orange: 4 },
  skirt: { black: 24, blue: 12, grey: 10, brown: 6, white: 10, green: 6, red: 10, yellow: 5, pink: 9, purple: 6, orange: 2 },
};

const SHOE_WEIGHTS: Weights<PersonAttributes['shoeColour']> = { black: 35, white: 30, brown: 15, grey: 10, red: 5, blue: 5 };

const BAGS: Readonly<Record<'man' | 'woman', Weights<PersonAttributes['bag']>>> = {
  man: { none: 42, backpack: 36, handbag: 4, 'shoulder bag': 18 },
  woman: { none: 28, backpack: 26, handbag: 28, 'shoulder bag': 18 },
};

const BAG_COLOURS: Weights<Colour> = { black: 36, brown: 16, grey: 10, blue: 9, red: 8, green: 4, white: 5, yellow: 3, pink: 4, purple: 2, orange: 3 };

const HAT_COLOURS: Weights<Colour> = { black: 30, grey: 12, blue: 12, red: 10, white: 10, brown: 8, green: 6, yellow: 4, pink: 3, purple: 2, orange: 3 };

const HELD: Weights<PersonAttributes['held']> = { none: 60, phone: 16, umbrella: 11, bottle: 13 };

/** Draws one person's attributes with street-like frequencies (a coat is never worn with shorts). */
export function sampleAttributes(rng: Rng): PersonAttributes {
  const gender = rng.chance(0.5) ? 'man' : 'woman';
  const hairColour = rng.weighted(HAIR_COLOURS);
  const hairLength = rng.chance(gender === 'woman' ? 0.7 : 0.1) ? 'long' : 'short';
  const upperType = rng.weighted(UPPER_TYPES);
  const upperColour = rng.weighted(UPPER_COLOURS[gender]);
  let lowerType = rng.weighted(LOWER_TYPES[gender]);
  if (upperType === 'coat' && lowerType === 'shorts') lowerType = 'trousers';
  const lowerColour = rng.weighted(LOWER_COLOURS[lowerType]);
  const shoeColour = rng.weighted(SHOE_WEIGHTS);
  const bag = rng.weighted(BAGS[gender]);
  const bagColour = bag === 'none' ? null : rng.weighted(BAG_COLOURS);
  const hat = rng.chance(0.2) ? 'yes' : 'no';
  const hatColour = hat === 'yes' ? rng.weighted(HAT_COLOURS) : null;
  const glasses = rng.chance(0.22) ? 'yes' : 'no';
  const held = rng.weighted(HELD);
  return { gender, hairColour, hairLength, upperType, upperColour, lowerType, lowerColour, shoeColour, bag, bagColour, hat, hatColour, glasses, held };
}
