import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDemoMllm } from '../../app/cli/commands/demo-mllm.command.js';
import type { CliContext } from '../../app/cli/cli-context.js';
import { loadConfig } from '../../src/config/config.js';
import { CAMERA_IDS, sampleAppearance, sampleJitter } from '../../src/demo/appearance.js';
import { sampleAttributes } from '../../src/demo/attribute-sampling.js';
import { DEMO_SLOTS, type PersonAttributes, type DemoSlotKey } from '../../src/demo/attributes.js';
import { interpretAnswer } from '../../src/attributes/answer-reading.js';
import { startDemoMllmServer, type DemoMllmServer } from '../../src/demo/demo-mllm-server.js';
import { renderPersonPng } from '../../src/demo/person-render.js';
import { Rng } from '../../src/demo/rng.js';
import { parseDescription } from '../../src/attributes/description-parser.js';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { OpenAiMllm } from '../../src/mllm/openai-chat.js';
import { anchorVerificationPrompt, followUpQuestionsPrompt, initialCaptionPrompt, queryAggregationPrompt, visualQuestionPrompt } from '../../src/mllm/prompts.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const API_KEY = 'sk-test-do-not-leak-4242';
const PEOPLE = 10;

/** Ground-truth phrases written here, independently of the server's describer. */
const outfit = (a: PersonAttributes) => `a ${a.gender} in a ${a.upperColour} ${a.upperType} and ${a.lowerColour} ${a.lowerType}`;

function top(e: ReturnType<typeof parseDescription>, key: DemoSlotKey): string | undefined {
  return Object.entries(e[key] ?? {}).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))[0]?.[0];
}

function client(baseUrl: string): OpenAiMllm {
  return new OpenAiMllm({ baseUrl, apiKey: API_KEY, model: 'ctgi-demo-mllm', maxRetries: 0, timeoutMs: 10_000 });
}

