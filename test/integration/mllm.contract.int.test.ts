import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CAMERA_IDS, sampleAppearance, sampleJitter } from '../../src/demo/appearance.js';
import { sampleAttributes } from '../../src/demo/attribute-sampling.js';
import type { PersonAttributes } from '../../src/demo/attributes.js';
import { DEMO_MLLM_MODEL, startDemoMllmServer, type DemoMllmServer } from '../../src/demo/demo-mllm-server.js';
import { renderPersonPng } from '../../src/demo/person-render.js';
import { Rng } from '../../src/demo/rng.js';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { checkAnchor } from '../../src/mllm/anchor-check.js';
import type { Mllm } from '../../src/mllm/mllm.js';
import { OpenAiMllm, type OpenAiMllmOptions } from '../../src/mllm/openai-chat.js';
import { anchorVerificationPrompt, initialCaptionPrompt } from '../../src/mllm/prompts.js';
import { PacedMllm, RequestPacer } from '../../src/mtg/request-pacer.js';
import { decodeRgb } from '../../src/vision/rgb-decode.js';
import { okChat, startFaultMllmServer, type FaultStep } from '../fakes/openai-fault-server.js';
import { ScriptedMllm, upstreamFailure } from '../fakes/scripted-mllm.js';
import { BLUE, GREEN, RED, writePainted } from '../fixtures/images.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// One suite every Mllm adapter passes (as langgraphjs's checkpoint `specTest`): the product client over a
// scripted OpenAI-compatible server, the same client behind the request pacer, and the scripted fake tests
// use instead of either. Each harness answers from a backend script of the request number.

/** What the backend does with its n-th request: answer `text` (after `delayMs`), or fail with an HTTP status. */
type BackendStep = { text: string; delayMs?: number } | { status: number };

/** A request as the backend received it; images as the bytes it could decode. */
interface Received {
  prompt: string;
  images: Buffer[];
  /** How the images travelled, for adapters that send URLs. */
  imageUrls?: string[];
}

interface MllmHarness {
  mllm: Mllm;
  /** Requests that reached the backend, retries included. */
  received: Received[];
  /** Most requests the backend had in progress at once. */
  maxInFlight(): number;
}

interface HarnessOptions {
  maxConcurrency?: number;
  maxRetries?: number;
}

/** What an adapter does beyond the port's minimum. */
interface AdapterFeatures {
  /** Re-sends after 429 and 5xx answers, up to `maxRetries` times, but never after other 4xx. */
  retries: boolean;
  /** Keeps at most `maxConcurrency` requests in flight, over all methods. */
  concurrencyCap: boolean;
  /** Refuses bytes that are not an image with IMAGE_INVALID before sending anything. */
  checksImages: boolean;
}

type HarnessFactory = (script: (n: number, request: Received) => BackendStep, options?: HarnessOptions) => Promise<MllmHarness>;

const failure = (p: Promise<unknown>) => p.then(() => expect.unreachable('the call should fail'), (err: unknown) => err as Error);

/** Mean R, G, B of an encoded image. */
async function meanColour(bytes: Buffer): Promise<number[]> {
  const { data } = await decodeRgb(bytes, 'received image');
  const sum = [0, 0, 0];
  for (let i = 0; i < data.length; i++) sum[i % 3] += data[i];
  return sum.map((s) => s / (data.length / 3));
}

/** Which of red, green and blue dominates an encoded image. */
async function dominant(bytes: Buffer): Promise<'red' | 'green' | 'blue'> {
  const [r, g, b] = await meanColour(bytes);
  return r >= g && r >= b ? 'red' : g >= b ? 'green' : 'blue';
}

