import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import type { MllmCallLog } from '../../src/mllm/call-log.js';
import { MllmImageCache } from '../../src/mllm/image-cache.js';
import { OpenAiMllm, type OpenAiMllmOptions } from '../../src/mllm/openai-chat.js';
import { decodeRgb } from '../../src/vision/rgb-decode.js';
import { okChat, startFaultMllmServer, type FaultMllmServer, type FaultStep } from '../fakes/openai-fault-server.js';
import { BLUE, RED, writeJpeg, writePainted, writeRgbaPng } from '../fixtures/images.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// The product client over HTTP through the real @langchain/openai stack, against a scripted server: retries,
// timeouts, the concurrency cap, JSON answers, the call log and the images it sends.

const KEY = 'sk-fault-test-key-7731';
const servers: FaultMllmServer[] = [];
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('mllm-client'));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await cleanup();
});

async function serve(script: (n: number, body: unknown) => FaultStep): Promise<FaultMllmServer> {
  const server = await startFaultMllmServer(script);
  servers.push(server);
  return server;
}

/** A client whose back-off waits are recorded instead of slept. */
function client(url: string, extra: Partial<OpenAiMllmOptions> = {}): { mllm: OpenAiMllm; waits: number[]; log: MllmCallLog[] } {
  const waits: number[] = [];
  const log: MllmCallLog[] = [];
  const mllm = new OpenAiMllm({
    baseUrl: url,
    model: 'fault-model',
    apiKey: KEY,
    retryBaseMs: 100,
    timeoutMs: 5_000,
    sleep: async (ms) => {
      waits.push(ms);
    },
    onCall: (entry) => log.push(entry),
    ...extra,
  });
  return { mllm, waits, log };
}

const failure = (p: Promise<unknown>) => p.then(() => expect.unreachable('the call should fail'), (err: unknown) => err as Error);

describe('retries', () => {
  it('waits as long as Retry-After says after a 429, then succeeds', async () => {
    const server = await serve((n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { json: okChat('fine') }));
    const { mllm, waits, log } = client(server.url);
    expect(await mllm.ask('hello')).toBe('fine');
    expect(server.requests).toHaveLength(2);
    expect(waits).toEqual([1000]);
    expect(log[0]).toMatchObject({ status: 'ok', attempts: 2, httpStatus: 200 });
  });

  it('caps a long Retry-After at 30 s', async () => {
    const server = await serve((n) => (n === 1 ? { status: 429, headers: { 'retry-after': '3600' } } : {}));
    const { mllm, waits } = client(server.url);
    await mllm.ask('hello');
    expect(waits).toEqual([30_000]);
  });

  it('backs off exponentially with jitter after 500 ×2, then succeeds on the third request', async () => {
    const server = await serve((n) => (n <= 2 ? { status: 500 } : { json: okChat('third time') }));
    const { mllm, waits } = client(server.url);
    expect(await mllm.ask('hello')).toBe('third time');
    expect(server.requests).toHaveLength(3);
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(50);
    expect(waits[0]).toBeLessThanOrEqual(100);
    expect(waits[1]).toBeGreaterThanOrEqual(100);
    expect(waits[1]).toBeLessThanOrEqual(200);
  });

  it('retries a dropped connection', async () => {
    const server = await serve((n) => (n === 1 ? { destroy: true } : { json: okChat('back') }));
    const { mllm } = client(server.url);
    expect(await mllm.ask('hello')).toBe('back');
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry a 400 or a 401', async () => {
    for (const status of [400, 401]) {
      const server = await serve(() => ({ status, json: { error: { message: `Bad thing ${status}.` } } }));
      const { mllm, waits, log } = client(server.url);
      const err = await failure(mllm.ask('hello'));
      expect(isCtgiError(err, 'UPSTREAM_FAILED')).toBe(true);
      expect(err.message).toContain(`HTTP ${status}`);
      expect(server.requests).toHaveLength(1);
      expect(waits).toEqual([]);
      expect(log[0]).toMatchObject({ status: 'failed', attempts: 1, httpStatus: status });
    }
  });

  it('gives up after maxRetries with one sentence naming the server, never the key it was sent', async () => {
    const server = await serve(() => ({ status: 503, json: { error: { message: `Overloaded; your key ${KEY} is fine.\nstack trace here` } } }));
    const { mllm, log } = client(server.url, { maxRetries: 3 });
    const err = await failure(mllm.ask('hello'));
    expect(server.requests).toHaveLength(4);
    expect(server.requests.every((r) => r.authorization === `Bearer ${KEY}`)).toBe(true);
    expect(isCtgiError(err, 'UPSTREAM_FAILED')).toBe(true);
    expect(err.message).toContain(server.url);
    expect(err.message).toMatch(/HTTP 503/);
    expect(err.message).toMatch(/4 attempts/);
    expect(err.message).not.toContain(KEY);
    expect(err.message).not.toContain('\n');
    expect(err.message).not.toContain('stack trace');
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ status: 'failed', attempts: 4, httpStatus: 503 });
    expect(JSON.stringify(log)).not.toContain(KEY);
    expect(mllm.stats()).toMatchObject({ calls: 1, failures: 1, retries: 3 });
  });

  it('times out a slow request, retries it, and says it did not answer in time', async () => {
    const server = await serve(() => ({ delayMs: 10_000 }));
    const { mllm, waits } = client(server.url, { timeoutMs: 200, maxRetries: 1 });
    const err = await failure(mllm.ask('hello'));
    expect(isCtgiError(err, 'UPSTREAM_FAILED')).toBe(true);
    expect(err.message).toMatch(/did not answer in time/);
    expect(server.requests).toHaveLength(2);
    expect(waits).toHaveLength(1);
  });
});

