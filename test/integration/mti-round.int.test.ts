import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMtiRound, type RoundState } from '../../agent/round/mti-round.js';
import type { DemoBuild } from '../../src/demo/demo-build.js';
import { DemoTextEncoder } from '../../src/demo/demo-encoder.js';
import { DEMO_MLLM_MODEL, startDemoMllmServer } from '../../src/demo/demo-mllm-server.js';
import { WitnessSimulator } from '../../src/demo/witness-simulator.js';
import type { DemoIdentity } from '../../src/demo/world.js';
import { GalleryIndex } from '../../src/gallery/gallery-index.js';
import type { z } from 'zod';
import type { AskJsonOptions, Mllm } from '../../src/mllm/mllm.js';
import { OpenAiMllm } from '../../src/mllm/openai-chat.js';
import type { YesNo } from '../../src/mllm/yes-no.js';
import { openDemoWorld, type DemoWorldFixture } from '../helpers/demo-world.js';
import { spreadSample } from '../../src/util/spread-sample.js';

const PEOPLE = 40;
const SAMPLE = 10;

/** Wraps an MLLM and records how many candidate checks (JSON calls) were in flight at once. */
class CountingMllm implements Mllm {
  jsonCalls = 0;
  inFlight = 0;
  peak = 0;
  constructor(private readonly inner: Mllm) {}
  ask(prompt: string, images?: Buffer[]): Promise<string> {
    return this.inner.ask(prompt, images);
  }
  askYesNo(prompt: string, image: Buffer): Promise<YesNo> {
    return this.inner.askYesNo(prompt, image);
  }
  askJson<T>(prompt: string, schema: z.ZodType<T>, images?: Buffer[], options?: AskJsonOptions<T>): Promise<T> {
    this.jsonCalls++;
    return this.track(() => this.inner.askJson(prompt, schema, images, options));
  }
  private async track<T>(call: () => Promise<T>): Promise<T> {
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    try {
      // A macrotask boundary, so calls started together overlap even when the server answers at once.
      await new Promise((r) => setTimeout(r, 1));
      return await call();
    } finally {
      this.inFlight--;
    }
  }
}

