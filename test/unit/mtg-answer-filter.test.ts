import { describe, expect, it } from 'vitest';
import { isRefusal, isUnanswerable, judgeAnswer, withFacts } from '../../src/mtg/answer-filter.js';
import type { PoolQuestion } from '../../src/mtg/question-pool.js';

const upper: PoolQuestion = { text: "What color is the person's upper body clothing?", source: 'paper', slots: ['upperColour'] };
const bag: PoolQuestion = { text: 'Is the person carrying a bag? What kind?', source: 'attribute', slots: ['bag'] };
const scene: PoolQuestion = { text: 'What is the background or scene context of the image?', source: 'paper', slots: [] };

describe('MTG answer filter', () => {
  it.each(["I can't tell.", 'The upper body is not visible.', 'It cannot be determined from the image.', 'Unknown.', 'Hard to say', ''])('drops "%s" as unanswerable', (answer) => {
    expect(isUnanswerable(answer)).toBe(true);
    expect(judgeAnswer(upper, answer, {})).toMatchObject({ kept: false, reason: 'unanswerable' });
  });

  it.each(["I'm sorry, but I can't help with identifying people.", 'As an AI, I cannot describe real people.'])('drops "%s" as refused', (answer) => {
    expect(isRefusal(answer)).toBe(true);
    expect(judgeAnswer(upper, answer, {})).toMatchObject({ kept: false, reason: 'refused' });
  });

  it('keeps an answer that adds an attribute value, with the value', () => {
    const verdict = judgeAnswer(upper, 'Red.', {});
    expect(verdict.kept).toBe(true);
    expect(verdict.facts).toHaveLength(1);
    expect(verdict.facts[0]).toMatchObject({ attribute: 'upperColour', value: 'red' });
    expect(verdict.facts[0].confidence).toBeGreaterThanOrEqual(0.5);
    expect(isRefusal('Red.')).toBe(false);
    expect(isUnanswerable('Red.')).toBe(false);
  });

  it('drops an answer that only restates known values as redundant', () => {
    expect(judgeAnswer(upper, 'Red.', { upperColour: { red: 1 } })).toMatchObject({ kept: false, reason: 'redundant' });
    // A different value is news (the question was asked specifically).
    expect(judgeAnswer(upper, 'Blue.', { upperColour: { red: 1 } })).toMatchObject({ kept: true });
    // A value known only softly is confirmed, not repeated.
    expect(judgeAnswer(upper, 'Red.', { upperColour: { red: 0.4, orange: 0.4 } })).toMatchObject({ kept: true });
  });

  it('drops an attribute question answered without any attribute value as irrelevant', () => {
    expect(judgeAnswer(upper, 'The photo was taken outdoors on a sunny day.', {})).toMatchObject({ kept: false, reason: 'irrelevant' });
  });

  it('reads extra values an answer volunteers', () => {
    const verdict = judgeAnswer(bag, 'Yes, a black backpack.', {});
    expect(verdict.kept).toBe(true);
    expect(verdict.facts.map((f) => `${f.attribute}=${f.value}`).sort()).toEqual(['bag=backpack', 'bagColour=black']);
  });

  it('keeps any real answer to a context question', () => {
    expect(judgeAnswer(scene, 'A plain street background.', {})).toEqual({ kept: true, facts: [] });
    expect(judgeAnswer(scene, 'Not visible.', {})).toMatchObject({ kept: false, reason: 'unanswerable' });
  });

  it('lays facts over known evidence, later answers winning', () => {
    expect(withFacts({ upperColour: { red: 1 }, gender: { man: 1 } }, [{ attribute: 'upperColour', value: 'blue', confidence: 0.9 }])).toEqual({
      upperColour: { blue: 0.9 },
      gender: { man: 1 },
    });
  });
});
