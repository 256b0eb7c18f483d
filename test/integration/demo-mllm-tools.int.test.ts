import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MLLM_MODEL, startDemoMllmServer, type DemoMllmServer } from '../../src/demo/demo-mllm-server.js';

// The demo MLLM's OpenAI tool-call answers over HTTP, as any OpenAI-compatible client sees them.

const TOOLS = [
  { type: 'function', function: { name: 'more_like', parameters: { type: 'object', properties: { rank: { type: 'number' } } } } },
  { type: 'function', function: { name: 'order_gallery', parameters: { type: 'object', properties: { by: { type: 'string', enum: ['time', 'score'] } } } } },
  { type: 'function', function: { name: 'filter_footage', parameters: { type: 'object', properties: { cameras: { anyOf: [{ type: 'array', items: { type: 'string', enum: ['north-1', 'south-2'] } }, { type: 'null' }] } } } } },
];

describe('the demo MLLM answering tool-call requests', () => {
  let server: DemoMllmServer;
  beforeAll(async () => {
    server = await startDemoMllmServer({ seed: 3 });
  });
  afterAll(async () => {
    await server?.close();
  });

  const post = async (body: unknown) => {
    const res = await fetch(`${server.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as { choices?: Array<{ message: { content: string | null; tool_calls?: Array<{ id: string; type: string; function: { name: string; arguments: string } }> }; finish_reason: string }>; error?: { message: string } } };
  };
  const user = (text: string) => ({ role: 'user', content: `Operator request: ${JSON.stringify(text)}` });

  it('calls the offered tools the phrase asks for, in a fixed order, the same every time', async () => {
    const body = { model: DEMO_MLLM_MODEL, messages: [{ role: 'system', content: 'rules' }, user('cameras 2 and 1, by time, and more like #3')], tools: TOOLS };
    const first = await post(body);
    expect(first.status).toBe(200);
    const choice = first.json.choices![0];
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls!.map((c) => [c.function.name, JSON.parse(c.function.arguments)])).toEqual([
      ['filter_footage', { cameras: ['south-2', 'north-1'] }],
      ['order_gallery', { by: 'time' }],
      ['more_like', { rank: 3 }],
    ]);
    expect((await post(body)).json.choices![0].message.tool_calls).toEqual(choice.message.tool_calls);
  });

  it('calls only tools it was offered', async () => {
    const { json } = await post({ messages: [user('export this for the incident report')], tools: TOOLS });
    expect(json.choices![0].finish_reason).toBe('stop');
    expect(json.choices![0].message.tool_calls).toBeUndefined();
    expect(json.choices![0].message.content).toMatch(/None of my tools fits/);
  });

  it('closes with one sentence after the tool results, repeating a refusal to the operator', async () => {
    const call = { role: 'assistant', content: null, tool_calls: [{ id: 'call_demo_1', type: 'function', function: { name: 'more_like', arguments: '{"rank":14}' } }] };
    const refused = await post({ messages: [user('more like #14'), call, { role: 'tool', tool_call_id: 'call_demo_1', content: 'Input refused: more_like was not called because Ranks run from 1 to 10. Call it again with valid arguments, or tell the operator.' }], tools: TOOLS });
    expect(refused.json.choices![0].message.content).toBe('Input refused: more_like was not called because Ranks run from 1 to 10.');
    const done = await post({ messages: [user('more like #4'), call, { role: 'tool', tool_call_id: 'call_demo_1', content: 'ok' }], tools: TOOLS });
    expect(done.json.choices![0]).toMatchObject({ finish_reason: 'stop', message: { content: 'Done.' } });
  });

  it('refuses a malformed tool request with a 400 saying what is wrong', async () => {
    const bad = await post({ messages: [user('by time')], tools: [{ type: 'function' }] });
    expect(bad.status).toBe(400);
    expect(bad.json.error!.message).toMatch(/tools\[0\] must be/);
    expect((await post({ messages: [], tools: TOOLS })).status).toBe(400);
  });
});