describe('one MTI round on the demo world, with the demo MLLM over HTTP', () => {
  let world: DemoWorldFixture;
  let build: DemoBuild;
  let gallery: GalleryIndex;
  let mllm: OpenAiMllm;
  const textEncoder = new DemoTextEncoder();
  let personOf: Map<number, number>;
  let queries: Array<{ text: string; person: DemoIdentity }>;

  beforeAll(async () => {
    world = await openDemoWorld('mti-round', { identities: PEOPLE, seed: 3, maxConcurrency: 32 });
    ({ build, gallery, mllm, personOf } = world);
    const all = build.world.identities.flatMap((person) => person.vagueQueries.map((text) => ({ text, person })));
    queries = spreadSample(all, SAMPLE);
  });

  afterAll(async () => {
    await world?.close();
  });

  /** 1-based position of the person's first image: in `ranked`, else after it in plain-retrieval order. */
  async function targetRank(query: string, person: DemoIdentity, ranked: number[] = []): Promise<number> {
    const [v] = await textEncoder.embedTexts([query]);
    const rest = gallery.search(v, { top: gallery.size, exact: true }).map((h) => h.id).filter((id) => !ranked.includes(id));
    return [...ranked, ...rest].findIndex((id) => personOf.get(id) === person.id) + 1;
  }

  const witnessFor = (person: DemoIdentity, seed: number) => {
    const sim = new WitnessSimulator(person.attributes, { seed });
    return async (q: { text: string; options: string[] }) => sim.answer(q);
  };

  it('with the witness, two rounds move the described person up for most queries, and anchors are found', async () => {
    let better = 0;
    let worse = 0;
    let notFirst = 0;
    let withAnchors = 0;
    for (const [i, q] of queries.entries()) {
      const before = await targetRank(q.text, q.person);
      let state: RoundState | undefined;
      let ranking: number[] = [];
      for (let round = 0; round < 2; round++) {
        const r = await runMtiRound({ query: q.text, previous: state, gallery, textEncoder, mllm, witness: witnessFor(q.person, i + 1) });
        expect(r.notices).toEqual([]);
        if (r.anchors.length > 0) withAnchors++;
        ranking = r.ranking.map((x) => x.id);
        state = r.state;
        if (r.earlyStop) break;
      }
      const after = await targetRank(q.text, q.person, ranking);
      if (before > 1) notFirst++;
      if (after < before) better++;
      if (after > before) worse++;
    }
    expect(withAnchors).toBeGreaterThan(0);
    expect(better).toBeGreaterThan(worse);
    expect(better).toBeGreaterThanOrEqual(Math.ceil(notFirst / 2));
  });

  it('goes on witness-only with a notice when the MLLM server is down', async () => {
    const dead = await startDemoMllmServer({});
    await dead.close();
    const down = new OpenAiMllm({ baseUrl: dead.url, model: DEMO_MLLM_MODEL, maxRetries: 0, timeoutMs: 5_000 });
    const q = queries[0];
    const asked: string[] = [];
    const r = await runMtiRound({
      query: q.text,
      gallery,
      textEncoder,
      mllm: down,
      witness: async (question) => {
        asked.push(question.text);
        return witnessFor(q.person, 7)(question);
      },
    });
    expect(r.notices.join(' ')).toMatch(/could not be reached/);
    expect(r.anchors).toEqual([]);
    expect(r.questions.mllm).toEqual([]);
    expect(asked).toHaveLength(2);
    expect(r.ranking.length).toBeGreaterThan(0);
    expect(r.state.round).toBe(1);
  });

  it('without an MLLM the witness is asked and the answers are merged by template', async () => {
    const q = queries[1];
    const r = await runMtiRound({ query: q.text, gallery, textEncoder, witness: async () => 'red' });
    expect(r.mllmCalls).toBe(0);
    expect(r.anchors).toEqual([]);
    // The first two template questions by SLOTS weight that the query leaves open.
    expect(r.witnessQuestions).toBe(2);
    expect(r.questions.witness.every((x) => x.slot !== undefined)).toBe(true);
    const redSettled = r.answers.filter((a) => a.status === 'known' && a.value === 'red');
    if (redSettled.length > 0) expect(r.refinedQuery).toContain('red');
    expect(r.refinedQuery.startsWith(q.text.trim().replace(/\.$/, ''))).toBe(true);
    // Without settled answers nothing changes; with them the refined query differs from q.
    expect(r.refinedQuery === q.text.trim()).toBe(redSettled.length === 0);
  });

  it('asks the witness first about the attribute that splits the candidates when per-candidate evidence is given', async () => {
    const q = queries[3];
    // Half the candidates have a hat, half not; nothing else differs: the hat question has the only gain.
    const candidateEvidence = async (ids: readonly number[]) => new Map(ids.map((id, i) => [id, { hat: i % 2 === 0 ? { yes: 1 } : { no: 1 } }]));
    const r = await runMtiRound({ query: q.text, gallery, textEncoder, candidateEvidence, witness: async () => null, options: { witnessPerRound: 2 } });
    // Only questions with a positive gain go to the witness when evidence exists.
    expect(r.questions.witness.map((x) => x.slot)).toEqual(['hat']);
  });

  it('checks the top-K in parallel (one call each, carrying the questions), and one at a time in the sequential mode', async () => {
    const q = queries[2];
    const parallel = new CountingMllm(mllm);
    const p = await runMtiRound({ query: q.text, gallery, textEncoder, mllm: parallel, options: { K: 20 } });
    const sequential = new CountingMllm(mllm);
    const s = await runMtiRound({ query: q.text, gallery, textEncoder, mllm: sequential, options: { K: 20, sequentialAnchorVerification: true } });
    expect(parallel.jsonCalls).toBe(20);
    expect(p.verificationCalls).toBe(20);
    expect(parallel.peak).toBe(20);
    expect(sequential.jsonCalls).toBe(20);
    expect(sequential.peak).toBe(1);
    // Same anchors either way: the highest-ranked "yes" answers.
    expect(s.anchors).toEqual(p.anchors);
  });
});