describe('the demo MLLM over HTTP through the product client', () => {
  let server: DemoMllmServer;
  let mllm: OpenAiMllm;
  const people: PersonAttributes[] = [];
  const images: Buffer[] = [];
  const toClose: DemoMllmServer[] = [];

  beforeAll(async () => {
    server = await startDemoMllmServer({ seed: 1 });
    toClose.push(server);
    mllm = client(server.url);
    const rng = new Rng(77);
    for (let i = 0; i < PEOPLE; i++) {
      const person = sampleAttributes(rng);
      people.push(person);
      images.push(await renderPersonPng(person, sampleAppearance(rng), sampleJitter(rng, rng.pick(CAMERA_IDS))));
    }
  });

  afterAll(async () => {
    await Promise.all(toClose.map((s) => s.close()));
  });

  it('binds 127.0.0.1 and lists its model', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const res = await fetch(`${server.url}/models`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id)).toEqual(['ctgi-demo-mllm']);
  });

  it('answers yes for a matching description and no for another person’s', async () => {
    let yesOwn = 0;
    let noOther = 0;
    let others = 0;
    for (let i = 0; i < PEOPLE; i++) {
      if ((await mllm.askYesNo(anchorVerificationPrompt(outfit(people[i])), images[i])) === 'yes') yesOwn++;
      const j = people.findIndex((p) => p.upperColour !== people[i].upperColour && p.lowerColour !== people[i].lowerColour);
      if (j < 0) continue;
      others++;
      if ((await mllm.askYesNo(anchorVerificationPrompt(outfit(people[j])), images[i])) === 'no') noOther++;
    }
    expect(yesOwn).toBeGreaterThanOrEqual(PEOPLE - 2);
    expect(others).toBeGreaterThanOrEqual(PEOPLE - 2);
    expect(noOther).toBe(others);
  });

  it('answers attribute questions about the image it is sent', async () => {
    const keys: DemoSlotKey[] = ['gender', 'upperColour', 'lowerColour', 'lowerType', 'bag', 'hat', 'glasses', 'shoeColour'];
    let right = 0;
    let asked = 0;
    for (let i = 0; i < PEOPLE; i++) {
      for (const key of keys) {
        const question = DEMO_SLOTS.find((s) => s.key === key)!.question;
        const answer = await mllm.ask(visualQuestionPrompt(question), [images[i]]);
        expect(answer.length).toBeLessThan(80);
        asked++;
        if (top(interpretAnswer(question, answer), key) === people[i][key]) right++;
      }
    }
    expect(right / asked).toBeGreaterThanOrEqual(0.9);
  });

  it('answers the same image the same way whichever client phrasing is used', async () => {
    const colour = await mllm.ask(visualQuestionPrompt("What colour is the person's upper body clothing?"), [images[0]]);
    expect(colour.toLowerCase()).toContain(people[0].upperColour);
    const caption = await mllm.ask(initialCaptionPrompt(), [images[0]]);
    expect(top(parseDescription(caption), 'upperColour')).toBe(people[0].upperColour);
  });

  it('proposes numbered follow-up questions about what the query leaves open', async () => {
    const reply = await mllm.ask(followUpQuestionsPrompt('a man in a red jacket', 3), [images[0]]);
    const lines = reply.split('\n');
    expect(lines).toHaveLength(3);
    lines.forEach((line, i) => expect(line).toMatch(new RegExp(`^${i + 1}\\. .+\\?$`)));
    expect(reply).not.toContain("upper body clothing");
  });

  it('merges a description and answers into one refined description, text only', async () => {
    const reply = await mllm.ask(
      queryAggregationPrompt('a woman with a bag', [
        { question: 'What colour is the bag?', answer: 'Green.' },
        { question: 'Is the person carrying a bag? What kind?', answer: 'Yes, a backpack.' },
        { question: 'Is the person wearing a hat?', answer: 'No.' },
      ]),
    );
    const e = parseDescription(reply);
    expect([top(e, 'gender'), top(e, 'bag'), top(e, 'bagColour'), top(e, 'hat')]).toEqual(['woman', 'backpack', 'green', 'no']);
  });

  it('gives wrong answers at the configured rate, reproducibly per seed', async () => {
    const noisy = await startDemoMllmServer({ errorRate: 0.3, seed: 9 });
    toClose.push(noisy);
    const prompt = anchorVerificationPrompt(outfit(people[0]));
    expect(await mllm.askYesNo(prompt, images[0])).toBe('yes');
    const noisyClient = client(noisy.url);
    const answers: string[] = [];
    for (let i = 0; i < 200; i++) answers.push(await noisyClient.askYesNo(prompt, images[0]));
    const flipped = answers.filter((a) => a === 'no').length;
    // Binomial(200, 0.3): mean 60, sd 6.5; this band is ±3.8 sd.
    expect(flipped).toBeGreaterThanOrEqual(35);
    expect(flipped).toBeLessThanOrEqual(85);
    expect(answers.filter((a) => a === 'unsure')).toHaveLength(0);

    const again = await startDemoMllmServer({ errorRate: 0.3, seed: 9 });
    toClose.push(again);
    const replay: string[] = [];
    for (let i = 0; i < 20; i++) replay.push(await client(again.url).askYesNo(prompt, images[0]));
    expect(replay).toEqual(answers.slice(0, 20));
  });

  it('refuses malformed requests with an OpenAI-style 400', async () => {
    const post = (body: string) => fetch(`${server.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const cases: Array<[string, RegExp]> = [
      ['{"model": "m", "messages": [', /not valid JSON/],
      ['[]', /JSON object/],
      ['{"model": "m", "messages": []}', /non-empty array/],
      ['{"model": "m", "messages": [{"role": "wizard", "content": "hi"}]}', /role/],
      [JSON.stringify({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://example.com/a.png' } }] }] }), /base64 data URLs/],
      [JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true }), /Streaming/],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      expect(res.status).toBe(400);
      const json = (await res.json()) as { error: { message: string; type: string } };
      expect(json.error.type).toBe('invalid_request_error');
      expect(json.error.message).toMatch(message);
    }
    expect((await fetch(`${server.url}/completions`, { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('refuses bodies over its size cap with 413', async () => {
    const small = await startDemoMllmServer({ maxBodyBytes: 2000 });
    toClose.push(small);
    const res = await fetch(`${small.url}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(5000) }] }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/over the limit of 2000 bytes/);
  });

  it('surfaces server errors and a stopped server as UPSTREAM_FAILED naming the URL, never the key', async () => {
    // The client refuses a non-image itself; the server, sent one anyway, answers 400, which the client reports.
    const notAnImage = Buffer.from('definitely not a png');
    const refused = await mllm.ask(visualQuestionPrompt('What colour is the bag?'), [notAnImage]).catch((e: unknown) => e);
    expect(isCtgiError(refused, 'IMAGE_INVALID')).toBe(true);
    const raw = await fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${notAnImage.toString('base64')}` } }] }] }),
    });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as { error: { message: string } }).error.message).toMatch(/Cannot read image/);
    const wrongModelPath = new OpenAiMllm({ baseUrl: `${server.url}/nope`, apiKey: API_KEY, model: 'm', maxRetries: 0 });
    const notFound = await wrongModelPath.ask('hello').catch((e: unknown) => e);
    expect(isCtgiError(notFound, 'UPSTREAM_FAILED')).toBe(true);
    expect((notFound as Error).message).toContain(server.url);
    expect((notFound as Error).message).toMatch(/HTTP 404/);
    expect((notFound as Error).message).not.toContain(API_KEY);

    const slow = await startDemoMllmServer({ latencyMs: 3000 });
    toClose.push(slow);
    const impatient = new OpenAiMllm({ baseUrl: slow.url, apiKey: API_KEY, model: 'm', maxRetries: 0, timeoutMs: 100 });
    const late = await impatient.ask('hello').catch((e: unknown) => e);
    expect(isCtgiError(late, 'UPSTREAM_FAILED')).toBe(true);
    expect((late as Error).message).toMatch(/did not answer in time/);
    expect((late as Error).message).toContain(slow.url);

    const gone = await startDemoMllmServer();
    const goneUrl = gone.url;
    await gone.close();
    const down = await client(goneUrl).ask('hello').catch((e: unknown) => e);
    expect(isCtgiError(down, 'UPSTREAM_FAILED')).toBe(true);
    expect((down as Error).message).toContain(goneUrl);
    expect((down as Error).message).toMatch(/could not be reached/);
    expect((down as Error).message).not.toContain(API_KEY);
  });
});

describe('ctgi demo mllm', () => {
  it('refuses bad options before starting', async () => {
    const ctx = { config: () => loadConfig({}), stdin: process.stdin, stdout: process.stdout, stderr: process.stderr } as CliContext;
    const program = new Command('ctgi').exitOverride().configureOutput({ writeErr: () => {} });
    const demo = program.command('demo').exitOverride();
    registerDemoMllm(demo, ctx);
    demo.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: () => {} }));
    for (const args of [['--error-rate', '2'], ['--port', '70000'], ['--latency-ms', '-1'], ['--seed', 'x']]) {
      await expect(program.parseAsync(['demo', 'mllm', ...args], { from: 'user' })).rejects.toBeInstanceOf(CommanderError);
    }
  });

  it('prints its URL, serves, and stops cleanly on SIGINT', async () => {
    const { dir, cleanup } = await makeTempDir('demo-mllm-cli');
    let child: ReturnType<typeof spawn> | undefined;
    try {
      // .mts: the temp folder has no package.json saying "type": "module".
      const entry = join(dir, 'entry.mts');
      const src = resolve('src');
      const url = (path: string) => JSON.stringify(pathToFileURL(path).href);
      await writeFile(
        entry,
        [
          `import { Command } from ${url(resolve('node_modules/commander/esm.mjs'))};`,
          `import { registerDemoMllm } from ${url(resolve('app/cli/commands/demo-mllm.command.ts'))};`,
          `import { loadConfig } from ${url(join(src, 'config/config.ts'))};`,
          `const ctx = { config: () => loadConfig(), stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };`,
          `const program = new Command('ctgi').exitOverride();`,
          `registerDemoMllm(program.command('demo'), ctx);`,
          `await program.parseAsync(['demo', 'mllm', '--port', '0', '--seed', '3'], { from: 'user' });`,
        ].join('\n'),
      );
      const proc = spawn(process.execPath, [resolve('bin/run-ts.js'), entry], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      let stdout = '';
      let stderr = '';
      proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const baseUrl = await new Promise<string>((ok, fail) => {
        proc.stdout.on('data', (c: Buffer) => {
          stdout += c.toString();
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(stdout);
          if (m) ok(m[1]);
        });
        proc.once('exit', (code) => fail(new Error(`exited ${code} before listening: ${stderr}`)));
      });
      expect(stdout).toMatch(/synthetic demo world only/);
      const res = await fetch(`${baseUrl}/models`);
      expect(res.status).toBe(200);
      const exited = new Promise<number | null>((ok) => proc.once('exit', (code) => ok(code)));
      proc.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stderr).toContain('Demo MLLM stopped.');
      await expect(fetch(`${baseUrl}/models`)).rejects.toThrow();
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await cleanup();
    }
  });
});
