import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { runMtiEvaluation, type MtiEvalRow, type MtiQuery } from '../../agent/eval/mti-evaluation.js';
import { DATASET_FILE, QUERIES_FILE } from '../../src/demo/world-files.js';
import { readDataset } from '../../src/datasets/dataset-io.js';
import { CaptionWitness } from '../../src/eval/caption-witness.js';
import type { AskJsonOptions, Mllm } from '../../src/mllm/mllm.js';
import { OpenAiMllm } from '../../src/mllm/openai-chat.js';
import type { YesNo } from '../../src/mllm/yes-no.js';
import { openTextEncoder } from '../../src/models/open-encoders.js';
import { spreadSample } from '../../src/util/spread-sample.js';
import { openDemoWorld, type DemoWorldFixture } from '../helpers/demo-world.js';

// The benchmark runs the product's dialogue graph (not a second loop) over a demo world, with the demo
// MLLM over HTTP and a simulated witness that knows only the target's captions.

/** Records how many candidate checks (JSON calls) were in flight at once. */
class PeakMllm implements Mllm {
  inFlight = 0;
  peak = 0;
  constructor(private readonly inner: Mllm) {}
  ask(prompt: string, images?: Buffer[]): Promise<string> {
    return this.inner.ask(prompt, images);
  }
  askYesNo(prompt: string, image: Buffer): Promise<YesNo> {
    return this.inner.askYesNo(prompt, image);
  }
  async askJson<T>(prompt: string, schema: z.ZodType<T>, images?: Buffer[], options?: AskJsonOptions<T>): Promise<T> {
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    try {
      await new Promise((r) => setTimeout(r, 1));
      return await this.inner.askJson(prompt, schema, images, options);
    } finally {
      this.inFlight--;
    }
  }
}

describe('MTI evaluation through the dialogue graph', () => {
  let world: DemoWorldFixture;
  let queries: MtiQuery[];
  let captionsOf: Map<string, string[]>;

  beforeAll(async () => {
    world = await openDemoWorld('mti-eval', { identities: 40, seed: 3, maxConcurrency: 64 });
    const all = JSON.parse(await readFile(join(world.build.out, QUERIES_FILE), 'utf8')) as Array<{ identity: number; text: string }>;
    queries = spreadSample(all.map((q) => ({ identity: String(q.identity), text: q.text })), 16);
    const dataset = await readDataset(join(world.build.out, DATASET_FILE));
    captionsOf = new Map();
    for (const e of dataset.entries) captionsOf.set(String(e.id), [...(captionsOf.get(String(e.id)) ?? []), ...e.captions]);
  });

  afterAll(async () => {
    await world?.close();
  });

  const get = (rows: MtiEvalRow[], mode: string, round: number) => rows.find((r) => r.mode === mode && r.round === round)!;

  it('moves the described person up with the witness, and the MLLM alone never ranks worse than retrieval', async () => {
    const textEncoder = await openTextEncoder(world.build.modelDir);
    try {
      const result = await runMtiEvaluation({
        gallery: world.gallery,
        textEncoder,
        mllm: world.mllm,
        queries,
        modes: ['mti-mllm', 'mti-mllm-witness'],
        witness: (q) => new CaptionWitness(captionsOf.get(q.identity) ?? []),
        rounds: 2,
      });
      const base = get(result.rows, 'retrieval', 0);
      const withWitness = get(result.rows, 'mti-mllm-witness', 2);
      expect(withWitness.R1).toBeGreaterThanOrEqual(base.R1 + 20);
      for (const round of [1, 2]) {
        const mllmOnly = get(result.rows, 'mti-mllm', round);
        for (const m of ['R1', 'R5', 'R10', 'mAP'] as const) expect(mllmOnly[m], `${m} round ${round}`).toBeGreaterThanOrEqual(base[m] - 1e-9);
      }
      const [mllmStats, witnessStats] = result.modes;
      expect(mllmStats.witnessQuestionsPerDialogue).toBe(0);
      expect(witnessStats.witnessQuestionsPerDialogue).toBeGreaterThan(0);
      // One MLLM call per candidate per round (K = 20), plus a follow-up proposal and a rewrite.
      expect(mllmStats.perRound[0].mllmCalls).toBeGreaterThanOrEqual(20);
      expect(result.modes.map((m) => m.failed)).toEqual([0, 0]);
    } finally {
      await textEncoder.close();
    }
  });

  it('checks the K candidates of a round in parallel', async () => {
    const textEncoder = await openTextEncoder(world.build.modelDir);
    const mllm = new PeakMllm(world.mllm);
    try {
      await runMtiEvaluation({ gallery: world.gallery, textEncoder, mllm, queries: queries.slice(0, 1), modes: ['mti-mllm'], rounds: 1, concurrency: 1 });
      expect(mllm.peak).toBeGreaterThanOrEqual(10);
    } finally {
      await textEncoder.close();
    }
  });

  it('goes on witness-only with a notice when the MLLM is down, and rows still come out', async () => {
    const textEncoder = await openTextEncoder(world.build.modelDir);
    const down = new OpenAiMllm({ baseUrl: 'http://127.0.0.1:9/v1', model: 'none', maxRetries: 0, timeoutMs: 2000 });
    try {
      const result = await runMtiEvaluation({
        gallery: world.gallery,
        textEncoder,
        mllm: down,
        queries: queries.slice(0, 6),
        modes: ['mti-mllm-witness'],
        witness: (q) => new CaptionWitness(captionsOf.get(q.identity) ?? []),
        rounds: 1,
      });
      expect(result.notices.join(' ')).toMatch(/MLLM failed in 6 dialogues/);
      expect(get(result.rows, 'mti-mllm-witness', 1).R1).toBeGreaterThanOrEqual(get(result.rows, 'retrieval', 0).R1);
      expect(result.modes[0].witnessQuestionsPerDialogue).toBeGreaterThan(0);
    } finally {
      await textEncoder.close();
    }
  });

  it('without an MLLM the witness alone refines the search', async () => {
    const textEncoder = await openTextEncoder(world.build.modelDir);
    try {
      const result = await runMtiEvaluation({
        gallery: world.gallery,
        textEncoder,
        queries,
        modes: ['mti-mllm-witness'],
        witness: (q) => new CaptionWitness(captionsOf.get(q.identity) ?? []),
        rounds: 2,
      });
      expect(result.modes[0].mllmCallsPerDialogue).toBe(0);
      expect(get(result.rows, 'mti-mllm-witness', 2).R1).toBeGreaterThan(get(result.rows, 'retrieval', 0).R1);
    } finally {
      await textEncoder.close();
    }
  });
});