/** The behaviour every Mllm adapter must share. */
export function mllmContract(name: string, open: HarnessFactory, features: AdapterFeatures): void {
  describe(`Mllm contract: ${name}`, () => {
    let red: Buffer;
    let green: Buffer;
    let blue: Buffer;
    let cleanup: () => Promise<void>;

    beforeAll(async () => {
      const temp = await makeTempDir('mllm-contract');
      cleanup = temp.cleanup;
      red = await readFile(await writePainted(join(temp.dir, 'red.png'), 24, 48, () => RED));
      green = await readFile(await writePainted(join(temp.dir, 'green.png'), 24, 48, () => GREEN));
      blue = await readFile(await writePainted(join(temp.dir, 'blue.png'), 24, 48, () => BLUE));
    });
    afterAll(() => cleanup());

    it('ask sends the prompt with no image and returns the answer text, trimmed', async () => {
      const h = await open(() => ({ text: '  A plain street.\n' }));
      expect(await h.mllm.ask('Describe the background.')).toBe('A plain street.');
      expect(h.received).toHaveLength(1);
      expect(h.received[0].prompt).toContain('Describe the background.');
      expect(h.received[0].images).toEqual([]);
    });

    it('ask sends every image, in order, as an image the backend can decode', async () => {
      const h = await open(() => ({ text: 'Three people.' }));
      expect(await h.mllm.ask('Compare them.', [blue, red, green])).toBe('Three people.');
      const [request] = h.received;
      expect(await Promise.all(request.images.map(dominant))).toEqual(['blue', 'red', 'green']);
      for (const url of request.imageUrls ?? []) expect(url).toMatch(/^data:image\/jpeg;base64,[A-Za-z0-9+/]+=*$/);
    });

    it('askYesNo sends the one image and reads yes, no and anything else as unsure', async () => {
      const answers = ['Yes, the person matches.', 'No.', 'I cannot tell from this image.', '**No**, the jacket is blue.'];
      const h = await open((n) => ({ text: answers[n - 1] }));
      const got = [];
      for (const image of [red, blue, green, red]) got.push(await h.mllm.askYesNo('Is this the person?', image));
      expect(got).toEqual(['yes', 'no', 'unsure', 'no']);
      expect(h.received.map((r) => r.images.length)).toEqual([1, 1, 1, 1]);
      expect(await dominant(h.received[1].images[0])).toBe('blue');
    });

    describe('askJson', () => {
      const schema = z.object({ colour: z.string(), count: z.number() });

      it('returns the parsed answer, strict or loosely written', async () => {
        const answers = ['{"colour": "red", "count": 2}', "Here you go:\n```json\n{'colour': 'blue', 'count': 3,}\n```"];
        const h = await open((n) => ({ text: answers[n - 1] }));
        expect(await h.mllm.askJson('Colour and count as JSON.', schema, [red])).toEqual({ colour: 'red', count: 2 });
        expect(await h.mllm.askJson('Colour and count as JSON.', schema)).toEqual({ colour: 'blue', count: 3 });
        expect(h.received.map((r) => r.images.length)).toEqual([1, 0]);
      });

      it('fails with UPSTREAM_FAILED on an answer that is not JSON of the schema, unless the fallback reads it', async () => {
        const answers = ['{"colour": "red", "count": "two"}', 'Red, and there are two.', 'Red, and there are two.'];
        const h = await open((n) => ({ text: answers[n - 1] }));
        const wrongShape = await failure(h.mllm.askJson('JSON please.', schema));
        expect(isCtgiError(wrongShape, 'UPSTREAM_FAILED'), String(wrongShape)).toBe(true);
        const prose = await failure(h.mllm.askJson('JSON please.', schema));
        expect(isCtgiError(prose, 'UPSTREAM_FAILED'), String(prose)).toBe(true);
        expect(await h.mllm.askJson('JSON please.', schema, [], { fallback: (t) => (t.startsWith('Red') ? { colour: 'red', count: 2 } : undefined) })).toEqual({
          colour: 'red',
          count: 2,
        });
        // A bad answer is the model's doing: re-sending would not change it.
        expect(h.received).toHaveLength(3);
      });
    });

    it('turns a backend that keeps failing into one CtgiError UPSTREAM_FAILED sentence, for every method', async () => {
      const h = await open(() => ({ status: 500 }), { maxRetries: 2 });
      const errors = [
        await failure(h.mllm.ask('hello')),
        await failure(h.mllm.askYesNo('Is it?', red)),
        await failure(h.mllm.askJson('JSON.', z.object({ a: z.string() }))),
      ];
      for (const err of errors) {
        expect(isCtgiError(err, 'UPSTREAM_FAILED'), String(err)).toBe(true);
        expect(err.message).toMatch(/^[A-Z][^\n]*\.$/);
      }
      expect(h.received).toHaveLength(features.retries ? 9 : 3);
    });

    it('gives concurrent calls each their own answer, whatever order the backend finishes in', async () => {
      const h = await open((_, r) => {
        const k = Number(/#(\d)/.exec(r.prompt)?.[1]);
        return { text: `answer ${k}`, delayMs: (6 - k) * 15 };
      });
      const calls = [0, 1, 2, 3, 4, 5].map((k) => (k % 2 ? h.mllm.ask(`Question #${k}`, [red]) : h.mllm.ask(`Question #${k}`)));
      expect(await Promise.all(calls)).toEqual([0, 1, 2, 3, 4, 5].map((k) => `answer ${k}`));
    });

    if (features.retries) {
      it('re-sends after a 429 and a 503 and returns the answer that follows', async () => {
        const h = await open((n) => (n === 1 ? { status: 429 } : n === 2 ? { status: 503 } : { text: 'Finally.' }), { maxRetries: 3 });
        expect(await h.mllm.ask('hello', [red])).toBe('Finally.');
        expect(h.received).toHaveLength(3);
        // Every attempt carries the same request.
        expect(new Set(h.received.map((r) => `${r.prompt}|${r.images.length}`)).size).toBe(1);
      });

      it('does not re-send after a 400 or a 401', async () => {
        for (const status of [400, 401]) {
          const h = await open(() => ({ status }), { maxRetries: 3 });
          const err = await failure(h.mllm.ask('hello'));
          expect(isCtgiError(err, 'UPSTREAM_FAILED')).toBe(true);
          expect(err.message).toContain(`HTTP ${status}`);
          expect(h.received).toHaveLength(1);
        }
      });
    }

    if (features.concurrencyCap) {
      it('keeps at most maxConcurrency requests in flight at the backend, over all methods', async () => {
        const h = await open(() => ({ text: 'yes', delayMs: 40 }), { maxConcurrency: 2 });
        const answers = await Promise.all([
          ...[1, 2, 3].map(() => h.mllm.ask('hello')),
          ...[1, 2, 3].map(() => h.mllm.askYesNo('Is it?', red)),
          h.mllm.askJson('JSON.', z.object({}).passthrough()).catch(() => 'not json'),
        ]);
        expect(answers.slice(0, 6)).toEqual(['yes', 'yes', 'yes', 'yes', 'yes', 'yes']);
        expect(h.received).toHaveLength(7);
        expect(h.maxInFlight()).toBe(2);
      });
    }

    if (features.checksImages) {
      it('refuses bytes that are not an image with IMAGE_INVALID, sending nothing', async () => {
        const h = await open(() => ({ text: 'Yes.' }));
        const err = await failure(h.mllm.askYesNo('Is it?', Buffer.from('definitely not an image')));
        expect(isCtgiError(err, 'IMAGE_INVALID'), String(err)).toBe(true);
        expect(err.message).toMatch(/^[A-Z][^\n]*\.$/);
        expect(h.received).toHaveLength(0);
      });
    }
  });
}

// ---- Harnesses -------------------------------------------------------------------------------------------

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
});

