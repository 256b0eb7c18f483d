import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { once, ScriptedMllm, upstreamFailure } from '../fakes/scripted-mllm.js';

const IMG = Buffer.from('image bytes');

describe('ScriptedMllm (test fake)', () => {
  it('answers by the first matching step and records every call with its images', async () => {
    const mllm = new ScriptedMllm([
      { match: 'colour', reply: 'Red.' },
      { match: /^Is /, method: 'askYesNo', reply: 'Yes, it is.' },
      { match: (c) => c.images.length === 2, reply: (c) => `two images for ${c.prompt}` },
      { reply: 'anything else' },
    ]);
    expect(await mllm.ask('What colour is the coat?', [IMG])).toBe('Red.');
    expect(await mllm.askYesNo('Is it a man?', IMG)).toBe('yes');
    expect(await mllm.ask('compare', [IMG, IMG])).toBe('two images for compare');
    expect(await mllm.ask('Is it a man?')).toBe('anything else');
    expect(mllm.calls.map((c) => [c.method, c.images.length])).toEqual([
      ['ask', 1],
      ['askYesNo', 1],
      ['ask', 2],
      ['ask', 0],
    ]);
    expect(mllm.callsOf('askYesNo')[0].images[0]).toBe(IMG);
    mllm.verify();
  });

  it('reads answers the way the port promises: yes/no words, loose JSON checked by the schema, the fallback', async () => {
    const schema = z.object({ colour: z.string() });
    const mllm = new ScriptedMllm([
      { method: 'askYesNo', reply: 'I cannot tell from this image.' },
      { match: 'fenced', reply: "Sure:\n```json\n{'colour': 'blue',}\n```" },
      { match: 'object', reply: { json: { colour: 'green' } } },
      { match: 'wrong', reply: '{"colour": 3}' },
      { match: 'prose', reply: 'Blue, I think.' },
    ]);
    expect(await mllm.askYesNo('Is it?', IMG)).toBe('unsure');
    expect(await mllm.askJson('fenced', schema)).toEqual({ colour: 'blue' });
    expect(await mllm.askJson('object', schema, [], { name: 'colour' })).toEqual({ colour: 'green' });
    expect(mllm.calls[2].schemaName).toBe('colour');
    const wrong = await mllm.askJson('wrong', schema).catch((e: unknown) => e);
    expect(isCtgiError(wrong, 'UPSTREAM_FAILED')).toBe(true);
    expect(await mllm.askJson('prose', schema, [], { fallback: (t) => ({ colour: t.split(',')[0].toLowerCase() }) })).toEqual({ colour: 'blue' });
  });

  it('uses `once` steps in order and lets a step simulate an upstream failure', async () => {
    const mllm = new ScriptedMllm([once({ reply: 'first' }), once({ reply: () => upstreamFailure() }), { reply: 'then always this' }]);
    expect(await mllm.ask('a')).toBe('first');
    await expect(mllm.ask('b')).rejects.toMatchObject({ name: 'CtgiError', code: 'UPSTREAM_FAILED' });
    expect(await mllm.ask('c')).toBe('then always this');
    expect(await mllm.ask('d')).toBe('then always this');
    mllm.verify();
  });

  it('fails an unexpected call loudly, and verify() reports it even when the caller swallowed the error', async () => {
    const mllm = new ScriptedMllm([{ match: 'caption', reply: 'A man.' }]);
    await expect(mllm.ask('What is the weather?')).rejects.toThrow(/unexpected ask call .*weather/);
    expect(isCtgiError(await mllm.ask('x').catch((e: unknown) => e))).toBe(false);
    expect(() => mllm.verify()).toThrow(/unexpected ask call/);
  });

  it('verify() reports `times` steps that were not used up', async () => {
    const mllm = new ScriptedMllm([once({ match: 'caption', reply: 'A man.' }), { match: 'question', reply: 'Red.', times: 2 }]);
    await mllm.ask('caption please');
    await mllm.ask('a question');
    expect(() => mllm.verify()).toThrow(/step 1 \("question"\) answered 1 of 2 calls/);
    await mllm.ask('another question');
    mllm.verify();
    // Used up: a third question is unexpected.
    await expect(mllm.ask('a third question')).rejects.toThrow(/unexpected/);
  });

  it('counts calls in progress at the same time', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const mllm = new ScriptedMllm([{ reply: async () => (await gate, 'done') }]);
    const pending = Promise.all([mllm.ask('1'), mllm.ask('2'), mllm.ask('3')]);
    await new Promise((r) => setImmediate(r));
    release();
    expect(await pending).toEqual(['done', 'done', 'done']);
    expect(mllm.maxInFlight).toBe(3);
  });
});
