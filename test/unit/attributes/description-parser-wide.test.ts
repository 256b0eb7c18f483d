import { describe, expect, it } from 'vitest';
import { parseDescription } from '../../../src/attributes/description-parser.js';
import { decisive } from '../../../src/attributes/phrasing.js';
import type { AttributeEvidence, SlotKey } from '../../../src/attributes/vocabulary.js';

const says = (e: AttributeEvidence, key: SlotKey) => decisive(e, key, 0.7);

describe('the description parser beyond the demo world', () => {
  it('reads age groups, dresses, patterns, footwear, hat kinds, masks, scarves and suitcases', () => {
    const e = parseDescription('An elderly woman in a striped blue dress and white sandals, wearing a beanie, a face mask and a red scarf, pulling a grey suitcase.');
    expect(says(e, 'gender')).toBe('woman');
    expect(says(e, 'ageGroup')).toBe('elderly');
    expect(says(e, 'lowerType')).toBe('dress');
    expect(says(e, 'lowerColour')).toBe('blue');
    expect(says(e, 'lowerPattern')).toBe('stripes');
    expect(says(e, 'footwear')).toBe('sandals');
    expect(says(e, 'shoeColour')).toBe('white');
    expect(says(e, 'hat')).toBe('yes');
    expect(says(e, 'hatType')).toBe('beanie');
    expect(says(e, 'mask')).toBe('yes');
    expect(says(e, 'scarf')).toBe('yes');
    expect(says(e, 'bag')).toBe('suitcase');
    expect(says(e, 'bagColour')).toBe('grey');
  });

  it('infers sleeve and leg length from the garment, and denies worn items', () => {
    const e = parseDescription('A boy in a plaid shirt with short sleeves and black shorts, no mask.');
    expect(says(e, 'ageGroup')).toBe('child');
    expect(says(e, 'upperPattern')).toBe('plaid');
    expect(says(e, 'sleeveLength')).toBe('short');
    expect(says(e, 'lowerLength')).toBe('short');
    expect(says(e, 'mask')).toBe('no');
    expect(says(parseDescription('a man in a black jacket and jeans'), 'sleeveLength')).toBe('long');
    expect(says(parseDescription('a man in a black jacket and jeans'), 'lowerLength')).toBe('long');
  });
});
