import { describe, expect, it } from 'vitest';
import type { AttributeEvidence, DemoSlotKey } from '../../src/demo/attributes.js';
import { questionKey, routeQuestions, selectQuestions, slotGain, type RankedQuestion } from '../../agent/core/question-selection.js';

const uniform4 = new Map([['a', 1], ['b', 1], ['c', 1], ['d', 1]]);
const evidence = new Map<string, AttributeEvidence>([
  ['a', { gender: { man: 1 }, glasses: { no: 1 }, bag: { none: 1 }, bagColour: { black: 1 } }],
  ['b', { gender: { man: 1 }, glasses: { no: 1 }, bag: { backpack: 1 }, bagColour: { black: 1 } }],
  ['c', { gender: { woman: 1 }, glasses: { no: 1 }, bag: { backpack: 1 }, bagColour: { red: 1 } }],
  ['d', { gender: { woman: 1 }, glasses: { no: 1 }, bag: { none: 1 }, bagColour: { black: 1 } }],
]);

describe('slotGain', () => {
  it('gives 1 bit for a 50/50 split and 0 when all candidates agree', () => {
    expect(slotGain('gender', uniform4, evidence)).toBeCloseTo(1, 12);
    expect(slotGain('glasses', uniform4, evidence)).toBe(0);
  });

  it('weights candidates by their scores', () => {
    // man weight 3, woman weight 1 → H(.75,.25) = .75·log2(4/3) + .25·log2(4) ≈ 0.811278
    const w = new Map([['a', 2], ['b', 1], ['c', 1], ['d', 0]]);
    expect(slotGain('gender', w, evidence)).toBeCloseTo(0.75 * Math.log2(4 / 3) + 0.25 * 2, 12);
  });

  it('counts only candidates where a required slot holds, scaled by their share', () => {
    // bagColour: only b (black) and c (red) have a bag → 1 bit over half the weight.
    expect(slotGain('bagColour', uniform4, evidence)).toBeCloseTo(0.5, 12);
  });

  it('gives no gain for evidence that is uniform per candidate (mutual information, not entropy)', () => {
    const soft = new Map<string, AttributeEvidence>([
      ['a', { hat: { yes: 0.5, no: 0.5 } }],
      ['b', { hat: { yes: 0.5, no: 0.5 } }],
    ]);
    expect(slotGain('hat', new Map([['a', 1], ['b', 1]]), soft)).toBeCloseTo(0, 12);
  });
});

describe('selectQuestions', () => {
  it('ranks a slot that splits candidates 50/50 above one where all agree', () => {
    const ranked = selectQuestions({ candidates: uniform4, evidence, known: new Set() });
    const pos = (k: DemoSlotKey) => ranked.findIndex((q) => q.slot === k);
    expect(ranked[0].slot).toBe('gender');
    expect(pos('bag')).toBeLessThan(pos('glasses'));
    expect(ranked[0].options).toEqual(['man', 'woman', 'Not sure']);
  });

  it('never asks a settled slot, or a slot asked before', () => {
    const ranked = selectQuestions({
      candidates: uniform4,
      evidence,
      known: new Set<DemoSlotKey>(['gender']),
      asked: ['is the person carrying a bag?  what kind'],
      followUps: ['Is the person a man or a woman?', 'What gender is the person?'],
    });
    const slots = ranked.map((q) => q.slot);
    expect(slots).not.toContain('gender');
    expect(slots).not.toContain('bag');
    expect(slots).toContain('bagColour');
  });

  it('de-duplicates follow-ups by slot and by near-identical text, keeping free-text ones', () => {
    const ranked = selectQuestions({
      candidates: uniform4,
      evidence,
      known: new Set(),
      followUps: ["What COLOR is the person's upper-body clothing", 'What colour is the jacket?', 'Is the person performing any action?', 'is the person performing ANY action', '  '],
    });
    expect(ranked.filter((q) => q.slot === 'upperColour')).toHaveLength(1);
    const free = ranked.filter((q) => !q.slot);
    expect(free).toEqual([{ text: 'Is the person performing any action?', options: ['Not sure'], gain: 0 }]);
  });

  it('lets a follow-up stand for a slot the templates no longer cover', () => {
    const known = new Set<DemoSlotKey>();
    const ranked = selectQuestions({ candidates: uniform4, evidence, known, asked: ["What colour is the person's upper body clothing?"], followUps: ['What color is the jacket?'] });
    expect(ranked.filter((q) => q.slot === 'upperColour')).toHaveLength(0);
  });
});

describe('free-text follow-ups', () => {
  it('ranks a follow-up outside the vocabulary by how the candidates\' own answers split them, with those answers as options', () => {
    const candidates = new Map([[1, 1], [2, 1], [3, 1], [4, 1]]);
    const lanyard = 'Is the person wearing a lanyard?';
    const ranked = selectQuestions({
      candidates,
      evidence: new Map([1, 2, 3, 4].map((id) => [id, { gender: { man: 1 } }])),
      known: new Set(),
      followUps: [lanyard, 'Is there a tattoo?'],
      textAnswers: new Map([[questionKey(lanyard), new Map([[1, 'yes'], [2, 'no'], [3, 'yes'], [4, 'no']])]]),
    });
    expect(ranked[0]).toEqual({ text: lanyard, options: ['Yes', 'No', 'Not sure'], gain: 1 });
    // Unanswered by the candidates: kept, but with nothing to rank it by.
    expect(ranked.find((q) => q.text === 'Is there a tattoo?')).toEqual({ text: 'Is there a tattoo?', options: ['Not sure'], gain: 0 });
  });
});

describe('routeQuestions', () => {
  const q = (text: string, gain: number): RankedQuestion => ({ text, options: ['Not sure'], gain });
  const ranked = [q('a', 1), q('b', 0.8), q('c', 0.5), q('d', 0)];

  it('sends the most discriminative to the witness and lets the MLLM answer the ranked list', () => {
    const r = routeQuestions(ranked);
    expect(r.witness.map((x) => x.text)).toEqual(['a', 'b']);
    expect(r.mllm.map((x) => x.text)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('never sends zero-gain questions to the witness and honours the limits', () => {
    expect(routeQuestions(ranked, { witnessPerRound: 10 }).witness.map((x) => x.text)).toEqual(['a', 'b', 'c']);
    expect(routeQuestions(ranked, { mllmPerRound: 2 }).mllm).toHaveLength(2);
    expect(routeQuestions(ranked, { mllmAvailable: false }).mllm).toEqual([]);
  });
});