describe('concurrency', () => {
  it('keeps at most maxConcurrency requests in flight over all calls', async () => {
    const server = await serve(() => ({ delayMs: 100, json: okChat('yes') }));
    const { mllm } = client(server.url, { maxConcurrency: 2 });
    const png = await readFile(await writePainted(join(dir, 'small.png'), 20, 40, () => RED));
    const answers = await Promise.all([
      ...Array.from({ length: 3 }, () => mllm.ask('hello')),
      ...Array.from({ length: 3 }, () => mllm.askYesNo('Is it red?', png)),
    ]);
    expect(answers).toEqual(['yes', 'yes', 'yes', 'yes', 'yes', 'yes']);
    expect(server.requests).toHaveLength(6);
    expect(server.maxInFlight).toBe(2);
  });
});

describe('JSON answers', () => {
  const schema = z.object({ colour: z.string(), count: z.number() });

  it('sends a strict json_schema response_format and reads a raw JSON answer', async () => {
    const server = await serve(() => ({ json: okChat('{"colour": "red", "count": 2}') }));
    const { mllm, log } = client(server.url);
    expect(await mllm.askJson('Describe it as JSON.', schema, [], { name: 'colour count!' })).toEqual({ colour: 'red', count: 2 });
    const body = server.requests[0].body as { response_format?: { type: string; json_schema: { name: string; strict: boolean; schema: Record<string, unknown> } } };
    expect(body.response_format?.type).toBe('json_schema');
    expect(body.response_format?.json_schema.name).toBe('colour_count_');
    expect(body.response_format?.json_schema.strict).toBe(true);
    expect(body.response_format?.json_schema.schema).toMatchObject({
      type: 'object',
      properties: { colour: { type: 'string' }, count: { type: 'number' } },
      required: ['colour', 'count'],
      additionalProperties: false,
    });
    expect(body.response_format?.json_schema.schema).not.toHaveProperty('$schema');
    expect(log[0]).toMatchObject({ kind: 'json', status: 'ok' });
  });

  it('reads JSON in a fence after prose, with trailing commas and single quotes', async () => {
    const server = await serve(() => ({ json: okChat("Sure! Here it is:\n```json\n{'colour': 'blue', 'count': 3,}\n```\nAnything else?") }));
    const { mllm } = client(server.url);
    expect(await mllm.askJson('Describe it as JSON.', schema)).toEqual({ colour: 'blue', count: 3 });
  });

  it('fails with UPSTREAM_FAILED on garbage or on JSON of the wrong shape, and logs the failure', async () => {
    for (const content of ['I would rather not say.', '{"colour": "red"}']) {
      const server = await serve(() => ({ json: okChat(content) }));
      const { mllm, log } = client(server.url);
      const err = await failure(mllm.askJson('Describe it as JSON.', schema));
      expect(isCtgiError(err, 'UPSTREAM_FAILED')).toBe(true);
      expect(err.message).toMatch(/not the expected JSON/);
      expect(err.message).toContain(server.url);
      // A bad answer is not a transport failure: asking again would give the same answer.
      expect(server.requests).toHaveLength(1);
      expect(log[0]).toMatchObject({ kind: 'json', status: 'failed', attempts: 1, httpStatus: 200 });
      expect(log[0].error).toMatch(/not the expected JSON/);
    }
  });

  it('says so when the answer was cut off at the token limit', async () => {
    const cut = { ...okChat('{"colour": "re'), choices: [{ index: 0, message: { role: 'assistant', content: '{"colour": "re' }, finish_reason: 'length', logprobs: null }] };
    const server = await serve(() => ({ json: cut }));
    const { mllm } = client(server.url);
    const err = await failure(mllm.askJson('Describe it as JSON.', schema));
    expect(isCtgiError(err, 'UPSTREAM_FAILED')).toBe(true);
    expect(err.message).toMatch(/token limit/);
    expect(server.requests).toHaveLength(1);
  });

  it('asks again without response_format when the server refuses it, and stops sending it', async () => {
    const server = await serve((_, body) =>
      (body as { response_format?: unknown }).response_format
        ? { status: 400, json: { error: { message: "Unsupported value: 'response_format.type' json_schema", param: 'response_format' } } }
        : { json: okChat('{"colour": "green", "count": 1}') },
    );
    const { mllm, log } = client(server.url);
    expect(await mllm.askJson('Describe it as JSON.', schema)).toEqual({ colour: 'green', count: 1 });
    expect(await mllm.askJson('Describe it as JSON.', schema)).toEqual({ colour: 'green', count: 1 });
    expect(server.requests.map((r) => 'response_format' in (r.body as object))).toEqual([true, false, false]);
    expect(log.map((e) => e.attempts)).toEqual([2, 1]);

    const plain400 = await serve(() => ({ status: 400, json: { error: { message: 'messages must not be empty' } } }));
    await failure(client(plain400.url).mllm.askJson('x', schema));
    expect(plain400.requests).toHaveLength(1);
  });

  it('uses the fallback reader when the answer has no JSON', async () => {
    const server = await serve(() => ({ json: okChat('Red, two of them.') }));
    const { mllm } = client(server.url);
    const fallback = (text: string) => (text.startsWith('Red') ? { colour: 'red', count: 2 } : undefined);
    expect(await mllm.askJson('Describe it as JSON.', schema, [], { fallback })).toEqual({ colour: 'red', count: 2 });
  });
});