/** A request body of the OpenAI chat API, read back into prompt and images. */
function readChatBody(body: unknown): Received {
  const messages = (body as { messages?: Array<{ role: string; content: unknown }> }).messages ?? [];
  const user = messages.filter((m) => m.role === 'user').at(-1)?.content;
  if (typeof user === 'string') return { prompt: user, images: [], imageUrls: [] };
  const parts = (user ?? []) as Array<{ type: string; text?: string; image_url?: { url: string } }>;
  const imageUrls = parts.filter((p) => p.type === 'image_url').map((p) => p.image_url?.url ?? '');
  return {
    prompt: parts.filter((p) => p.type === 'text').map((p) => p.text).join('\n'),
    imageUrls,
    images: imageUrls.map((url) => Buffer.from(/^data:[^;]+;base64,(.*)$/s.exec(url)?.[1] ?? '', 'base64')),
  };
}

/** The product client against the scripted OpenAI-compatible server; back-off waits are skipped. */
async function openAiHarness(script: (n: number, r: Received) => BackendStep, options: HarnessOptions = {}, extra: Partial<OpenAiMllmOptions> = {}) {
  const received: Received[] = [];
  const server = await startFaultMllmServer((n, body): FaultStep => {
    const request = readChatBody(body);
    received.push(request);
    const step = script(n, request);
    return 'status' in step ? { status: step.status } : { json: okChat(step.text), delayMs: step.delayMs };
  });
  closers.push(() => server.close());
  const mllm = new OpenAiMllm({
    baseUrl: server.url,
    model: 'contract-model',
    timeoutMs: 10_000,
    retryBaseMs: 1,
    sleep: async () => {},
    maxRetries: options.maxRetries ?? 0,
    ...(options.maxConcurrency ? { maxConcurrency: options.maxConcurrency } : {}),
    ...extra,
  });
  return { mllm, received, maxInFlight: () => server.maxInFlight };
}

const HTTP_FEATURES: AdapterFeatures = { retries: true, concurrencyCap: true, checksImages: true };

mllmContract('OpenAiMllm over an OpenAI-compatible server', (script, options) => openAiHarness(script, options), HTTP_FEATURES);

mllmContract(
  'PacedMllm over OpenAiMllm',
  async (script, options) => {
    const inner = await openAiHarness(script, options);
    // A pacer whose waits are recorded, not slept: the contract is about answers, not about the clock.
    const pacer = new RequestPacer(60, () => 0, async () => {});
    return { ...inner, mllm: new PacedMllm(inner.mllm, pacer) };
  },
  HTTP_FEATURES,
);

