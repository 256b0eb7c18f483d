import { describe, expect, it } from 'vitest';
import { inferSlot, questionSlots } from '../../../src/attributes/question-slots.js';
import { SLOTS } from '../../../src/attributes/vocabulary.js';

describe('what a question asks about', () => {
  it("maps every slot's own template question back to that slot", () => {
    for (const s of SLOTS) expect(inferSlot(s.question), s.question).toBe(s.key);
  });

  it('maps follow-ups that clearly ask about one item and leaves mixed ones free', () => {
    expect(inferSlot('What type of pants is the person wearing?')).toBe('lowerType');
    expect(inferSlot('What color are their shoes?')).toBe('shoeColour');
    expect(inferSlot('What colour is the backpack?')).toBe('bagColour');
    expect(inferSlot('What colour were their trousers?')).toBe('lowerColour');
    expect(inferSlot('Did they wear sunglasses?')).toBe('glasses');
    expect(inferSlot('Is the person wearing boots or sneakers?')).toBe('footwear');
    expect(inferSlot('Is the shirt striped?')).toBe('upperPattern');
    expect(inferSlot('Was the person wearing a face mask?')).toBe('mask');
    expect(inferSlot('Is the person pulling a suitcase?')).toBe('bag');
    expect(inferSlot('Is the person a child or an adult?')).toBe('ageGroup');
    expect(inferSlot('Is the person wearing any accessories (e.g., hat, bag, glasses)?')).toBeUndefined();
    expect(inferSlot('What is the person wearing?')).toBeUndefined();
    expect(inferSlot('What is the background or scene context of the image?')).toBeUndefined();
    expect(inferSlot('Does the person have a tattoo on the arm?')).toBeUndefined();
  });

  it('lists an item and its details most specific first', () => {
    expect(questionSlots('Is the person carrying a bag? What kind?')).toEqual(['bag', 'bagColour']);
    expect(questionSlots('What was the weather like?')).toEqual([]);
  });
});
