import { describe, expect, it } from 'vitest';
import { DEMO_SLOTS, type PersonAttributes, type DemoSlotKey } from '../../src/demo/attributes.js';
import { DONT_KNOW, WitnessSimulator } from '../../src/demo/witness-simulator.js';

const target: PersonAttributes = {
  gender: 'woman',
  hairColour: 'blonde',
  hairLength: 'long',
  upperType: 'hoodie',
  upperColour: 'red',
  lowerType: 'skirt',
  lowerColour: 'black',
  shoeColour: 'white',
  bag: 'backpack',
  bagColour: 'blue',
  hat: 'no',
  hatColour: null,
  glasses: 'yes',
  held: 'umbrella',
};

/** Binomial tolerance: four standard deviations of a share p over n draws. */
const tolerance = (p: number, n: number) => 4 * Math.sqrt((p * (1 - p)) / n);

describe('WitnessSimulator.answer', () => {
  it("says I don't know, errs and tells the truth at the configured rates over 5,000 answers", () => {
    const n = 5000;
    const witness = new WitnessSimulator(target, { dontKnowRate: 0.2, errorRate: 0.1, seed: 7 });
    let dontKnow = 0;
    let wrong = 0;
    let right = 0;
    for (let i = 0; i < n; i++) {
      const answer = witness.answer({ slot: 'upperColour', text: '' });
      if (answer === DONT_KNOW) dontKnow++;
      else if (answer === 'red') right++;
      else {
        expect(DEMO_SLOTS.find((s) => s.key === 'upperColour')!.values).toContain(answer);
        wrong++;
      }
    }
    expect(Math.abs(dontKnow / n - 0.2)).toBeLessThan(tolerance(0.2, n));
    expect(Math.abs(wrong / n - 0.1)).toBeLessThan(tolerance(0.1, n));
    expect(Math.abs(right / n - 0.7)).toBeLessThan(tolerance(0.7, n));
  });

  it('spreads its errors over the other values of the slot', () => {
    const witness = new WitnessSimulator(target, { dontKnowRate: 0, errorRate: 1, seed: 3 });
    const answers = new Set(Array.from({ length: 400 }, () => witness.answer({ slot: 'upperColour', text: '' })));
    expect(answers.has('red')).toBe(false);
    expect(answers.size).toBe(10);
  });

  it('always tells the truth with zero rates, for every slot', () => {
    const witness = new WitnessSimulator(target, { dontKnowRate: 0, errorRate: 0 });
    const expected: Partial<Record<DemoSlotKey, string>> = {
      gender: 'woman',
      hairColour: 'blonde',
      upperType: 'hoodie',
      lowerType: 'skirt',
      bag: 'backpack',
      bagColour: 'blue',
      hat: 'no',
      glasses: 'yes',
      held: 'umbrella',
    };
    for (const [key, value] of Object.entries(expected)) expect(witness.answer({ slot: key as DemoSlotKey, text: '' })).toBe(value);
    expect(witness.answer({ slot: 'hatColour', text: '' })).toMatch(/no hat/i);
  });

  it('is deterministic per seed', () => {
    const run = (seed: number) => {
      const witness = new WitnessSimulator(target, { seed });
      return DEMO_SLOTS.flatMap((s) => [0, 1, 2].map(() => witness.answer({ slot: s.key, text: s.question })));
    };
    expect(run(11)).toEqual(run(11));
    expect(run(11)).not.toEqual(run(12));
  });

  it('phrases the answer as one of the offered options', () => {
    const witness = new WitnessSimulator(target, { dontKnowRate: 0, errorRate: 0 });
    expect(witness.answer({ slot: 'upperType', text: '', options: ['A T-shirt', 'A jacket', 'A coat', 'A hooded sweatshirt'] })).toBe('A hooded sweatshirt');
    expect(witness.answer({ slot: 'gender', text: '', options: ['A man', 'A woman'] })).toBe('A woman');
    expect(witness.answer({ slot: 'upperColour', text: '', options: ['Blue', 'Red', 'Green'] })).toBe('Red');
    // No option fits: the value in plain words.
    expect(witness.answer({ slot: 'upperColour', text: '', options: ['Blue', 'Green'] })).toBe('red');
  });

  it('finds the slot of a free-text question by keywords, and does not know otherwise', () => {
    const witness = new WitnessSimulator(target, { dontKnowRate: 0, errorRate: 0 });
    expect(witness.answer({ text: "What colour is the person's hair?" })).toBe('blonde');
    expect(witness.answer({ text: 'What was the weather like?' })).toBe(DONT_KNOW);
  });

  it('refuses impossible rates', () => {
    expect(() => new WitnessSimulator(target, { dontKnowRate: 1.2 })).toThrow(RangeError);
    expect(() => new WitnessSimulator(target, { dontKnowRate: 0.7, errorRate: 0.4 })).toThrow(RangeError);
  });
});

describe('WitnessSimulator.pickFromGallery', () => {
  const gallery = [
    { rank: 1, identity: 40 },
    { rank: 2, identity: 7 },
    { rank: 3, identity: 12 },
  ];

  it('names the rank of the target when shown, and stays silent when not', () => {
    const witness = new WitnessSimulator(target, { missRate: 0 });
    expect(witness.pickFromGallery(gallery, 7)).toBe('#2 is them');
    expect(witness.pickFromGallery(gallery, 99)).toBeNull();
  });

  it('misses a shown target at the configured rate', () => {
    const n = 5000;
    const witness = new WitnessSimulator(target, { missRate: 0.1, seed: 5 });
    let missed = 0;
    for (let i = 0; i < n; i++) if (witness.pickFromGallery(gallery, 12) === null) missed++;
    expect(Math.abs(missed / n - 0.1)).toBeLessThan(tolerance(0.1, n));
  });
});
