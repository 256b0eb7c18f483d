import { describe, expect, it } from 'vitest';
import { sampleAttributes } from '../../../src/demo/attribute-sampling.js';
import { DEMO_SLOTS, type AttributeEvidence, type DemoSlotKey, type PersonAttributes } from '../../../src/demo/attributes.js';
import { SLOTS, type SlotKey } from '../../../src/attributes/vocabulary.js';
import { fullCaption, vagueQueries } from '../../../src/demo/captions.js';
import { Rng } from '../../../src/demo/rng.js';
import { parseDescription } from '../../../src/attributes/description-parser.js';

/** The most likely value per slot (what the text "says"), for compact assertions. */
function said(text: string): Partial<Record<SlotKey, string>> {
  return argmaxes(parseDescription(text));
}

function argmaxes(e: AttributeEvidence): Partial<Record<SlotKey, string>> {
  const out: Partial<Record<SlotKey, string>> = {};
  for (const [key, probs] of Object.entries(e)) {
    const best = Object.entries(probs ?? {}).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))[0];
    if (best) out[key as SlotKey] = best[0];
  }
  return out;
}

describe('parseDescription', () => {
  it('reads the brief’s example exactly', () => {
    expect(parseDescription('guy in a red jacket with a black backpack')).toEqual({
      gender: { man: 1 },
      upperType: { jacket: 1 },
      // A jacket implies long sleeves, without saying so outright.
      sleeveLength: { long: 0.95, short: expect.closeTo(0.05, 9) },
      upperColour: { red: 1 },
      bag: { backpack: 1 },
      bagColour: { black: 1 },
    });
  });

  it('returns probability distributions over each slot’s own values', () => {
    const e = parseDescription('a lady with a dark top, maybe a bag, long hair, jeans and white sneakers, holding something');
    for (const [key, probs] of Object.entries(e)) {
      const values = SLOTS.find((s) => s.key === key)!.values;
      const sum = Object.values(probs!).reduce((a, b) => a! + b!, 0)!;
      expect(sum).toBeCloseTo(1, 6);
      for (const v of Object.keys(probs!)) expect(values).toContain(v);
    }
  });

  it('says nothing about slots the text does not mention', () => {
    expect(parseDescription('a person')).toEqual({});
    expect(parseDescription('')).toEqual({});
    expect(Object.keys(parseDescription('a woman'))).toEqual(['gender']);
  });

  it.each([
    ['a man', 'man'], ['the guy', 'man'], ['a male pedestrian', 'man'], ['an elderly gentleman', 'man'], ['he walks', 'man'],
    ['a woman', 'woman'], ['a lady', 'woman'], ['a girl', 'woman'], ['a female', 'woman'], ['she walks', 'woman'],
  ])('reads gender from %j', (text, gender) => {
    expect(said(text).gender).toBe(gender);
  });

  it.each([
    ['a jacket', 'jacket'], ['a long coat', 'coat'], ['a hoodie', 'hoodie'], ['a grey hooded top', 'hoodie'], ['a t-shirt', 't-shirt'],
    ['a T shirt', 't-shirt'], ['a tee', 't-shirt'], ['a blazer', 'jacket'], ['a parka', 'coat'], ['short-sleeved top', 't-shirt'],
  ])('reads the upper garment type from %j', (text, type) => {
    expect(said(text).upperType).toBe(type);
  });

  it.each([
    ['trousers', 'trousers'], ['pants', 'trousers'], ['jeans', 'trousers'], ['shorts', 'shorts'], ['a skirt', 'skirt'], ['a dress', 'dress'],
  ])('reads the lower garment type from %j', (text, type) => {
    expect(said(text).lowerType).toBe(type);
  });

  it.each([
    ['a backpack', 'backpack'], ['a rucksack', 'backpack'], ['a handbag', 'handbag'], ['a purse', 'handbag'], ['a shoulder bag', 'shoulder bag'],
    ['a messenger bag', 'shoulder bag'], ['a bag on her back', 'backpack'], ['a bag over his shoulder', 'shoulder bag'], ['a bag in her hand', 'handbag'],
  ])('reads the bag type from %j', (text, bag) => {
    expect(said(text).bag).toBe(bag);
  });

  it('spreads a plain "bag" over the bag types, never onto "none"', () => {
    const bag = parseDescription('a bag').bag!;
    expect(bag.none ?? 0).toBe(0);
    expect(bag.backpack).toBeCloseTo(1 / 3, 6);
    expect(bag.handbag).toBeCloseTo(1 / 3, 6);
  });

  it.each([
    ['a cap', 'hat', 'yes'], ['a beanie', 'hat', 'yes'], ['sunglasses', 'glasses', 'yes'], ['spectacles', 'glasses', 'yes'],
    ['an umbrella', 'held', 'umbrella'], ['talking on a mobile phone', 'held', 'phone'], ['a water bottle', 'held', 'bottle'],
  ])('reads accessories and held objects from %j', (text, key, value) => {
    expect(said(text)[key as SlotKey]).toBe(value);
  });

  it('attaches colours to the garment that follows them', () => {
    expect(said('a red jacket, blue trousers and white shoes, a black cap')).toMatchObject({
      upperColour: 'red', lowerColour: 'blue', shoeColour: 'white', hatColour: 'black', hat: 'yes',
    });
    expect(said('a man in red with a black backpack')).toMatchObject({ upperColour: 'red', bagColour: 'black' });
  });

  it('attaches colours after "is", ":" and "in" to the garment before them', () => {
    expect(said('a jacket that is red and blue jeans')).toMatchObject({ upperColour: 'red', lowerColour: 'blue' });
    expect(said('His jacket is green and his trousers are black.')).toMatchObject({ upperColour: 'green', lowerColour: 'black' });
    expect(said('hair: long blonde')).toEqual({ hairLength: 'long', hairColour: 'blonde' });
    expect(said('a coat in purple')).toMatchObject({ upperType: 'coat', upperColour: 'purple' });
  });

  it('reads hair length and colour', () => {
    expect(said('long blonde hair')).toEqual({ hairLength: 'long', hairColour: 'blonde' });
    expect(said('short dark hair')).toMatchObject({ hairLength: 'short', hairColour: 'black' });
    expect(said('a grey-haired man')).toMatchObject({ hairColour: 'grey', gender: 'man' });
    expect(said('a brunette with a ponytail')).toEqual({ hairColour: 'brown', hairLength: 'long' });
    expect(said('a blonde in a red jacket')).toEqual({ hairColour: 'blonde', upperType: 'jacket', sleeveLength: 'long', upperColour: 'red' });
  });

  it('reads negations as "none" / "no"', () => {
    expect(parseDescription('no bag, without glasses, not wearing a hat')).toEqual({ bag: { none: 1 }, glasses: { no: 1 }, hat: { no: 1 } });
    expect(said("He isn't wearing glasses and has no hat.")).toEqual({ gender: 'man', glasses: 'no', hat: 'no' });
    expect(said('not holding anything')).toEqual({ held: 'none' });
    expect(said('empty-handed')).toEqual({ held: 'none' });
    expect(said('bag: none; glasses: no')).toEqual({ bag: 'none', glasses: 'no' });
  });

  it('keeps a negation inside its clause', () => {
    expect(said('no hat, but a red backpack')).toEqual({ hat: 'no', bag: 'backpack', bagColour: 'red' });
    expect(said('no bag and sunglasses')).toEqual({ bag: 'none', glasses: 'yes' });
    expect(said('without a hat or glasses')).toEqual({ hat: 'no', glasses: 'no' });
  });

  it('says nothing about what the witness is unsure of', () => {
    expect(parseDescription("I don't know what colour her bag was")).toEqual({});
    expect(said("not sure about the bag. He wore a grey hoodie")).toEqual({ gender: 'man', upperType: 'hoodie', sleeveLength: 'long', upperColour: 'grey' });
  });

  it('maps colour variants onto the palette', () => {
    expect(said('a gray coat').upperColour).toBe('grey');
    expect(said('a navy jacket').upperColour).toBe('blue');
    expect(said('a dark blue jacket').upperColour).toBe('blue');
    expect(said('a crimson top').upperColour).toBe('red');
    expect(said('a violet skirt').lowerColour).toBe('purple');
  });

  it('gives soft evidence for vague words', () => {
    const top = parseDescription('a top').upperType!;
    expect(Object.keys(top).sort()).toEqual(['coat', 'hoodie', 'jacket', 't-shirt']);
    expect(top.coat).toBeLessThan(top['t-shirt']!);
    expect(Math.max(...Object.values(top).map(Number))).toBeLessThan(0.5);
    const dark = parseDescription('dark trousers').lowerColour!;
    expect(dark.black).toBeGreaterThan(0.5);
    expect(dark.black).toBeLessThan(1);
    expect(dark.blue ?? 0).toBeGreaterThan(0);
    const hedged = parseDescription('maybe a red jacket').upperColour!;
    expect(hedged.red).toBeGreaterThan(0.4);
    expect(hedged.red).toBeLessThan(0.9);
    expect(parseDescription('a reddish jacket').upperColour!.red).toBeLessThan(0.9);
  });

  it('reads jeans without a colour as blue', () => {
    expect(said('jeans').lowerColour).toBe('blue');
    expect(said('black jeans').lowerColour).toBe('black');
  });

  it('colours both top and bottom for "all in black" and a dress', () => {
    expect(said('dressed all in black')).toEqual({ upperColour: 'black', lowerColour: 'black' });
    expect(said('a woman in a red dress')).toEqual({ gender: 'woman', upperColour: 'red', lowerType: 'dress', lowerColour: 'red' });
  });

  it('reads a bare colour as the top, less surely', () => {
    const e = parseDescription('a man in red');
    expect(said('a man in red')).toEqual({ gender: 'man', upperColour: 'red' });
    expect(e.upperColour!.red).toBeLessThan(1);
  });

  it('treats text inside the description as data, never breaking on odd input', () => {
    expect(() => parseDescription('"}]); DROP TABLE people; -- ignore previous instructions')).not.toThrow();
    expect(() => parseDescription('🙂 ### \u0000 ::: ,,, ...')).not.toThrow();
    expect(parseDescription('x'.repeat(10_000))).toEqual({});
  });
});

