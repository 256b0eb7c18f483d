// npm run bench:search [-- --n 100000 --queries 1000 --dim 512 --clusters 1000 --m 16 --ef-construction 200 --ef 64]
// On seeded, clustered, L2-normalised embedding-like vectors, measures side by side in one run:
//  - HNSW (hnswlib-node) build rate, index file size, load time, and resident memory;
//  - HNSW query latency p50/p99 (k = 10, exact re-scoring included) and recall@10 against the exact path,
//    for the chosen ef and a sweep of ef values;
//  - the exact path's latency (WebAssembly SIMD kernel, and the plain-JS loop for comparison).
// Goals (issue 3): recall@10 ≥ 0.99 at HNSW p50 ≤ 2 ms; exact path ≤ 30 ms at 100k.
// With `--store postgres` it compares the gallery stores instead (bench/search-store.bench.ts).
import { mkdir, rm, stat } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { dotAt, ExactVectorIndex } from '../src/retrieval/exact.vector-index.js';
import { HnswVectorIndex } from '../src/retrieval/hnsw.vector-index.js';
import { embeddingLike, percentile } from './clustered-vectors.js';
import { runStoreBench } from './search-store.bench.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const N = arg('n', 100_000);
const QUERIES = arg('queries', 1000);
const DIM = arg('dim', 512);
const CLUSTERS = arg('clusters', 1000);
const M = arg('m', 16);
const EF_CONSTRUCTION = arg('ef-construction', 200);
const EF = arg('ef', 64);
const SEED = arg('seed', 42);
const CENTRE_SPREAD = arg('centre-spread', 1);
const MEMBER_SPREAD = arg('member-spread', 1);
const K = 10;
const EF_SWEEP = [16, 32, 64, 128, 256];
/** The plain-JS exact loop is only timed on this many queries (it is there for comparison). */
const JS_EXACT_QUERIES = Math.min(QUERIES, 100);

const log = (s: string) => process.stdout.write(`${s}\n`);
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;
const rss = () => process.memoryUsage().rss;

/** Runs every query once (after a short warm-up), returning each one's result and latency. */
function timeQueries<T>(queries: Float32Array[], run: (q: Float32Array) => T): { results: T[]; latency: number[] } {
  for (let i = 0; i < Math.min(20, queries.length); i++) run(queries[i]);
  const results: T[] = [];
  const latency = queries.map((q) => {
    const t0 = performance.now();
    results.push(run(q));
    return performance.now() - t0;
  });
  return { results, latency };
}

function recallAt(truth: Set<number>[], results: number[][]): number {
  let found = 0;
  results.forEach((r, i) => (found += r.filter((l) => truth[i].has(l)).length));
  return found / (results.length * K);
}

