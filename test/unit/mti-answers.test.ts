import { describe, expect, it } from 'vitest';
import { knownSlots, mergeAnswers, recordAnswer, settledValue, type RawAnswer } from '../../agent/core/answers.js';

const ask = (slot: RawAnswer['slot'], reply: string | null, source: RawAnswer['source'] = 'witness') =>
  recordAnswer({ slot, question: 'q?', source, reply });

describe('recordAnswer', () => {
  it('records don\'t know, skip, not sure and timeouts as unknown', () => {
    for (const reply of ["Don't know", 'dont know', 'skip', 'Not sure.', 'I have no idea', '???', '', '  ', null]) {
      expect(ask('bag', reply).status, String(reply)).toBe('unknown');
    }
    expect(ask('bag', 'I have no idea').value).toBeUndefined();
  });

  it('matches replies to slot values, with synonyms and negatives', () => {
    expect(ask('bag', 'A black backpack').value).toBe('backpack');
    expect(ask('bag', 'no').value).toBe('none');
    expect(ask('bag', 'Yes, a backpack!').value).toBe('backpack');
    expect(ask('hat', 'Nope, no hat').value).toBe('no');
    expect(ask('hat', 'yes').value).toBe('yes');
    expect(ask('upperColour', 'gray').value).toBe('grey');
    expect(ask('gender', 'a lady').value).toBe('woman');
    expect(ask('upperType', 'T-shirt').value).toBe('t-shirt');
  });

  it('settles no value from ambiguous or unmatched replies, keeping words outside the vocabulary as a fact', () => {
    // Two colours or a bare "yes" to "what kind of bag" name no value.
    expect(ask('upperColour', 'blue and red').value).toBeUndefined();
    expect(ask('bag', 'yes').status).toBe('unknown');
    // "teal-ish" is no colour of the vocabulary, but it is what the witness saw: a fact for the Reconstructor.
    const teal = ask('upperColour', 'teal-ish');
    expect(teal).toMatchObject({ status: 'known', text: 'teal-ish' });
    expect(teal.value).toBeUndefined();
    expect(mergeAnswers([teal]).freeText).toEqual([teal]);
    expect(mergeAnswers([teal]).bySlot.size).toBe(0);
  });

  it('keeps free-text replies to slotless questions, cleaned', () => {
    const a = recordAnswer({ question: 'Anything else?', source: 'witness', reply: 'walking\na dog ' });
    expect(a).toMatchObject({ status: 'known', text: 'walking a dog' });
    expect(a.value).toBeUndefined();
  });
});

describe('settledValue', () => {
  it('reads "not visible" (what the MLLM says when the image cannot tell) as no answer, not as "no"', () => {
    for (const reply of ['not visible', 'Not visible.', 'The hat cannot be seen', 'cannot determine']) {
      expect(settledValue('hat', reply), reply).toBeUndefined();
    }
    expect(settledValue('hat', 'no')).toBe('no');
    expect(settledValue('hat', 'No, there is no hat.')).toBe('no');
    expect(settledValue('bag', 'a backpack')).toBe('backpack');
  });
});

describe('mergeAnswers', () => {
  it('lets the witness override the MLLM for the same slot, in either order', () => {
    const m1 = mergeAnswers([ask('upperColour', 'red', 'mllm'), ask('upperColour', 'blue', 'witness')]);
    const m2 = mergeAnswers([ask('upperColour', 'blue', 'witness'), ask('upperColour', 'red', 'mllm')]);
    expect(m1.bySlot.get('upperColour')?.value).toBe('blue');
    expect(m2.bySlot.get('upperColour')?.value).toBe('blue');
  });

  it('keeps a later answer of the same source', () => {
    const m = mergeAnswers([ask('hat', 'no', 'mllm'), ask('hat', 'yes', 'mllm')]);
    expect(m.bySlot.get('hat')?.value).toBe('yes');
  });

  it('does not let an unknown witness answer unsettle a known MLLM answer', () => {
    const m = mergeAnswers([ask('upperColour', 'red', 'mllm'), ask('upperColour', "don't know", 'witness'), ask('bag', null)]);
    expect(m.bySlot.get('upperColour')?.source).toBe('mllm');
    expect(m.bySlot.has('bag')).toBe(false);
  });
});

describe('knownSlots', () => {
  it('counts confident description evidence and known answers, not hedges or unknowns', () => {
    const description = { gender: { man: 1 }, upperColour: { red: 0.64, blue: 0.36 } };
    const answers = mergeAnswers([ask('glasses', 'yes'), ask('hat', 'not sure'), ask('lowerType', null)]);
    expect([...knownSlots(description, answers)].sort()).toEqual(['gender', 'glasses']);
  });

  it('settles a dependent slot when its requirement is settled as not holding', () => {
    const known = knownSlots({ hat: { no: 1 } }, mergeAnswers([ask('bag', 'none')]));
    expect([...known].sort()).toEqual(['bag', 'bagColour', 'hat', 'hatColour', 'hatType']);
    const withBag = knownSlots({}, mergeAnswers([ask('bag', 'a handbag')]));
    expect(withBag.has('bagColour')).toBe(false);
  });
});
