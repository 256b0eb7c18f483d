import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { PersonAttributes } from '../../src/demo/attributes.js';
import { buildDemo, type DemoBuild } from '../../src/demo/demo-build.js';
import { DEMO_MLLM_MODEL, startDemoMllmServer, type DemoMllmServer } from '../../src/demo/demo-mllm-server.js';
import { OpenAiMllm } from '../../src/mllm/openai-chat.js';
import { DEFAULT_CAPTION_WEIGHT, evaluateCaptionAware } from '../../src/demo/caption-aware.js';
import { captionDemoGallery } from '../../src/demo/caption-demo.js';
import { pooledCoverage, type AttributeCoverage } from '../../src/demo/caption-quality.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const PEOPLE = 20;
const SEED = 2;

// The demo MLLM started with captionStyle 'concise' answers P_init as real captioners do ("as clearly and
// concisely as possible"): person, hair, clothes and shoes, leaving the bag, hat, glasses and held object to
// the question rounds. The full style states everything it reads, so the rounds have nothing to add.

describe('MTG caption quality against the demo ground truth (printed; single-turn T_s vs multi-turn)', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let build: DemoBuild;
  let full: DemoMllmServer;
  let concise: DemoMllmServer;
  let conciseNoisy: DemoMllmServer;
  const figures: Record<string, { single: AttributeCoverage; multi: AttributeCoverage }> = {};

  beforeAll(async () => {
    temp = await makeTempDir('mtg-quality');
    build = await buildDemo({ out: join(temp.dir, 'world'), identities: PEOPLE, seed: SEED });
    full = await startDemoMllmServer({ seed: SEED });
    concise = await startDemoMllmServer({ seed: SEED, captionStyle: 'concise' });
    conciseNoisy = await startDemoMllmServer({ seed: SEED, captionStyle: 'concise', errorRate: 0.1 });
  });

  afterAll(async () => {
    console.log(
      `MTG attribute coverage on the demo world (seed ${SEED}, ${PEOPLE} people):\n` +
        Object.entries(figures)
          .map(([k, f]) => `  ${k}: single-turn P ${f.single.precision} R ${f.single.recall} | multi-turn P ${f.multi.precision} R ${f.multi.recall}`)
          .join('\n'),
    );
    await full?.close();
    await concise?.close();
    await conciseNoisy?.close();
    await temp?.cleanup();
  });

  const truthOf = () => new Map(build.world.identities.flatMap((p) => p.images.map((im) => [im.file, p.attributes] as [string, PersonAttributes])));

  async function measure(name: string, server: DemoMllmServer, index: boolean) {
    const client = new OpenAiMllm({ baseUrl: server.url, model: DEMO_MLLM_MODEL, maxRetries: 0, maxConcurrency: 8 });
    // Each variant has its own job file, so none resumes another's captions.
    const { records, report } = await captionDemoGallery(build, { mllm: client, index, jobFile: join(temp.dir, `${name}.jobs.sqlite`) });
    expect(report.failed).toEqual([]);
    const truth = truthOf();
    const done = records.filter((r) => r.status === 'done');
    const single = pooledCoverage(done.map((r) => ({ caption: r.initialCaption!, truth: truth.get(r.key)! })));
    const multi = pooledCoverage(done.map((r) => ({ caption: r.caption!, truth: truth.get(r.key)! })));
    figures[name] = { single, multi };
    return { single, multi, records: done };
  }

  it('with concise initial captions, the rounds recover the missing attributes without losing precision', async () => {
    const { single, multi, records } = await measure('concise captions, exact answers', concise, false);
    expect(single.recall).toBeLessThan(75);
    expect(multi.recall).toBeGreaterThan(single.recall + 25);
    expect(multi.precision).toBeGreaterThanOrEqual(95);
    // The rounds asked about accessories, which the concise caption leaves out.
    expect(records.every((r) => r.turns.some((t) => t.question?.includes('accessories') && t.kept))).toBe(true);
  });

  it('with 10% wrong answers, precision drops a little and recall still rises', async () => {
    const { single, multi } = await measure('concise captions, 10% wrong answers', conciseNoisy, false);
    expect(multi.recall).toBeGreaterThan(single.recall + 20);
    expect(multi.precision).toBeGreaterThan(90);
  });

  it("with the demo MLLM's full captions, the rounds find nothing to add, and caption-aware retrieval is reported", async () => {
    const { single, multi } = await measure('full captions (demo MLLM as is)', full, true);
    expect(single.recall).toBeGreaterThan(90);
    expect(Math.abs(multi.recall - single.recall)).toBeLessThan(2);
    const result = await evaluateCaptionAware(build, { weights: [0, DEFAULT_CAPTION_WEIGHT] });
    expect(result.captioned).toBe(result.gallery);
    expect(result.rows.map((r) => [r.mode, r.weight])).toEqual([
      ['retrieval', 0],
      ['caption-aware', 0],
      ['caption-aware', DEFAULT_CAPTION_WEIGHT],
    ]);
    // A zero caption weight is plain retrieval; a positive one changes the ranking.
    expect(result.rows[1]).toEqual({ ...result.rows[0], mode: 'caption-aware' });
    expect(result.rows[2].mAP).not.toBe(result.rows[0].mAP);
    console.log(`Caption-aware retrieval (seed ${SEED}, ${PEOPLE} people, ${result.queries} queries): ${result.rows.map((r) => `${r.mode} R1 ${r.R1.toFixed(2)} mAP ${r.mAP.toFixed(2)}`).join(' | ')}`);
  });
});
