import { describe, expect, it } from 'vitest';
import { answerValue, interpretAnswer, isUnknownAnswer, matchValue, normalise } from '../../../src/attributes/answer-reading.js';

describe('reading answers', () => {
  it('treats silence, "not visible" and "don\'t know" alike as no answer', () => {
    for (const reply of [null, '', 'Not visible.', "I don't know", 'not sure, maybe red', 'Unclear', 'skip', 'n/a', 'hard to say']) {
      expect(isUnknownAnswer(reply), String(reply)).toBe(true);
    }
    expect(isUnknownAnswer('No')).toBe(false);
    expect(isUnknownAnswer('red')).toBe(false);
  });

  it('names the more specific value when one value is part of another ("t-shirt" is not a shirt)', () => {
    expect(matchValue('upperType', normalise('A T-shirt'))).toBe('t-shirt');
    expect(matchValue('upperType', normalise('a button-up shirt'))).toBe('shirt');
    expect(matchValue('upperType', normalise('a shirt or a jacket'))).toBeUndefined();
  });

  it('reads synonyms, negatives and values outside the demo world (dress, suitcase, boots, stripes)', () => {
    expect(answerValue('bag', 'nope')).toBe('none');
    expect(answerValue('bag', 'a rolling suitcase')).toBe('suitcase');
    expect(answerValue('lowerType', 'She wore a long dress')).toBe('dress');
    expect(answerValue('footwear', 'brown boots')).toBe('boots');
    expect(answerValue('upperPattern', 'Striped')).toBe('stripes');
    expect(answerValue('mask', 'yes')).toBe('yes');
    expect(answerValue('ageGroup', 'an old man')).toBe('elderly');
    expect(answerValue('hatType', 'a baseball cap')).toBe('cap');
    expect(answerValue('upperColour', 'Not visible')).toBeUndefined();
  });

  it('places a bare answer by the question it answers', () => {
    expect(interpretAnswer('What colour is the bag?', 'Black.').bagColour).toEqual({ black: 1 });
    expect(interpretAnswer('Is the person wearing a scarf?', 'No').scarf).toEqual({ no: 1 });
    expect(interpretAnswer("Are the person's sleeves short or long?", 'Short').sleeveLength).toEqual({ short: 1 });
    expect(interpretAnswer('What colour is the bag?', 'not visible')).toEqual({});
  });
});