describe('parseDescription on the demo world’s own captions and witness queries', () => {
  /** Per stated slot, the share of texts whose most likely value is the ground truth. */
  function accuracy(texts: Array<{ text: string; person: PersonAttributes; slots: DemoSlotKey[] }>): Map<DemoSlotKey, number> {
    const counts = new Map<DemoSlotKey, [number, number]>();
    for (const { text, person, slots } of texts) {
      const got = said(text);
      for (const key of slots) {
        const c = counts.get(key) ?? [0, 0];
        c[1]++;
        if (got[key] === person[key]) c[0]++;
        counts.set(key, c);
      }
    }
    return new Map([...counts].map(([k, [right, total]]) => [k, right / total]));
  }

  function stated(p: PersonAttributes): DemoSlotKey[] {
    const keys: DemoSlotKey[] = ['gender', 'hairColour', 'hairLength', 'upperType', 'upperColour', 'lowerType', 'lowerColour', 'shoeColour'];
    if (p.bag !== 'none') keys.push('bag', 'bagColour');
    if (p.hat === 'yes') keys.push('hat', 'hatColour');
    if (p.glasses === 'yes') keys.push('glasses');
    if (p.held !== 'none') keys.push('held');
    return keys;
  }

  const rng = new Rng(4242);
  const people = Array.from({ length: 300 }, () => sampleAttributes(rng));

  it('reads every attribute of the full captions', () => {
    const acc = accuracy(people.map((person) => ({ text: fullCaption(person, rng), person, slots: stated(person) })));
    expect(acc.size).toBe(DEMO_SLOTS.length);
    // Slots read right in under 98% of captions (none expected).
    expect(Object.fromEntries([...acc].filter(([, a]) => a < 0.98))).toEqual({});
  });

  it('reads the attributes each vague query states', () => {
    const acc = accuracy(people.flatMap((person) => vagueQueries(person, rng, 3).map((q) => ({ text: q.text, person, slots: q.slots }))));
    expect(acc.size).toBeGreaterThanOrEqual(12);
    expect(Object.fromEntries([...acc].filter(([, a]) => a < 0.98))).toEqual({});
  });
});
