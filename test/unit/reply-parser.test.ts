import { describe, expect, it } from 'vitest';
import { parseReply } from '../../agent/graph/reply-parser.js';

describe('parseReply: what a witness reply means to the dialogue', () => {
  it('reads picks written the ways people write them', () => {
    for (const [text, rank] of [
      ['#4 is them', 4],
      ['#10', 10],
      ['  #2 is him ', 2],
      ['3 is her', 3],
      ["it's #7", 7],
      ['that’s #5', 5],
      ['number 6 is the one', 6],
    ] as const) {
      expect(parseReply(text.replace('’', "'")), text).toEqual({ kind: 'pick', rank });
    }
  });

  it('does not take a bare number or a sentence with a number for a pick', () => {
    expect(parseReply('2')).toEqual({ kind: 'answer', text: '2' });
    expect(parseReply('she had 2 bags')).toEqual({ kind: 'answer', text: 'she had 2 bags' });
  });

  it('recognises gallery commands and leaves everything else as an answer', () => {
    expect(parseReply('None of these')).toEqual({ kind: 'none' });
    expect(parseReply('not these')).toEqual({ kind: 'none' });
    expect(parseReply('Refine')).toEqual({ kind: 'refine' });
    expect(parseReply('keep looking')).toEqual({ kind: 'refine' });
    expect(parseReply('Done')).toEqual({ kind: 'stop' });
    expect(parseReply('stop.')).toEqual({ kind: 'stop' });
    expect(parseReply(null)).toEqual({ kind: 'timeout' });
    expect(parseReply("I don't know")).toEqual({ kind: 'answer', text: "I don't know" });
    expect(parseReply('no')).toEqual({ kind: 'answer', text: 'no' });
    // A bare "none" answers a question ("carrying a bag?"); it does not reject the gallery.
    expect(parseReply('none')).toEqual({ kind: 'answer', text: 'none' });
    expect(parseReply('red\u0007 jacket\n')).toEqual({ kind: 'answer', text: 'red jacket' });
  });
});
