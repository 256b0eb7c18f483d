import { describe, expect, it } from 'vitest';
import { certainEvidence, DEMO_SLOTS, type AttributeEvidence, type PersonAttributes } from '../../src/demo/attributes.js';
import type { SlotKey } from '../../src/attributes/vocabulary.js';
import { answerMatch, answerQuestion, mergeDescription, proposeFollowUps, type Chance } from '../../src/demo/demo-mllm-answers.js';
import { describeEvidence } from '../../src/attributes/phrasing.js';
import { interpretAnswer } from '../../src/attributes/answer-reading.js';
import { questionSlots } from '../../src/attributes/question-slots.js';
import { parseDescription } from '../../src/attributes/description-parser.js';
import { MTG_REFINEMENT_QUESTIONS } from '../../src/mllm/prompts.js';
import { mulberry32 } from '../../src/util/prng.js';

const NEVER: Chance = { wrong: () => false, pick: (items) => items[0] };
const ALWAYS: Chance = { wrong: () => true, pick: (items) => items[items.length - 1] };

/** Uniformly random attributes over the schema (independent of the world generator's frequencies). */
function randomPeople(n: number, seed: number): PersonAttributes[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const a = Object.fromEntries(DEMO_SLOTS.map((s) => [s.key, s.values[Math.floor(random() * s.values.length)]])) as unknown as PersonAttributes;
    if (a.bag === 'none') a.bagColour = null;
    if (a.hat === 'no') a.hatColour = null;
    return a;
  });
}

function top(e: AttributeEvidence, key: SlotKey): string | undefined {
  return Object.entries(e[key] ?? {}).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))[0]?.[0];
}

describe('questionSlots', () => {
  it.each(DEMO_SLOTS.map((s) => [s.question, s.key] as const))('%j asks about %s first', (question, key) => {
    expect(questionSlots(question)[0]).toBe(key);
  });

  it('maps the paper’s MTG question pool where the demo world has the attribute', () => {
    expect(MTG_REFINEMENT_QUESTIONS.map((q) => questionSlots(q)[0])).toEqual(['upperColour', 'lowerType', 'held', 'hat', undefined, undefined]);
  });
});

describe('interpretAnswer', () => {
  it.each([
    ['What colour is the bag?', 'Black.', { bagColour: 'black' }],
    ["What colour is the person's upper body clothing?", 'Red.', { upperColour: 'red' }],
    ["What colour is the person's lower body clothing?", 'Dark blue.', { lowerColour: 'blue' }],
    ["What colour are the person's shoes?", 'White', { shoeColour: 'white' }],
    ["What colour is the person's hair?", 'Blonde.', { hairColour: 'blonde' }],
    ["Is the person's hair short or long?", 'Long.', { hairLength: 'long' }],
    ['Is the person wearing a hat?', 'No.', { hat: 'no' }],
    ['Is the person wearing glasses?', 'Yes', { glasses: 'yes' }],
    ['Is the person carrying a bag? What kind?', 'Yes, a black backpack.', { bag: 'backpack', bagColour: 'black' }],
    ['Is the person carrying a bag? What kind?', 'No.', { bag: 'none' }],
    ['Is the person holding anything in their hands?', 'No, nothing.', { held: 'none' }],
    ['Is the person holding anything in their hands?', 'An umbrella.', { held: 'umbrella' }],
    ['Is the person a man or a woman?', 'A woman.', { gender: 'woman' }],
    ['What kind of top is the person wearing?', 'A hoodie.', { upperType: 'hoodie', sleeveLength: 'long' }],
  ])('%j answered %j', (question, answer, expected) => {
    const e = interpretAnswer(question, answer);
    const got = Object.fromEntries(Object.keys(e).map((k) => [k, top(e, k as SlotKey)]));
    expect(got).toEqual(expected);
  });

  it('reads nothing from "don\'t know" answers', () => {
    expect(interpretAnswer('What colour is the bag?', "I don't know.")).toEqual({});
    expect(interpretAnswer('Is the person wearing a hat?', 'No idea')).toEqual({});
    expect(interpretAnswer('Is the person wearing a hat?', "I can't tell.")).toEqual({});
  });
});

