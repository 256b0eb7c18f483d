import { describe, expect, it } from 'vitest';
import { SLOTS, type AttributeEvidence } from '../../src/attributes/vocabulary.js';
import { MTG_REFINEMENT_QUESTIONS } from '../../src/mllm/prompts.js';
import { DEFAULT_MTG_PROMPTS } from '../../src/mtg/mtg-prompts.js';
import { buildQuestionPool, CONTEXT_QUESTION_WEIGHT, isOpen, nextQuestion, questionValue } from '../../src/mtg/question-pool.js';

const pool = buildQuestionPool(DEFAULT_MTG_PROMPTS);

/** Asks questions until the pool has nothing left for `known`, returning their texts in order. */
function drain(known: AttributeEvidence): string[] {
  const asked = new Set<string>();
  const order: string[] = [];
  for (let q = nextQuestion(pool, known, asked); q; q = nextQuestion(pool, known, asked)) {
    asked.add(q.text);
    order.push(q.text);
  }
  return order;
}

describe('the MTG question pool', () => {
  it("holds the paper's six D.1 questions first, then one template per attribute slot", () => {
    expect(pool.slice(0, 6).map((q) => q.text)).toEqual([...MTG_REFINEMENT_QUESTIONS]);
    expect(pool.slice(0, 6).every((q) => q.source === 'paper')).toBe(true);
    expect(pool.slice(6).map((q) => q.text)).toEqual(SLOTS.map((s) => s.question));
    expect(pool.find((q) => q.text.startsWith('Is the person wearing any accessories'))?.slots).toEqual(['hat', 'bag', 'glasses']);
    expect(pool.find((q) => q.text.startsWith('What is the background'))?.slots).toEqual([]);
  });

  it('marks questions from a user file as such and drops repeats', () => {
    const own = buildQuestionPool({ questions: ['Is the person wearing glasses?', 'What is the person holding?'], attributeQuestions: true });
    expect(own[0]).toMatchObject({ text: 'Is the person wearing glasses?', source: 'user', slots: ['glasses'] });
    // The glasses template is the same text as the user's question, so it appears once.
    expect(own.filter((q) => q.text === 'Is the person wearing glasses?')).toHaveLength(1);
    expect(buildQuestionPool({ questions: ['What is the person holding?'], attributeQuestions: false })).toHaveLength(1);
  });

  it('asks about the heaviest unknown attributes first and context questions last', () => {
    const order = drain({});
    // Accessories (hat 0.7 + bag 1.0 + glasses 0.5 = 2.2), then the pants question (type 0.8 + colour 1.2),
    // then the upper colour (1.4).
    expect(order.slice(0, 3)).toEqual([
      'Is the person wearing any accessories (e.g., hat, bag, glasses)?',
      'What type of pants is the person wearing?',
      "What color is the person's upper body clothing?",
    ]);
    expect(order.slice(-2)).toEqual(['What is the background or scene context of the image?', 'Is the person performing any action?']);
  });

  it('skips attributes the caption already states', () => {
    const known: AttributeEvidence = { gender: { man: 1 }, upperColour: { red: 1 }, upperType: { jacket: 1 }, bag: { backpack: 1 } };
    const order = drain(known);
    expect(order).not.toContain("What color is the person's upper body clothing?");
    expect(order).not.toContain("What colour is the person's upper body clothing?");
    expect(order).not.toContain('Is the person a man or a woman?');
    expect(order).not.toContain('What kind of top is the person wearing?');
    // A known bag opens its colour.
    expect(order).toContain('What colour is the bag?');
  });

  it('asks a dependent attribute only once its precondition is known to hold', () => {
    expect(isOpen({}, 'bagColour')).toBe(false);
    expect(isOpen({ bag: { none: 1 } }, 'bagColour')).toBe(false);
    expect(isOpen({ bag: { handbag: 0.9 } }, 'bagColour')).toBe(true);
    // Soft evidence (below the decisive 0.5) does not count as known.
    expect(isOpen({ gender: { man: 0.4, woman: 0.6 } }, 'gender')).toBe(false);
    expect(isOpen({ gender: { man: 0.45, woman: 0.45 } }, 'gender')).toBe(true);
  });

  it('values a question by the weight of its open slots', () => {
    const accessories = pool.find((q) => q.slots.length === 3)!;
    expect(questionValue(accessories, {})).toBeCloseTo(0.7 + 1.0 + 0.5);
    expect(questionValue(accessories, { hat: { no: 1 }, bag: { none: 1 } })).toBeCloseTo(0.5);
    expect(questionValue(pool.find((q) => q.slots.length === 0)!, {})).toBe(CONTEXT_QUESTION_WEIGHT);
  });

  it('runs out when everything is known and the context questions were asked', () => {
    const all: AttributeEvidence = Object.fromEntries(SLOTS.map((s) => [s.key, { [s.values[1] ?? s.values[0]]: 1 }]));
    expect(drain(all)).toEqual(['What is the background or scene context of the image?', 'Is the person performing any action?']);
  });
});
