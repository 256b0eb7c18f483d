import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { MllmCallLog } from '../../src/mllm/call-log.js';
import { jsonlCallLog } from '../../src/mllm/call-log.js';
import { openLlmClients } from '../../src/mllm/open-clients.js';
import { okChat, startFaultMllmServer, type FaultMllmServer } from '../fakes/openai-fault-server.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// openLlmClients builds the clients the way the product does, from the environment: which clients exist,
// when they are shared, and that temperature, retries, concurrency and the JSONL call log take effect.

const KEY = 'sk-open-clients-9911';
let server: FaultMllmServer;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('open-clients'));
  server = await startFaultMllmServer((_, body) => {
    const text = JSON.stringify(body);
    if (text.includes('fail please')) return { status: 500 };
    return { delayMs: text.includes('slow please') ? 80 : 0, json: okChat('Fine.', { prompt_tokens: 10, completion_tokens: 2 }) };
  });
});

afterAll(async () => {
  await server.close();
  await cleanup();
});

const env = (extra: Record<string, string> = {}) => ({ CTGI_HOME: dir, CTGI_MLLM_BASE_URL: server.url, CTGI_MLLM_MODEL: 'vlm', CTGI_MLLM_API_KEY: KEY, ...extra });

describe('openLlmClients', () => {
  it('opens nothing without configuration', () => {
    expect(openLlmClients(loadConfig({ CTGI_HOME: dir }))).toEqual({});
  });

  it('shares one client when the Reconstructor uses the MLLM endpoint, and opens two otherwise', () => {
    const same = openLlmClients(loadConfig(env()));
    expect(same.mllm).toBeDefined();
    expect(same.reconstructor).toBe(same.mllm);
    const split = openLlmClients(loadConfig(env({ CTGI_RECONSTRUCTOR_MODEL: 'text-llm' })));
    expect(split.reconstructor).not.toBe(split.mllm);
    expect([split.mllm?.model, split.reconstructor?.model]).toEqual(['vlm', 'text-llm']);
    const textOnly = openLlmClients(loadConfig({ CTGI_HOME: dir, CTGI_RECONSTRUCTOR_BASE_URL: server.url, CTGI_RECONSTRUCTOR_MODEL: 'text-llm' }));
    expect(textOnly.mllm).toBeUndefined();
    expect(textOnly.reconstructor?.model).toBe('text-llm');
  });

  it('sends the configured temperature (0.01 by default) and key', async () => {
    const before = server.requests.length;
    await openLlmClients(loadConfig(env())).mllm!.ask('hello');
    await openLlmClients(loadConfig(env({ CTGI_MLLM_TEMPERATURE: '0.4' }))).mllm!.ask('hello');
    const [a, b] = server.requests.slice(before);
    expect((a.body as { temperature: number }).temperature).toBe(0.01);
    expect((b.body as { temperature: number }).temperature).toBe(0.4);
    expect(a.authorization).toBe(`Bearer ${KEY}`);
  });

  it('applies the configured retries and concurrency cap', async () => {
    const { mllm } = openLlmClients(loadConfig(env({ CTGI_MLLM_MAX_RETRIES: '1', CTGI_MLLM_CONCURRENCY: '1' })));
    let before = server.requests.length;
    await expect(mllm!.ask('fail please')).rejects.toThrow(/HTTP 500/);
    expect(server.requests.length - before).toBe(2);
    before = server.requests.length;
    await Promise.all([1, 2, 3].map(() => mllm!.ask('slow please')));
    expect(server.requests.length - before).toBe(3);
    // Every earlier request in this file was sent alone, so this is the cap at work (3 without it).
    expect(server.maxInFlight).toBe(1);
    expect(mllm!.stats()).toMatchObject({ calls: 4, failures: 1, retries: 1, promptTokens: 30, completionTokens: 6 });
  });

  it('writes one JSON line per call to CTGI_MLLM_LOG (creating its folder) and to onCall, without key or prompt', async () => {
    const path = join(dir, 'deep', 'er', 'mllm.jsonl');
    const seen: MllmCallLog[] = [];
    const { mllm } = openLlmClients(loadConfig(env({ CTGI_MLLM_LOG: path })), { onCall: (e) => seen.push(e) });
    await mllm!.ask('secret witness words');
    await mllm!.ask('more witness words');
    // The file sink writes asynchronously; poll briefly for both lines.
    let text = '';
    for (let i = 0; i < 50 && text.split('\n').filter(Boolean).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
      text = await readFile(path, 'utf8').catch(() => '');
    }
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as MllmCallLog);
    expect(lines).toHaveLength(2);
    expect(lines).toEqual(seen);
    expect(lines[0]).toMatchObject({ model: 'vlm', kind: 'text', status: 'ok', attempts: 1, promptTokens: 10, completionTokens: 2 });
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('witness');
  });
});

describe('jsonlCallLog', () => {
  it('appends in order, and reports a write it cannot do instead of throwing', async () => {
    const path = join(dir, 'log', 'calls.jsonl');
    const sink = jsonlCallLog(path);
    const entry = (n: number): MllmCallLog => ({ at: new Date(0).toISOString(), model: 'm', kind: 'text', images: n, latencyMs: 1, attempts: 1, status: 'ok' });
    for (let n = 0; n < 5; n++) sink(entry(n));
    await sink.flush();
    expect((await readFile(path, 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as MllmCallLog).images)).toEqual([0, 1, 2, 3, 4]);

    const errors: unknown[] = [];
    const broken = jsonlCallLog(join(path, 'not-a-dir', 'x.jsonl'), (err) => errors.push(err));
    expect(() => broken(entry(0))).not.toThrow();
    await broken.flush();
    expect(errors.length).toBeGreaterThan(0);
  });
});