describe('describeEvidence', () => {
  it('writes descriptions that parse back to every attribute', () => {
    for (const person of randomPeople(300, 11)) {
      const text = describeEvidence(certainEvidence(person));
      const back = parseDescription(text);
      for (const s of DEMO_SLOTS) expect([s.key, top(back, s.key)]).toEqual([s.key, person[s.key] ?? undefined]);
    }
  });

  it('leaves out what the evidence does not settle', () => {
    expect(describeEvidence({})).toBe('A person.');
    expect(describeEvidence(parseDescription('a top'))).toBe('A person, wearing a top.');
  });
});

describe('answers from image evidence', () => {
  const people = randomPeople(60, 5);

  it('answer every DEMO_SLOTS question so that the answer reads back as the truth', () => {
    for (const person of people) {
      const image = certainEvidence(person);
      for (const s of DEMO_SLOTS) {
        if (person[s.key] === null) continue;
        const answer = answerQuestion(s.question, image, NEVER);
        expect([s.key, answer, top(interpretAnswer(s.question, answer), s.key)]).toEqual([s.key, answer, person[s.key]]);
      }
    }
  });

  it('say "I can\'t tell" when the evidence is weak or the question is outside the world', () => {
    expect(answerQuestion('What colour is the bag?', { bagColour: { black: 0.3, brown: 0.3, grey: 0.4 } }, NEVER)).toBe("I can't tell.");
    expect(answerQuestion('What brand are the shoes?', certainEvidence(people[0]), NEVER)).toBe("I can't tell.");
  });

  it('answer yes to a description of the same person and no when a stated attribute differs', () => {
    for (const person of people) {
      const image = certainEvidence(person);
      expect(answerMatch(describeEvidence(image), image, NEVER)).toBe('Yes.');
      const otherColour = DEMO_SLOTS.find((s) => s.key === 'upperColour')!.values.find((c) => c !== person.upperColour)!;
      expect(answerMatch(`a person in a ${otherColour} ${person.upperType}`, image, NEVER)).toBe('No.');
    }
  });

  it('give the wrong answer when the draw says so', () => {
    const image = certainEvidence(people[0]);
    expect(answerMatch(describeEvidence(image), image, ALWAYS)).toBe('No.');
    const wrong = answerQuestion("What colour is the person's upper body clothing?", image, ALWAYS);
    expect(top(parseDescription(wrong), 'upperColour')).not.toBe(people[0].upperColour);
  });
});

describe('proposeFollowUps', () => {
  it('asks numbered questions only about what the query leaves open', () => {
    const list = proposeFollowUps('a man in a red jacket', undefined, 4);
    const lines = list.split('\n');
    expect(lines).toHaveLength(4);
    lines.forEach((line, i) => expect(line.startsWith(`${i + 1}. `)).toBe(true));
    const asked = lines.map((l) => questionSlots(l.replace(/^\d+\. /, ''))[0]);
    for (const key of ['gender', 'upperColour', 'upperType'] as const) expect(asked).not.toContain(key);
    expect(asked).toContain('bag');
  });

  it('does not ask the bag colour of someone without a bag', () => {
    const list = proposeFollowUps('a woman with no bag', undefined, 10);
    expect(list).not.toContain('What colour is the bag?');
  });
});

describe('mergeDescription', () => {
  it('folds answers into the description, answers overriding it', () => {
    const merged = mergeDescription('a man in a red jacket with a backpack', [
      { question: "What colour is the person's upper body clothing?", answer: 'Blue.' },
      { question: 'What colour is the bag?', answer: 'Black.' },
      { question: 'Is the person wearing a hat?', answer: 'No.' },
      { question: 'Is the person carrying a bag? What kind?', answer: 'Yes.' },
      { question: 'What colour are the shoes?', answer: "I don't know." },
    ]);
    const e = parseDescription(merged);
    expect(Object.fromEntries(Object.keys(e).map((k) => [k, top(e, k as SlotKey)]))).toEqual({
      gender: 'man', upperType: 'jacket', sleeveLength: 'long', upperColour: 'blue', bag: 'backpack', bagColour: 'black', hat: 'no',
    });
  });
});
