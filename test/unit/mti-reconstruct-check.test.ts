import { describe, expect, it } from 'vitest';
import { mergeAnswers, recordAnswer, type RawAnswer } from '../../agent/core/answers.js';
import { CONTRADICTED_REWRITE, reconstruct } from '../../agent/round/reconstruct.js';
import { rewriteContradictions } from '../../agent/round/rewrite-check.js';
import { parseDescription } from '../../src/attributes/description-parser.js';
import { slot, type SlotKey } from '../../src/attributes/vocabulary.js';
import { mergeDescription } from '../../src/demo/demo-mllm-answers.js';
import { ScriptedMllm } from '../fakes/scripted-mllm.js';

// The Reconstructor's LLM rewrite (q̂) is checked against q and the answers with the product's parser;
// a contradicting rewrite is set aside for the template merge, with a notice.

const a = (key: SlotKey, reply: string, source: RawAnswer['source'] = 'witness') => recordAnswer({ slot: key, question: slot(key).question, source, reply });
const free = (reply: string) => recordAnswer({ question: 'Anything else about the person?', source: 'witness', reply });
const rewriter = (rewrite: string) => new ScriptedMllm([{ method: 'ask', match: 'Refine the original query', reply: rewrite, times: 1 }]);

describe('the Reconstructor checks the LLM rewrite', () => {
  const q = 'a man in a red jacket';
  const answers = mergeAnswers([a('bag', 'a backpack'), a('bagColour', 'black')]);

  it('sets aside a rewrite that obeys injected text and merges by template instead, saying so', async () => {
    const mllm = rewriter('A woman in a yellow dress carrying a black backpack.');
    const r = await reconstruct(q, answers, mllm);
    mllm.verify();
    expect(r.source).toBe('template');
    expect(r.mllmCalls).toBe(1);
    expect(r.notice).toBe(CONTRADICTED_REWRITE);
    expect(r.contradictions?.map((c) => c.slot)).toEqual(expect.arrayContaining(['gender', 'upperColour']));
    const back = parseDescription(r.text);
    expect(back.gender?.man).toBeCloseTo(1, 6);
    expect(back.upperColour?.red).toBeCloseTo(1, 6);
    expect(r.text).not.toMatch(/woman|yellow|dress/);
  });

  it('keeps a faithful rewrite', async () => {
    const mllm = rewriter('A man wearing a red jacket, carrying a black backpack.');
    const r = await reconstruct(q, answers, mllm);
    mllm.verify();
    expect(r).toEqual({ text: 'A man wearing a red jacket, carrying a black backpack.', source: 'mllm', mllmCalls: 1 });
  });

  it('a rewrite that follows an answer changing q is faithful; one that keeps the old value is not', async () => {
    const changed = mergeAnswers([a('upperColour', 'blue')]);
    expect((await reconstruct(q, changed, rewriter('A man in a blue jacket.'))).source).toBe('mllm');
    const stale = await reconstruct(q, changed, rewriter('A man in a red jacket.'));
    expect(stale.source).toBe('template');
    expect(stale.contradictions).toEqual([{ slot: 'upperColour', expected: ['blue'], found: 'red' }]);
  });

  it('salient attributes must survive; others may be left out', () => {
    // Dropping the gender or the colour of the top loses who is searched for.
    expect(rewriteContradictions(q, answers, 'A person in a jacket with a black backpack.').map((c) => c.slot)).toEqual(['gender', 'upperColour']);
    // Leaving out the glasses (or the bag's colour) is the LLM's choice of words.
    expect(rewriteContradictions('a man in a red jacket with glasses', answers, 'A man in a red jacket carrying a backpack.')).toEqual([]);
    // ...but stating another value is a contradiction for any attribute.
    expect(rewriteContradictions(q, answers, 'A man in a red jacket carrying a white backpack.').map((c) => c.slot)).toEqual(['bagColour']);
  });

  it('a salient value nobody said is a contradiction; one a free-text answer said is not', () => {
    const vague = 'someone in a red jacket';
    expect(rewriteContradictions(vague, answers, 'A woman in a red jacket with a black backpack.').map((c) => c.slot)).toEqual(['gender']);
    const told = mergeAnswers([free('she had blue jeans')]);
    expect(rewriteContradictions(vague, told, 'A woman in a red jacket and blue jeans.')).toEqual([]);
  });

  it('a denied bag takes its colour with it', () => {
    const noBag = mergeAnswers([a('bag', 'no bag')]);
    expect(rewriteContradictions('a man in a red jacket with a black backpack', noBag, 'A man in a red jacket with no bag.')).toEqual([]);
  });

  it('the demo MLLM merge passes the check (no false alarms on a faithful rewriter)', () => {
    const cases: Array<[string, ReturnType<typeof mergeAnswers>]> = [
      [q, answers],
      ['a woman with long blonde hair in a pink coat and black trousers', mergeAnswers([a('hat', 'no'), a('glasses', 'yes'), a('bag', 'handbag')])],
      ['guy in a grey hoodie, maybe blue jeans', mergeAnswers([a('lowerColour', 'black'), a('upperType', 'hoodie', 'mllm')])],
      ['a person in a green shirt', mergeAnswers([a('gender', 'woman'), free('she carried a red umbrella')])],
    ];
    for (const [query, merged] of cases) {
      const pairs = [...merged.bySlot.values(), ...merged.freeText].map((x) => ({ question: x.question, answer: x.text }));
      expect(rewriteContradictions(query, merged, mergeDescription(query, pairs)), query).toEqual([]);
    }
  });
});
