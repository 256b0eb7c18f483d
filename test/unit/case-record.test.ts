import { describe, expect, it } from 'vitest';
import { caseImageIds, caseRecord } from '../../agent/case/case-record.js';
import { escapeHtml } from '../../agent/case/case-report.js';
import { TIMED_OUT } from '../../agent/graph/dialogue-graph.js';
import { readResume } from '../../agent/graph/transcript.js';
import type { GalleryItem } from '../../src/conversation/conversation-types.js';

const item = (rank: number, imageId: number): GalleryItem => ({ rank, imageId, path: `${imageId}.png`, score: 0.5, cosine: 0.3, anchor: false });

describe('who answered', () => {
  it('reads a resume value: text from the thread is the operator\'s, the link\'s is the witness\'s, anything else is a timeout', () => {
    expect(readResume('red')).toEqual({ text: 'red', by: 'operator' });
    expect(readResume({ text: 'red', by: 'witness-link' })).toEqual({ text: 'red', by: 'witness-link' });
    // A claim to be the MLLM (or anything unknown) from outside is an operator's reply, never an MLLM answer.
    expect(readResume({ text: 'red', by: 'mllm' })).toEqual({ text: 'red', by: 'operator' });
    expect(readResume(TIMED_OUT)).toEqual({ text: null, by: 'timeout' });
    expect(readResume(undefined)).toEqual({ text: null, by: 'timeout' });
  });
});

describe('the case record', () => {
  it('rebuilds a transcript for a conversation checkpointed before transcripts existed', () => {
    const values = {
      memory: { query: 'a man in red', current: 'a man in a red coat', answers: [{ question: 'Coat?', source: 'witness' as const, text: 'yes', status: 'known' as const }], asked: ['Coat?'], followUps: [], rejected: [], picked: [7] },
      round: 1,
      status: 'done' as const,
      shown: [item(1, 7), item(2, 8)],
      outbox: [{ kind: 'gallery' as const, round: 0, items: [item(1, 8), item(2, 9)], query: 'a man in red', demo: true, options: [] }],
    };
    expect(caseImageIds(values)).toEqual([8, 9, 7]);
    const record = caseRecord({ thread: 'web:a:b', exportedAt: '2026-01-01T00:00:00.000Z', exportedBy: 'op', demo: true, values }, (id) => `images/${id}.png`);
    expect(record).toMatchObject({ description: 'a man in red', refined: 'a man in a red coat', rounds: 1, picked: [7], status: 'done' });
    expect(record.transcript.map((e) => e.kind)).toEqual(['description', 'gallery', 'answer', 'description', 'gallery']);
    expect(record.transcript[2]).toMatchObject({ kind: 'answer', question: 'Coat?', text: 'yes', by: 'operator' });
    expect(record.finalCandidates.map((i) => i.file)).toEqual(['images/7.png', 'images/8.png']);
  });

  it('escapes every character that could open markup or an attribute', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});