mllmContract(
  'ScriptedMllm (test fake)',
  async (script) => {
    const received: Received[] = [];
    let inFlight = 0;
    let most = 0;
    const mllm = new ScriptedMllm([
      {
        reply: async (call) => {
          const request = { prompt: call.prompt, images: call.images };
          received.push(request);
          const step = script(received.length, request);
          if ('status' in step) upstreamFailure(`The scripted MLLM answered HTTP ${step.status}.`);
          most = Math.max(most, ++inFlight);
          await new Promise((resolve) => setTimeout(resolve, step.delayMs ?? 0));
          inFlight--;
          return step.text;
        },
      },
    ]);
    return { mllm, received, maxInFlight: () => most };
  },
  { retries: false, concurrencyCap: false, checksImages: false },
);

describe('PacedMllm', () => {
  it('waits for the pacer once per call, before the request, whatever the method', async () => {
    const events: string[] = [];
    const server = await startFaultMllmServer(() => {
      events.push('request');
      return { json: okChat('{"ok": true}') };
    });
    closers.push(() => server.close());
    let now = 0;
    const pacer = new RequestPacer(60, () => now, async (ms) => {
      events.push(`wait ${ms}`);
      now += ms;
    });
    const mllm = new PacedMllm(new OpenAiMllm({ baseUrl: server.url, model: 'm', maxRetries: 0 }), pacer);
    await mllm.ask('a');
    await mllm.askYesNo('b', Buffer.alloc(0)).catch(() => undefined);
    await mllm.askJson('c', z.object({ ok: z.boolean() }));
    // 60 per minute: one start per second. The yes/no call with an empty image fails before
    // sending but still took its slot.
    expect(events).toEqual(['request', 'wait 1000', 'wait 1000', 'request']);
  });
});

describe('OpenAiMllm and PacedMllm over the demo MLLM server', () => {
  let server: DemoMllmServer;
  const people: PersonAttributes[] = [];
  const images: Buffer[] = [];
  const outfit = (a: PersonAttributes) => `a ${a.gender} in a ${a.upperColour} ${a.upperType} and ${a.lowerColour} ${a.lowerType}`;

  beforeAll(async () => {
    server = await startDemoMllmServer({ seed: 3 });
    closers.push(() => server.close());
    const rng = new Rng(4242);
    while (people.length < 4) {
      const person = sampleAttributes(rng);
      if (people.some((p) => p.upperColour === person.upperColour || p.lowerColour === person.lowerColour)) continue;
      people.push(person);
      images.push(await renderPersonPng(person, sampleAppearance(rng), sampleJitter(rng, rng.pick(CAMERA_IDS))));
    }
  });

  it('answer the same questions the same way, with well-formed answers', async () => {
    const plain = new OpenAiMllm({ baseUrl: server.url, model: DEMO_MLLM_MODEL, maxRetries: 0, timeoutMs: 10_000 });
    const paced = new PacedMllm(new OpenAiMllm({ baseUrl: server.url, model: DEMO_MLLM_MODEL, maxRetries: 0, timeoutMs: 10_000 }), new RequestPacer(60, () => 0, async () => {}));
    const answersOf = async (mllm: Mllm) => {
      const out: unknown[] = [];
      for (const [i, image] of images.entries()) {
        const other = people[(i + 1) % people.length];
        out.push(await mllm.askYesNo(anchorVerificationPrompt(outfit(people[i])), image));
        out.push(await mllm.askYesNo(anchorVerificationPrompt(outfit(other)), image));
        out.push(await checkAnchor(mllm, outfit(people[i]), ["What colour is the person's upper body clothing?"], image));
        out.push(await mllm.ask(initialCaptionPrompt(), [image]));
      }
      return out;
    };
    const a = await answersOf(plain);
    expect(await answersOf(paced)).toEqual(a);
    const own = a.filter((_, k) => k % 4 === 0);
    const other = a.filter((_, k) => k % 4 === 1);
    expect(own.filter((x) => x === 'yes').length).toBeGreaterThanOrEqual(3);
    expect(other).toEqual(['no', 'no', 'no', 'no']);
    for (const check of a.filter((_, k) => k % 4 === 2)) expect(check).toMatchObject({ match: expect.stringMatching(/^(yes|no)$/), answers: [expect.any(String)] });
    a.filter((_, k) => k % 4 === 3).forEach((caption, i) => expect(String(caption).toLowerCase()).toContain(people[i].upperColour));
  });
});
