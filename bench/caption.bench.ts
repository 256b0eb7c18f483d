// npm run bench:caption [-- --latency-ms 300 --waves 5 --identities 40 --levels 1,4,16]
// MTG throughput (captions per minute) at several concurrency levels, side by side in one run, against the
// demo MLLM over HTTP with a simulated latency per call (default 300 ms): the demo world is built under
// .bench/ (never committed); each level captions `waves × concurrency` images with a fresh job table.
// The demo MLLM runs with captionStyle 'concise' (person, hair, clothes and shoes, as real captioners answer
// P_init), so every image runs a real dialogue: P_init, the question rounds (up to 6; the pool runs dry
// sooner once everything is settled) and the Reconstructor's rewrite.
// Reports captions/min, mean call latency and scaling efficiency (rate_c / (c · rate_1)); goal ≥ 80%.
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildDemo } from '../src/demo/demo-build.js';
import { DEMO_MLLM_MODEL, startDemoMllmServer } from '../src/demo/demo-mllm-server.js';
import { DATASET_FILE } from '../src/demo/world-files.js';
import { OpenAiMllm } from '../src/mllm/openai-chat.js';
import { inputFromDataset } from '../src/mtg/caption-inputs.js';
import { runCaptionJob } from '../src/mtg/caption-job.js';
import { SqliteCaptionJobStore } from '../src/mtg/sqlite-job-store.js';
import { DEFAULT_MTG_PROMPTS } from '../src/mtg/mtg-prompts.js';
import { buildQuestionPool } from '../src/mtg/question-pool.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const LATENCY_MS = Number(arg('latency-ms', '300'));
const WAVES = Number(arg('waves', '5'));
const IDENTITIES = Number(arg('identities', '40'));
const LEVELS = arg('levels', '1,4,16').split(',').map(Number);
const ROUNDS = 6;
const log = (s: string) => process.stdout.write(`${s}\n`);

const root = resolve('.bench', 'caption');
await mkdir(root, { recursive: true });
const build = await buildDemo({ out: join(root, `world-${IDENTITIES}`), identities: IDENTITIES, seed: 11 });
const input = await inputFromDataset(join(build.out, DATASET_FILE), build.out);
const needed = Math.max(...LEVELS) * WAVES;
if (input.items.length < needed) throw new Error(`The bench world has ${input.items.length} images but the largest level needs ${needed}; raise --identities.`);
const server = await startDemoMllmServer({ seed: 11, latencyMs: LATENCY_MS, captionStyle: 'concise' });
log(`MTG throughput: demo MLLM (concise captions) over HTTP, ${LATENCY_MS} ms per call, ${ROUNDS} rounds, ${WAVES} waves of images per level, Node ${process.version}`);

const results: Array<{ c: number; images: number; perMin: number; calls: number; meanCallMs: number }> = [];
try {
  for (const c of LEVELS) {
    const client = new OpenAiMllm({ baseUrl: server.url, model: DEMO_MLLM_MODEL, maxRetries: 0, maxConcurrency: Math.max(...LEVELS) });
    const jobs = join(root, `jobs-c${c}.sqlite`);
    await rm(jobs, { force: true });
    const store = SqliteCaptionJobStore.open(jobs, `bench-c${c}`);
    const items = input.items.slice(0, c * WAVES);
    const started = performance.now();
    let report;
    try {
      report = await runCaptionJob({
        items,
        store,
        pipeline: { mllm: client, reconstructor: client, prompts: DEFAULT_MTG_PROMPTS, pool: buildQuestionPool(DEFAULT_MTG_PROMPTS), rounds: ROUNDS },
        concurrency: c,
      });
    } finally {
      await store.close();
    }
    const seconds = (performance.now() - started) / 1000;
    if (report.failed.length > 0) throw new Error(`${report.failed.length} images failed at concurrency ${c}: ${report.failed[0].reason}`);
    const stats = client.stats();
    const perMin = (report.captioned / seconds) * 60;
    results.push({ c, images: report.captioned, perMin, calls: stats.calls, meanCallMs: stats.totalLatencyMs / stats.calls });
    log(`  concurrency ${String(c).padStart(2)}: ${report.captioned} captions in ${seconds.toFixed(1)} s = ${perMin.toFixed(1)} captions/min (${(stats.calls / report.captioned).toFixed(1)} calls per image, ${(stats.totalLatencyMs / stats.calls).toFixed(0)} ms per call)`);
  }
} finally {
  await server.close();
}

const base = results.find((r) => r.c === 1) ?? results[0];
log('Scaling against linear (rate_c / (c · rate_1)):');
for (const r of results) {
  const efficiency = r.perMin / ((r.c / base.c) * base.perMin);
  log(`  concurrency ${String(r.c).padStart(2)}: ${(r.perMin / base.perMin).toFixed(2)}× the rate at ${base.c}, efficiency ${(efficiency * 100).toFixed(1)}% ${efficiency >= 0.8 ? '(goal ≥ 80% met)' : '(below the 80% goal)'}`);
}
