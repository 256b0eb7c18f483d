import { describe, expect, it } from 'vitest';
import type { BotEvent } from '../../src/conversation/conversation-types.js';
import { LiveButtons } from '../../bots/common/live-buttons.js';

const question: BotEvent = { kind: 'question', id: '1.1', text: 'Hat?', options: [], freeText: true, timeoutSeconds: 60 };
const gallery: BotEvent = { kind: 'gallery', round: 1, items: [], query: 'q', demo: false, options: [] };
const text: BotEvent = { kind: 'text', tone: 'info', text: 'ok' };

describe('LiveButtons', () => {
  it('retires earlier questions at a new question, everything at a gallery or the end, nothing at text', () => {
    const live = new LiveButtons<string>();
    live.add('t', 'gallery', 'g0', 'gallery 0');
    live.add('t', 'question', 'q1', 'question 1');
    expect(live.staleAfter('t', [text])).toEqual([]);
    expect(live.staleAfter('t', [question])).toEqual(['question 1']);
    live.add('t', 'question', 'q2', 'question 2');
    expect(live.staleAfter('other', [gallery])).toEqual([]);
    expect(live.staleAfter('t', [text, gallery])).toEqual(['gallery 0', 'question 2']);
    expect(live.threads).toBe(0);
  });

  it('forgets a clicked message and drops empty threads', () => {
    const live = new LiveButtons<string>();
    live.add('t', 'question', 'q1', 'question 1');
    live.forget('t', 'q1');
    expect(live.threads).toBe(0);
    expect(live.staleAfter('t', [{ kind: 'done', reason: 'stopped', text: 'bye' }])).toEqual([]);
  });
});
