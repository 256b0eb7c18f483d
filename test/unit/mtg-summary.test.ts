import { describe, expect, it } from 'vitest';
import type { PersonAttributes } from '../../src/demo/attributes.js';
import type { MtgTurn } from '../../src/mtg/caption-image.js';
import { captionedEntries } from '../../src/mtg/caption-inputs.js';
import { fuseCaptionScores } from '../../src/demo/caption-aware.js';
import { captionCoverage, pooledCoverage } from '../../src/demo/caption-quality.js';
import { lengthStats, summariseCaptions, WORD_COUNTER, type TokenCounter } from '../../src/mtg/caption-summary.js';
import type { JobRecord } from '../../src/mtg/job-store.js';
import { RequestPacer } from '../../src/mtg/request-pacer.js';

function q(question: string, kept: boolean, reason: MtgTurn['reason'] = null, tokens = 10): MtgTurn {
  return { kind: 'question', round: 1, question, source: 'paper', attributes: [], answer: 'x', kept, reason, facts: [], latencyMs: 100, tokens: { prompt: tokens, completion: 0 } };
}

function record(key: string, status: 'done' | 'failed', caption: string | null, turns: MtgTurn[]): JobRecord {
  return { key, status, initialCaption: caption === null ? null : 'short', caption, turns, error: status === 'failed' ? 'why' : null, attempts: 1, finishedAt: '' };
}

/** Counts characters as tokens, so lengths in tests are easy to state. */
const CHARS: TokenCounter = { name: 'chars', count: (t) => t.length };

describe('the MTG summary', () => {
  it('averages lengths, counts captions over 77 tokens, and gives drop rates per question', () => {
    const long = 'x'.repeat(100);
    const records = [
      record('a', 'done', long, [q('Hat?', true), q('Bag?', false, 'unanswerable')]),
      record('b', 'done', 'y'.repeat(50), [q('Hat?', false, 'redundant'), q('Bag?', false, 'unanswerable')]),
      record('c', 'failed', null, [q('Hat?', false, 'refused')]),
    ];
    const s = summariseCaptions(records, 4, CHARS);
    expect(s).toMatchObject({ images: 4, captioned: 2, failed: 1, tokenizer: 'chars', meanQuestions: 2, meanKept: 0.5, mllmCalls: 5, meanCallLatencyMs: 100, totalTokens: 50 });
    expect(s.captions).toEqual({ meanWords: 1, meanTokens: 75, over77: 0.5 });
    // Only captioned images count towards the question statistics.
    expect(s.questions).toEqual([
      { question: 'Bag?', asked: 2, kept: 0, dropped: { unanswerable: 2, refused: 0, redundant: 0, irrelevant: 0 }, dropRate: 1 },
      { question: 'Hat?', asked: 2, kept: 1, dropped: { unanswerable: 0, refused: 0, redundant: 1, irrelevant: 0 }, dropRate: 0.5 },
    ]);
  });

  it('reports no token total when the server reported no usage', () => {
    const turn = { ...q('Hat?', true), tokens: null };
    expect(summariseCaptions([record('a', 'done', 'x', [turn])], 1, WORD_COUNTER).totalTokens).toBeNull();
    expect(lengthStats(['a man in red'], WORD_COUNTER)).toEqual({ meanWords: 4, meanTokens: 6, over77: 0 });
  });
});

describe('caption coverage of the true attributes', () => {
  const truth: PersonAttributes = {
    gender: 'man',
    hairColour: 'black',
    hairLength: 'short',
    upperType: 'jacket',
    upperColour: 'red',
    lowerType: 'trousers',
    lowerColour: 'blue',
    shoeColour: 'black',
    bag: 'none',
    bagColour: null,
    hat: 'no',
    hatColour: null,
    glasses: 'no',
    held: 'none',
  };

  it('counts stated, correct and applicable attributes (a bag colour does not apply without a bag)', () => {
    const c = captionCoverage('A man in a red jacket and green trousers.', truth);
    // States gender, upper type, upper colour, lower type, lower colour (wrong); 12 attributes apply.
    expect(c).toEqual({ stated: 5, correct: 4, applicable: 12, precision: 80, recall: 33.33 });
    expect(captionCoverage('', truth)).toMatchObject({ stated: 0, precision: 100, recall: 0 });
    expect(pooledCoverage([{ caption: 'A man.', truth }, { caption: 'A woman.', truth }])).toMatchObject({ stated: 2, correct: 1, applicable: 24, precision: 50 });
  });
});

describe('caption-aware fusion', () => {
  it('mixes image and caption similarity by the weight, and leaves uncaptioned images alone', () => {
    const image = new Float32Array([0.2, 0.4, 0.6, 0.8]);
    const caption = new Float32Array([1, 0, 1, 0]);
    const fused = fuseCaptionScores(image, caption, [true, false], 0.25);
    expect(Array.from(fused)).toEqual([expect.closeTo(0.75 * 0.2 + 0.25, 6), expect.closeTo(0.4, 6), expect.closeTo(0.75 * 0.6 + 0.25, 6), expect.closeTo(0.8, 6)]);
    expect(() => fuseCaptionScores(image, new Float32Array(3), [true, false])).toThrow(/queries × 2/);
    expect(() => fuseCaptionScores(image, caption, [true, false], 1.5)).toThrow(/between 0 and 1/);
  });
});

describe('the output dataset', () => {
  it('keeps ids, splits and extra fields, replaces captions, and drops stale processed tokens and uncaptioned images', () => {
    const entries = [
      { id: 7, split: 'train', captions: ['old'], imagePath: 'a.jpg', extra: { processed_tokens: [['old']], note: 1 } },
      { id: 8, split: 'test', captions: ['old'], imagePath: 'b.jpg', extra: {} },
    ];
    expect(captionedEntries(entries, new Map([['a.jpg', 'new caption']]))).toEqual([{ id: 7, split: 'train', captions: ['new caption'], imagePath: 'a.jpg', extra: { note: 1 } }]);
  });
});

describe('the requests-per-minute pacer', () => {
  it('spaces request starts 60/rpm seconds apart', async () => {
    let now = 1000;
    const waits: number[] = [];
    const pacer = new RequestPacer(120, () => now, async (ms) => {
      waits.push(ms);
    });
    await Promise.all([pacer.wait(), pacer.wait(), pacer.wait()]);
    expect(waits).toEqual([500, 1000]);
    now = 5000; // long after: no wait
    await pacer.wait();
    expect(waits).toEqual([500, 1000]);
  });
});
