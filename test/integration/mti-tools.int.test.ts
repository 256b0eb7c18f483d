import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMtiTools, type MtiTools } from '../../agent/tools/mti-tools.js';
import type { DemoBuild } from '../../src/demo/demo-build.js';
import { DemoTextEncoder } from '../../src/demo/demo-encoder.js';
import { openDemoWorld, type DemoWorldFixture } from '../helpers/demo-world.js';
import { DEFAULT_ROUND_OPTIONS } from '../../agent/round/round-options.js';

describe('the MTI LangChain tools on the demo world', () => {
  let world: DemoWorldFixture;
  let build: DemoBuild;
  let tools: MtiTools;
  let noMllm: MtiTools;
  let personOf: Map<number, number>;

  beforeAll(async () => {
    world = await openDemoWorld('mti-tools', { identities: 20, seed: 9 });
    ({ build, personOf } = world);
    const base = { gallery: world.gallery, textEncoder: new DemoTextEncoder(), options: DEFAULT_ROUND_OPTIONS, readImage: world.readImage };
    tools = createMtiTools({ ...base, mllm: world.mllm, reconstructor: world.mllm });
    noMllm = createMtiTools(base);
  }, 60_000);

  afterAll(async () => {
    await world?.close();
  });

  it('describes every tool with a name, a description and a JSON schema a model can bind', () => {
    const names = Object.values(tools).map((t) => t.name);
    expect(names.sort()).toEqual(['ask_mllm_about_image', 'ask_witness', 'propose_follow_up_questions', 'refine_query', 'rerank', 'search_gallery', 'verify_anchor']);
    for (const t of Object.values(tools)) expect(t.description.length).toBeGreaterThan(20);
  });

  it('refuses arguments that do not fit the schema', async () => {
    await expect(tools.searchGallery.invoke({ query: '' } as never)).rejects.toThrow();
    await expect(tools.verifyAnchor.invoke({ description: 'a man', imageId: -1 } as never)).rejects.toThrow();
    await expect(tools.rerank.invoke({ query: 'a', refined: 'b', lambda: 2 } as never)).rejects.toThrow();
  });

  it('search, verify, ask, refine and re-rank work on real images and agree with the ground truth', async () => {
    const person = build.world.identities[4];
    const a = person.attributes;
    const description = `a ${a.gender} in a ${a.upperColour} ${a.upperType} and ${a.lowerColour} ${a.lowerType}`;
    const hits = await tools.searchGallery.invoke({ query: description, top: 5 });
    expect(hits).toHaveLength(5);
    const own = hits.find((h) => personOf.get(h.id) === person.id)!;
    expect(own).toBeDefined();
    const verdict = await tools.verifyAnchor.invoke({ description, imageId: own.id, questions: ['What colour is the person\u2019s upper body clothing?'] });
    expect(verdict.match).toBe('yes');
    expect(verdict.answers[0].toLowerCase()).toContain(a.upperColour);
    const other = build.world.identities.find((p) => p.attributes.upperColour !== a.upperColour)!;
    const otherImage = [...personOf].find(([, pid]) => pid === other.id)![0];
    expect((await tools.verifyAnchor.invoke({ description, imageId: otherImage })).match).toBe('no');
    const { answer } = await tools.askMllm.invoke({ imageId: own.id, question: 'What colour is the person\u2019s upper body clothing?' });
    expect(answer.toLowerCase()).toContain(a.upperColour);
    const { questions } = await tools.proposeFollowUps.invoke({ description, imageId: own.id, max: 3 });
    expect(questions.length).toBeGreaterThan(0);
    expect(questions.every((q) => q.endsWith('?'))).toBe(true);
    const refined = await noMllm.refineQuery.invoke({ query: description, answers: [{ question: 'Is the person carrying a bag? What kind?', answer: 'a backpack', source: 'witness' }] });
    expect(refined.by).toBe('template');
    expect(refined.refined).toMatch(/backpack/);
    const ranking = await tools.rerank.invoke({ query: description, refined: refined.refined, anchors: [otherImage], rejected: [hits[0].id], top: 10 });
    expect(ranking[0]).toMatchObject({ id: otherImage, leading: true });
    for (const r of ranking) expect(r.score).toBeGreaterThanOrEqual(0), expect(r.score).toBeLessThanOrEqual(1);
    expect(ranking.some((r) => r.id === hits[0].id)).toBe(false);
  }, 60_000);

  it('tools that need the MLLM say so in one sentence when none is configured', async () => {
    await expect(noMllm.askMllm.invoke({ imageId: 1, question: 'What colour is the coat?' })).rejects.toThrow(/No MLLM is configured/);
  });
});
