import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MLLM_MODEL, startDemoMllmServer, type DemoMllmServer } from '../../src/demo/demo-mllm-server.js';
import { spawnCtgi } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { writeTinyClipModel } from '../fixtures/tiny-clip.js';

// `ctgi eval --mti` on any dataset with any model: the demo world's own files through the generic runner
// give exactly the rows of `eval --demo` (one runner), and a Hugging Face-layout CLIP model runs the whole
// dialogue over a gallery indexed from the dataset.

/** The trained CLIP-layout model beside the project, when present; else a generated one. */
const DEV_MINI_CLIP = resolve(__dirname, '../../../shared/models/dev-mini-clip');

describe('ctgi eval --mti', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let home: string;
  let world: string;
  let server: DemoMllmServer;
  let demoRows: unknown[];

  beforeAll(async () => {
    ({ dir: root, cleanup } = await makeTempDir('eval-mti'));
    home = join(root, 'home');
    const demo = await spawnCtgi(['eval', '--demo', '--identities', '30', '--seed', '4', '--queries', '8', '--rounds', '2', '--dialogues', '1', '--mllm-latency-ms', '0', '--json'], { CTGI_HOME: home });
    expect(demo.stderr).not.toMatch(/Internal error/);
    expect(demo.code).toBe(0);
    demoRows = JSON.parse(demo.stdout).rows;
    world = join(home, 'demo', 'seed-4-people-30');
    server = await startDemoMllmServer({ seed: 4 });
  }, 600_000);

  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });

  const mti = (model: string, extra: string[] = [], env: Record<string, string> = {}) =>
    spawnCtgi(
      ['eval', '--mti', '--model', model, '--dataset', join(world, 'reid_raw.json'), '--images-root', world, '--mllm-url', server.url, '--mllm-model', DEMO_MLLM_MODEL, '--json', ...extra],
      { CTGI_HOME: home, ...env },
    );

  it('gives the rows of eval --demo for the same world, seed and queries (one runner, not two)', async () => {
    const r = await mti(join(world, 'model'), ['--queries-file', join(world, 'queries.json'), '--queries', '8', '--rounds', '2', '--dialogues', '1']);
    expect(r.stderr).not.toMatch(/Internal error/);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout).rows;
    expect(rows.map((x: { mode: string; round: number }) => `${x.mode}@${x.round}`)).toEqual(['retrieval@0', 'mti-mllm@1', 'mti-mllm@2', 'mti-mllm-witness@1', 'mti-mllm-witness@2']);
    expect(rows).toEqual(demoRows);
  }, 600_000);

  it('runs the dialogue over a gallery indexed with a Hugging Face-layout CLIP model, queries taken from the captions', async () => {
    let model = DEV_MINI_CLIP;
    if (!existsSync(join(model, 'onnx', 'text_model.onnx'))) {
      model = join(root, 'tiny-hf');
      await writeTinyClipModel(model, { layout: 'hf', seed: 7 });
    }
    const r = await mti(model, ['--query-style', 'first-sentence', '--queries', '6', '--rounds', '2']);
    expect(r.stderr).not.toMatch(/Internal error/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.queries).toBe(6);
    expect(out.rows).toHaveLength(5);
    for (const row of out.rows) for (const m of ['R1', 'R5', 'R10', 'mAP', 'mINP']) expect(row[m]).toBeGreaterThanOrEqual(0), expect(row[m]).toBeLessThanOrEqual(100);
    const [mllmOnly, withWitness] = out.mti.modes;
    expect(mllmOnly.perRound[0].mllmCalls).toBeGreaterThanOrEqual(20);
    expect(withWitness.witnessQuestionsPerDialogue).toBeGreaterThan(0);
  }, 300_000);

  it('leaves out and counts queries whose person has no image in the split', async () => {
    const queries = JSON.parse(await readFile(join(world, 'queries.json'), 'utf8')).slice(0, 3);
    const file = join(root, 'queries-extra.json');
    await writeFile(file, JSON.stringify([...queries, { identity: 'nobody-here', text: 'a man in a red jacket' }]));
    const r = await mti(join(world, 'model'), ['--queries-file', file, '--rounds', '1', '--witness', 'none']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.queries).toBe(3);
    expect(out.excluded).toBe(1);
    expect(out.rows.map((x: { mode: string }) => x.mode)).toEqual(['retrieval', 'mti-mllm']);
  });

  it('refuses an unreachable witness LLM and a bad queries file with one sentence each', async () => {
    const llm = await mti(join(world, 'model'), ['--queries', '2', '--witness-llm-url', 'http://127.0.0.1:9/v1', '--witness-llm-model', 'x']);
    expect(llm.code).not.toBe(0);
    expect(llm.stderr).toMatch(/witness LLM could not be reached/);
    expect(llm.stderr).not.toMatch(/\n\s+at /);
    const file = join(root, 'bad-queries.json');
    await writeFile(file, '{"not": "a list"}');
    const bad = await mti(join(world, 'model'), ['--queries-file', file]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/must be a JSON array of \{"identity", "text"\}/);
  });
});
