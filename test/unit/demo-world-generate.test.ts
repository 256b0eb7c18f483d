import { describe, expect, it } from 'vitest';
import { DEMO_SLOTS, type DemoSlotKey, type PersonAttributes } from '../../src/demo/attributes.js';
import { fullCaption, vagueQueries, vagueQuery } from '../../src/demo/captions.js';
import { Rng, deriveSeed } from '../../src/demo/rng.js';
import {
  BAG_WORDS,
  COLOUR_WORDS,
  GARMENT_WORDS,
  GENDER_WORDS,
  GENERIC_BAG_WORDS,
  GENERIC_UPPER_WORDS,
  GLASSES_WORDS,
  HAIR_COLOUR_WORDS,
  HAT_WORDS,
  HELD_WORDS,
  SHOE_WORDS,
  SLOT_WORDS,
} from '../../src/demo/vocabulary.js';
import { generateWorld } from '../../src/demo/world.js';
import { isCtgiError } from '../../src/errors/ctgi-error.js';

const world = generateWorld({ identities: 300, seed: 5 });
const people = world.identities.map((i) => i.attributes);

/** True when `text` has one of `first` directly followed by one of `second` (as whole words). */
function hasPair(text: string, first: readonly string[], second: readonly string[]): boolean {
  const t = text.toLowerCase();
  return first.some((a) => second.some((b) => new RegExp(`\\b${a} ${b}\\b`).test(t)));
}

function hasWord(text: string, words: readonly string[]): boolean {
  return words.some((w) => new RegExp(`\\b${w}\\b`).test(text.toLowerCase()));
}

const ALL_COLOUR_WORDS = Object.values(COLOUR_WORDS).flat();
const ITEM_NOUNS = [
  ...Object.values(GARMENT_WORDS.upperType).flat(),
  ...GENERIC_UPPER_WORDS,
  ...Object.values(GARMENT_WORDS.lowerType).flat(),
  ...SHOE_WORDS,
  ...Object.values(BAG_WORDS).flat(),
  ...GENERIC_BAG_WORDS,
  ...HAT_WORDS,
  ...GLASSES_WORDS,
  ...Object.values(HELD_WORDS).flat(),
  'hair',
];

/** Counts the items (garments, accessories, hair) a query names, longest phrases first so "shoulder bag" counts once. */
function countItems(text: string): number {
  let rest = ` ${text.toLowerCase()} `;
  let count = 0;
  for (const noun of [...ITEM_NOUNS].sort((a, b) => b.length - a.length)) {
    const re = new RegExp(`\\b${noun}\\b`, 'g');
    const found = rest.match(re)?.length ?? 0;
    count += found;
    rest = rest.replace(re, ' ');
  }
  return count;
}