describe('the call log', () => {
  it('records kind, images, attempts and tokens from the usage block, never the key, prompt or image', async () => {
    const server = await serve((n) => (n === 1 ? { status: 502 } : { json: okChat('No.', { prompt_tokens: 321, completion_tokens: 7 }) }));
    const { mllm, log } = client(server.url);
    const png = await readFile(await writePainted(join(dir, 'log.png'), 30, 60, () => BLUE));
    const secret = 'WITNESS-SAYS-ZEBRA-HAT';
    expect(await mllm.askYesNo(`Does this match "${secret}"?`, png)).toBe('no');
    expect(log).toHaveLength(1);
    const entry = log[0];
    expect(entry).toMatchObject({ model: 'fault-model', kind: 'yes-no', images: 1, attempts: 2, status: 'ok', httpStatus: 200, promptTokens: 321, completionTokens: 7 });
    expect(Number.isNaN(Date.parse(entry.at))).toBe(false);
    expect(entry.latencyMs).toBeGreaterThanOrEqual(0);
    const text = JSON.stringify(log);
    for (const leak of [KEY, secret, png.toString('base64').slice(0, 40), 'base64']) expect(text).not.toContain(leak);
    expect(mllm.stats()).toMatchObject({ calls: 1, failures: 0, retries: 1, promptTokens: 321, completionTokens: 7 });
  });
});