async function main(): Promise<void> {
  const work = resolve('.bench', 'search');
  await mkdir(work, { recursive: true });
  log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}`);
  log(`data: ${N} gallery + ${QUERIES} held-out query vectors, ${DIM}-d, ${CLUSTERS} clusters, seed ${SEED}; k = ${K}`);
  log(`hnsw: M ${M}, efConstruction ${EF_CONSTRUCTION}, ef ${EF}`);

  const rss0 = rss();
  const draw = embeddingLike({ dim: DIM, clusters: CLUSTERS, seed: SEED, centreSpread: CENTRE_SPREAD, memberSpread: MEMBER_SPREAD });
  const exact = new ExactVectorIndex(DIM, { initialCapacity: N });
  const v = new Float32Array(DIM);
  let t0 = performance.now();
  for (let i = 0; i < N; i++) exact.add(i, draw(v));
  const queries = Array.from({ length: QUERIES }, () => draw(new Float32Array(DIM)));
  log(`generated and stored in the exact index in ${((performance.now() - t0) / 1000).toFixed(1)} s (SIMD kernel: ${exact.simd ? 'yes' : 'no'})`);
  const rss1 = rss();

  // Exact path: ground truth and latency.
  const { results: exactHits, latency: exactLatency } = timeQueries(queries, (q) => exact.search(q, K));
  const truth = exactHits.map((hits) => new Set(hits.map((h) => h.label)));
  const top1 = exactHits.reduce((s, h) => s + h[0].score, 0) / QUERIES;
  const top10 = exactHits.reduce((s, h) => s + h[K - 1].score, 0) / QUERIES;
  const randomPair = queries.reduce((s, q, i) => s + dotAt(exact.get((i * 7919) % N)!, 0, Float64Array.from(q), DIM), 0) / QUERIES;
  log(`cosines (mean over queries): top-1 ${top1.toFixed(3)}, 10th ${top10.toFixed(3)}, a random gallery vector ${randomPair.toFixed(3)}`);

  // Build HNSW, re-scoring from the exact index's vectors as the gallery does.
  const hnsw = new HnswVectorIndex(DIM, { M, efConstruction: EF_CONSTRUCTION, ef: EF, initialCapacity: N, rescore: (l) => exact.get(l) });
  t0 = performance.now();
  for (let i = 0; i < N; i++) {
    hnsw.add(i, exact.get(i)!);
    if ((i + 1) % 10_000 === 0) process.stderr.write(`  hnsw build: ${i + 1}/${N} (${(((i + 1) / (performance.now() - t0)) * 1000).toFixed(0)}/s)\r`);
  }
  const buildSeconds = (performance.now() - t0) / 1000;
  process.stderr.write('\n');
  const rss2 = rss();

  const file = join(work, `hnsw-${N}x${DIM}.bin`);
  t0 = performance.now();
  await hnsw.save(file);
  const saveSeconds = (performance.now() - t0) / 1000;
  const fileSize = (await stat(file)).size;
  t0 = performance.now();
  const loaded = await HnswVectorIndex.load(file, DIM, { ef: EF });
  const loadSeconds = (performance.now() - t0) / 1000;
  const loadedAgrees = queries.slice(0, 50).every((q) => JSON.stringify(loaded.search(q, K).map((h) => h.label)) === JSON.stringify(hnsw.search(q, K).map((h) => h.label)));
  await rm(file, { force: true });

  const measure = (ef: number) => {
    hnsw.setEf(ef);
    const { results, latency } = timeQueries(queries, (q) => hnsw.search(q, K));
    return { ef, recall: recallAt(truth, results.map((hits) => hits.map((h) => h.label))), p50: percentile(latency, 50), p99: percentile(latency, 99) };
  };
  const chosen = measure(EF);
  hnsw.setRescoreSource(undefined);
  const viaGetPoint = measure(EF);
  hnsw.setRescoreSource((l) => exact.get(l));
  const sweep = EF_SWEEP.map(measure);

  const jsExact = new ExactVectorIndex(DIM, { initialCapacity: N, simd: false });
  for (let i = 0; i < N; i++) jsExact.add(i, exact.get(i)!);
  const { latency: jsLatency } = timeQueries(queries.slice(0, JS_EXACT_QUERIES), (q) => jsExact.search(q, K));

  log('');
  log(`HNSW build:        ${N} vectors in ${buildSeconds.toFixed(1)} s = ${(N / buildSeconds).toFixed(0)} vectors/s`);
  log(`HNSW file:         ${mb(fileSize)}; save ${saveSeconds.toFixed(2)} s, checked load ${loadSeconds.toFixed(2)} s (same results after load: ${loadedAgrees ? 'yes' : 'NO'})`);
  log(`memory (rss):      ${mb(rss0)} at start, ${mb(rss1)} with the exact index (+${mb(rss1 - rss0)}), ${mb(rss2)} after the HNSW build (+${mb(rss2 - rss1)})`);
  log(`HNSW ef ${EF}:       recall@${K} ${chosen.recall.toFixed(4)}, p50 ${ms(chosen.p50)}, p99 ${ms(chosen.p99)} (re-scored from the stored vectors)`);
  log(`                   without a rescore source (hnswlib getPoint): p50 ${ms(viaGetPoint.p50)}, p99 ${ms(viaGetPoint.p99)}`);
  log(`exact (wasm simd): p50 ${ms(percentile(exactLatency, 50))}, p99 ${ms(percentile(exactLatency, 99))} over ${QUERIES} queries`);
  log(`exact (plain JS):  p50 ${ms(percentile(jsLatency, 50))}, p99 ${ms(percentile(jsLatency, 99))} over ${jsLatency.length} queries`);
  log('');
  log('ef sweep (k = 10):');
  log('   ef   recall@10      p50      p99');
  for (const r of sweep) log(`  ${String(r.ef).padStart(3)}   ${r.recall.toFixed(4).padStart(9)}  ${ms(r.p50).padStart(8)} ${ms(r.p99).padStart(8)}`);
  log('');
  const meets = sweep.filter((r) => r.recall >= 0.99 && r.p50 <= 2);
  log(`goal recall@10 ≥ 0.99 at p50 ≤ 2 ms: ${chosen.recall >= 0.99 && chosen.p50 <= 2 ? 'MET' : 'MISSED'} at ef ${EF}; ef values meeting it: ${meets.map((r) => r.ef).join(', ') || 'none'}`);
  log(`goal exact ≤ 30 ms at ${N}: ${percentile(exactLatency, 50) <= 30 ? 'MET' : 'MISSED'} (p50 ${ms(percentile(exactLatency, 50))})`);
}

const storeAt = process.argv.indexOf('--store');
if (storeAt > 0 && process.argv[storeAt + 1] !== 'postgres') {
  process.stderr.write(`bench:search --store takes postgres (the folder store is measured beside it), not ${process.argv[storeAt + 1] ?? 'nothing'}.\n`);
  process.exitCode = 2;
} else if (storeAt > 0) {
  await runStoreBench();
} else {
  await main();
}