describe('generateWorld', () => {
  it('is deterministic per seed and a different seed changes the whole world', () => {
    const again = generateWorld({ identities: 300, seed: 5 });
    expect(JSON.stringify(again)).toBe(JSON.stringify(world));
    const other = generateWorld({ identities: 300, seed: 6 });
    const sameAttributes = other.identities.filter((p, i) => JSON.stringify(p.attributes) === JSON.stringify(people[i])).length;
    expect(sameAttributes).toBeLessThan(10);
    expect(other.identities[0].images[0].jitter).not.toEqual(world.identities[0].images[0].jitter);
  });

  it('numbers identities from 1 and gives each 2–4 images from distinct cameras', () => {
    expect(world.identities.map((i) => i.id)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    for (const identity of world.identities) {
      expect(identity.images.length).toBeGreaterThanOrEqual(2);
      expect(identity.images.length).toBeLessThanOrEqual(4);
      expect(new Set(identity.images.map((im) => im.camera)).size).toBe(identity.images.length);
      for (const [k, image] of identity.images.entries()) {
        expect(image.file).toBe(`images/${image.camera}/${String(identity.id).padStart(4, '0')}_${k + 1}.png`);
        expect(image.camera).toMatch(/^c[1-6]$/);
        expect(image.jitter.scale).toBeGreaterThanOrEqual(0.92);
        expect(image.jitter.scale).toBeLessThanOrEqual(1.08);
      }
      expect(identity.captions).toHaveLength(identity.images.length * 2);
      expect(new Set(identity.captions).size).toBe(identity.captions.length);
    }
  });

  it('keeps each identity the same whatever the world size', () => {
    const small = generateWorld({ identities: 20, seed: 5 });
    expect(JSON.stringify(small.identities)).toBe(JSON.stringify(world.identities.slice(0, 20)));
  });

  it('draws only valid attribute values, with colour slots set exactly when their item is there', () => {
    for (const p of people) {
      for (const s of DEMO_SLOTS) {
        const value = p[s.key];
        if (s.requires) {
          const present = p[s.requires.key as DemoSlotKey] !== s.requires.notValue;
          expect(value === null).toBe(!present);
          if (present) expect(s.values).toContain(value);
        } else {
          expect(s.values).toContain(value);
        }
      }
      if (p.upperType === 'coat') expect(p.lowerType).not.toBe('shorts');
      if (p.gender === 'man') expect(p.lowerType).not.toBe('skirt');
    }
  });

  it('samples street-like, non-uniform frequencies so vague queries stay ambiguous', () => {
    const share = (pred: (p: PersonAttributes) => boolean) => people.filter(pred).length / people.length;
    const trousers = people.filter((p) => p.lowerType === 'trousers');
    const darkTrousers = trousers.filter((p) => ['black', 'blue', 'grey'].includes(p.lowerColour)).length / trousers.length;
    expect(darkTrousers).toBeGreaterThan(0.6); // uniform over 11 colours would give 0.27
    expect(share((p) => p.gender === 'woman')).toBeGreaterThan(0.4);
    expect(share((p) => p.gender === 'woman')).toBeLessThan(0.6);
    const women = people.filter((p) => p.gender === 'woman');
    const men = people.filter((p) => p.gender === 'man');
    expect(women.filter((p) => p.hairLength === 'long').length / women.length).toBeGreaterThan(men.filter((p) => p.hairLength === 'long').length / men.length + 0.3);
    // Even a two-attribute description fits several people of a 300-person world.
    const menInBlackTops = share((p) => p.upperColour === 'black' && p.gender === 'man');
    expect(menInBlackTops * people.length).toBeGreaterThan(5);
  });

  it('refuses bad options with a sentence', () => {
    for (const options of [{ identities: 0 }, { identities: 2.5 }, { seed: 1.5 }, { imagesPerIdentity: [3, 2] as [number, number] }, { imagesPerIdentity: [1, 7] as [number, number] }]) {
      let caught: unknown;
      try {
        generateWorld(options);
      } catch (err) {
        caught = err;
      }
      expect(isCtgiError(caught, 'BAD_INPUT')).toBe(true);
    }
  });
});

describe('fullCaption', () => {
  it('mentions every visible attribute with the vocabulary words, and no absent item', () => {
    for (const identity of world.identities) {
      const p = identity.attributes;
      for (const caption of identity.captions) {
        expect(hasWord(caption, [...GENDER_WORDS[p.gender]])).toBe(true);
        expect(hasWord(caption, [...GENDER_WORDS[p.gender === 'man' ? 'woman' : 'man'], p.gender === 'man' ? 'she' : 'he'])).toBe(false);
        expect(hasPair(caption, [p.hairLength], HAIR_COLOUR_WORDS[p.hairColour].map((w) => `${w} hair`))).toBe(true);
        expect(hasPair(caption, COLOUR_WORDS[p.upperColour], GARMENT_WORDS.upperType[p.upperType])).toBe(true);
        expect(hasPair(caption, COLOUR_WORDS[p.lowerColour], GARMENT_WORDS.lowerType[p.lowerType])).toBe(true);
        expect(hasPair(caption, COLOUR_WORDS[p.shoeColour], SHOE_WORDS)).toBe(true);
        if (p.bag !== 'none') expect(hasPair(caption, COLOUR_WORDS[p.bagColour!], BAG_WORDS[p.bag])).toBe(true);
        else expect(hasWord(caption, [...Object.values(BAG_WORDS).flat(), 'bag'])).toBe(false);
        if (p.hat === 'yes') expect(hasPair(caption, COLOUR_WORDS[p.hatColour!], HAT_WORDS)).toBe(true);
        else expect(hasWord(caption, HAT_WORDS)).toBe(false);
        expect(hasWord(caption, GLASSES_WORDS)).toBe(p.glasses === 'yes');
        for (const [held, words] of Object.entries(HELD_WORDS)) expect(hasWord(caption, words)).toBe(p.held === held);
      }
    }
  });

  it('varies its phrasing', () => {
    const p = people[0];
    const rng = new Rng(3);
    const captions = new Set(Array.from({ length: 40 }, () => fullCaption(p, rng)));
    expect(captions.size).toBeGreaterThan(15);
    const openings = new Set([...captions].map((c) => c.split(' ').slice(0, 2).join(' ')));
    expect(openings.size).toBeGreaterThan(3);
  });
});

describe('vague queries', () => {
  it('name one or two items, all true of the person, and give 2–3 different ones per person', () => {
    for (const identity of world.identities) {
      const p = identity.attributes;
      expect(identity.vagueQueries.length).toBeGreaterThanOrEqual(2);
      expect(identity.vagueQueries.length).toBeLessThanOrEqual(3);
      expect(new Set(identity.vagueQueries).size).toBe(identity.vagueQueries.length);
      for (const q of identity.vagueQueries) {
        const items = countItems(q);
        expect(items, q).toBeGreaterThanOrEqual(1);
        expect(items, q).toBeLessThanOrEqual(2);
        // Any colour word stands right before an item of the person that has that colour.
        const t = q.toLowerCase();
        for (const colour of ALL_COLOUR_WORDS) {
          if (!new RegExp(`\\b${colour}\\b`).test(t)) continue;
          const owners = [p.upperColour, p.lowerColour, p.shoeColour, p.bagColour, p.hatColour, p.hairColour].filter((c) => c !== null);
          const known = owners.some((c) => (COLOUR_WORDS[c as keyof typeof COLOUR_WORDS] ?? HAIR_COLOUR_WORDS[c as keyof typeof HAIR_COLOUR_WORDS] ?? []).includes(colour));
          expect(known, `${q} / ${JSON.stringify(p)}`).toBe(true);
        }
        if (p.gender === 'man') expect(hasWord(q, ['woman', 'lady', 'female'])).toBe(false);
        else expect(hasWord(q, ['man', 'guy', 'gentleman', 'male'])).toBe(false);
      }
    }
  });

  it('report the slots they state, one or two items besides the gender', () => {
    const rng = new Rng(deriveSeed(9, 9));
    for (const p of people.slice(0, 100)) {
      const q = vagueQuery(p, rng);
      const nonGender = q.slots.filter((s) => s !== 'gender');
      expect(nonGender.length).toBeGreaterThanOrEqual(1);
      expect(nonGender.length).toBeLessThanOrEqual(4); // two items of at most two slots each ("a red backpack")
      for (const s of q.slots) expect(DEMO_SLOTS.map((x) => x.key)).toContain(s);
    }
    expect(vagueQueries(people[1], rng, 3).length).toBe(3);
  });

  it('use varied witness phrasing across the world', () => {
    const all = world.identities.flatMap((i) => i.vagueQueries);
    for (const word of ['guy', 'woman', 'lady', 'man', 'wearing', ' in ', 'with']) expect(all.some((q) => q.includes(word)), word).toBe(true);
    expect(new Set(all).size).toBeGreaterThan(all.length * 0.6);
  });
});

describe('vocabulary', () => {
  it('has words for every value of every named slot', () => {
    for (const s of DEMO_SLOTS) {
      const words = SLOT_WORDS[s.key];
      if (!words) continue;
      for (const value of s.values) {
        if (['none', 'no'].includes(value)) continue;
        expect(words[value]?.length, `${s.key}=${value}`).toBeGreaterThan(0);
      }
    }
  });
});