describe('images sent to the MLLM', () => {
  /** The images of the n-th recorded request, decoded from their data URLs. */
  function sentImages(server: FaultMllmServer, n = 0): Array<{ mime: string; bytes: Buffer }> {
    const body = server.requests[n].body as { messages: Array<{ content: unknown }> };
    const parts = body.messages.flatMap((m) => (Array.isArray(m.content) ? (m.content as Array<{ type: string; image_url?: { url: string } }>) : []));
    return parts
      .filter((p) => p.type === 'image_url')
      .map((p) => {
        const m = /^data:(image\/[a-z]+);base64,(.*)$/.exec(p.image_url!.url)!;
        return { mime: m[1], bytes: Buffer.from(m[2], 'base64') };
      });
  }

  it('go as JPEG with the long side at most 448, never enlarged', async () => {
    const server = await serve(() => ({}));
    const { mllm } = client(server.url);
    const big = await readFile(await writePainted(join(dir, 'big.png'), 1000, 2000, (x) => (x < 500 ? RED : BLUE)));
    const small = await readFile(await writePainted(join(dir, 'tiny.png'), 100, 200, () => RED));
    await mllm.ask('two images', [big, small]);
    const [a, b] = sentImages(server);
    expect(a.mime).toBe('image/jpeg');
    expect(a.bytes.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    const da = await decodeRgb(a.bytes, 'sent');
    expect([da.width, da.height]).toEqual([224, 448]);
    const db = await decodeRgb(b.bytes, 'sent');
    expect(b.mime).toBe('image/jpeg');
    expect([db.width, db.height]).toEqual([100, 200]);
  });

  it('are EXIF-rotated and have transparency flattened on white', async () => {
    const server = await serve(() => ({}));
    const { mllm } = client(server.url);
    // Stored 100×50, left half red; orientation 6 shows it rotated 90° clockwise: 50×100 with red on top.
    const rotated = await readFile(await writeJpeg(join(dir, 'rot.jpg'), 100, 50, (x) => (x < 50 ? RED : BLUE), 6));
    const clear = await readFile(await writeRgbaPng(join(dir, 'clear.png'), 40, 40, [0, 0, 0, 0]));
    await mllm.ask('two images', [rotated, clear]);
    const [a, b] = sentImages(server);
    const da = await decodeRgb(a.bytes, 'sent');
    expect([da.width, da.height]).toEqual([50, 100]);
    const px = (img: typeof da, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));
    expect(px(da, 25, 10)[0]).toBeGreaterThan(200);
    expect(px(da, 25, 10)[2]).toBeLessThan(60);
    expect(px(da, 25, 90)[2]).toBeGreaterThan(200);
    const db = await decodeRgb(b.bytes, 'sent');
    expect(Math.min(...px(db, 20, 20))).toBeGreaterThan(245);
  });

  it('are encoded once per distinct input and cached; failures are not cached', async () => {
    const cache = new MllmImageCache(448, 3);
    const red = await readFile(await writePainted(join(dir, 'c1.png'), 10, 10, () => RED));
    const blue = await readFile(await writePainted(join(dir, 'c2.png'), 10, 10, () => BLUE));
    const first = await cache.encode(red);
    expect(await cache.encode(Buffer.from(red))).toBe(first);
    expect(await cache.encode(blue)).not.toBe(first);
    await expect(cache.encode(Buffer.from('junk'))).rejects.toMatchObject({ code: 'IMAGE_INVALID' });
    await new Promise((r) => setImmediate(r));
    expect(cache.size).toBe(2);
  });

  it('refuse bytes that are not an image with IMAGE_INVALID before sending anything', async () => {
    const server = await serve(() => ({}));
    const { mllm, log } = client(server.url);
    const err = await failure(mllm.askYesNo('Is it?', Buffer.from('definitely not a png')));
    expect(isCtgiError(err, 'IMAGE_INVALID')).toBe(true);
    expect(server.requests).toHaveLength(0);
    expect(log[0]).toMatchObject({ status: 'failed', attempts: 0 });
  });
});
