// npm run bench:search -- --store postgres [--database URL] [--n 1000000] [--side-n 100000] [--queries 1000]
//   [--batch 5000] [--m 16] [--ef-construction 64] [--ef-sweep 100,160,250,400,600,1000] [--halfvec-full]
//   [--maintenance-work-mem 4GB] [--warmup 100] [--keep] [--sweep-only DATABASE [--kind pg-vector|pg-halfvec]]
// The stores side by side, every figure through the Gallery port (openOrCreateGallery, add, save, search):
//  - at --side-n (100k): the folder store (SQLite + hnswlib), PostgreSQL with vector(d) and with halfvec(d);
//  - at --n (1M): PostgreSQL with vector(d) (and halfvec(d) with --halfvec-full).
// Per column: ingest rate through Gallery.add in batches, HNSW build time (save()), query p50/p99 and
// recall@10 against exact ground truth (computed here, in chunks) for an ef sweep, the smallest ef reaching
// recall@10 ≥ 0.99, and the size on disk. Each PostgreSQL configuration gets its own database (dropped after).
import { mkdir, rm } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Gallery } from '../src/gallery/gallery.js';
import type { NewImage } from '../src/gallery/gallery-store.js';
import { openPostgres, redactDatabaseUrl } from '../src/storage/postgres.js';
import { embeddingLike } from './clustered-vectors.js';
import { StreamingTopK } from './ground-truth.js';
import { benchImage, benchInit, chooseEf, folderSizes, freshDatabase, openBenchGallery, pgSizes, sweepEf, timedAdd, type StoreKind } from './store-bench-gallery.js';
import { formatStoreTable, type Column } from './store-bench-table.js';

const K = 10;
const RECALL_GOAL = 0.99;

function num(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
function str(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string) => process.argv.includes(`--${name}`);
const log = (s: string) => process.stdout.write(`${s}\n`);
const note = (s: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);

/** Runs the store comparison; `--store postgres` on bench:search lands here. */
export async function runStoreBench(): Promise<void> {
  const N = num('n', 1_000_000);
  const SIDE_N = Math.min(N, num('side-n', 100_000));
  const QUERIES = num('queries', 1000);
  const DIM = num('dim', 512);
  const CLUSTERS = num('clusters', 1000);
  const SEED = num('seed', 42);
  const BATCH = num('batch', 5000);
  const CHUNK = num('chunk', 50_000);
  const hnsw = { M: num('m', 16), efConstruction: num('ef-construction', 64), ef: num('ef', 100) };
  const EFS = (str('ef-sweep') ?? '100,160,250,400,600,1000').split(',').map(Number);
  const databaseUrl = str('database') ?? process.env.CTGI_DATABASE_URL ?? process.env.CTGI_TEST_DATABASE_URL;
  if (!databaseUrl) {
    process.stderr.write('bench:search --store postgres needs a server: --database URL, or CTGI_DATABASE_URL / CTGI_TEST_DATABASE_URL.\n');
    process.exitCode = 2;
    return;
  }
  const settings = { maintenance_work_mem: str('maintenance-work-mem') ?? '4GB' };
  const work = resolve('.bench', 'search-store');
  await mkdir(work, { recursive: true });
  const started = new Date();

  log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}; server ${redactDatabaseUrl(databaseUrl)}`);
  log(`data: ${N} clustered ${DIM}-d unit vectors (${CLUSTERS} clusters, seed ${SEED}) + ${QUERIES} held-out queries; k = ${K}; side by side at ${SIDE_N}`);
  log(`hnsw: M ${hnsw.M}, efConstruction ${hnsw.efConstruction}; Gallery.add batches of ${BATCH}; database settings ${JSON.stringify(settings)}`);

  const draw = embeddingLike({ dim: DIM, clusters: CLUSTERS, seed: SEED });
  const queries = Array.from({ length: QUERIES }, () => draw(new Float32Array(DIM)));
  const side = new Float32Array(SIDE_N * DIM);
  for (let p = 0; p < SIDE_N; p++) draw(side.subarray(p * DIM, (p + 1) * DIM));
  const truthAcc = new StreamingTopK(queries, K);
  let t0 = performance.now();
  truthAcc.addChunk(side, SIDE_N);
  const sideTruth = truthAcc.truth();
  note(`ground truth at ${SIDE_N}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  // Warm-up searches: gallery vectors spread over the first SIDE_N (every column holds them), never a measured query.
  const WARMUP = Math.min(SIDE_N, num('warmup', 100));
  const warmup = Array.from({ length: WARMUP }, (_, i) => {
    const p = Math.floor(((i + 0.5) * SIDE_N) / WARMUP);
    return side.slice(p * DIM, (p + 1) * DIM);
  });
  const sideImages = (): NewImage[] => Array.from({ length: SIDE_N }, (_, p) => benchImage(p, side.subarray(p * DIM, (p + 1) * DIM)));

  const columns: Column[] = [];
  const printTable = () => {
    log('');
    log(formatStoreTable(columns, { k: K, goal: RECALL_GOAL, dim: DIM, m: hnsw.M }));
  };
  const printRun = () => {
    log('');
    log(`run: ${started.toISOString()} → ${new Date().toISOString()}; command: npm run bench:search -- ${process.argv.slice(2).join(' ').replace(/postgres(ql)?:\/\/\S+/g, (u) => redactDatabaseUrl(u))}`);
  };
  // The rest of the seeded stream after SIDE_N, a chunk at a time, its ground truth merged in (untimed).
  const chunk = new Float32Array(CHUNK * DIM);
  const streamRest = async (each: (from: number, rows: number) => Promise<void>): Promise<void> => {
    for (let from = SIDE_N; from < N; from += CHUNK) {
      const rows = Math.min(CHUNK, N - from);
      for (let r = 0; r < rows; r++) draw(chunk.subarray(r * DIM, (r + 1) * DIM));
      truthAcc.addChunk(chunk, rows);
      await each(from, rows);
    }
  };
  const init = benchInit(DIM, hnsw);
  const measure = async (label: string, kind: StoreKind, n: number, feed: (g: Gallery) => Promise<number>, truth: () => Set<number>[]): Promise<void> => {
    note(`${label}: ingest`);
    // The process id keeps two runs on one server (or one disk) apart.
    const name = `ctgi_bench_${kind.replace('-', '_')}_${n}_${process.pid}`;
    const dir = join(work, `${kind}-${n}-${process.pid}`);
    await rm(dir, { recursive: true, force: true });
    const db = kind === 'folder' ? undefined : await freshDatabase(databaseUrl, name, settings);
    try {
      const gallery = await openBenchGallery(kind, { dir, url: db?.url, name: 'bench' }, init);
      const load0 = loadavg()[0];
      const wall0 = performance.now();
      const ingestMs = await feed(gallery);
      const wallMs = performance.now() - wall0;
      note(`${label}: ${n} added in ${(ingestMs / 1000).toFixed(1)} s of Gallery.add (${(wallMs / 1000).toFixed(1)} s wall); building the index (save())`);
      t0 = performance.now();
      await gallery.save();
      const buildMs = performance.now() - t0;
      const count = await gallery.count();
      if (count !== n) throw new Error(`${label}: the gallery holds ${count} images, not ${n}`);
      note(`${label}: built in ${(buildMs / 1000).toFixed(1)} s; sweeping ef`);
      // Searched through a freshly opened gallery (a new pool and server backend), as a restarted bot would.
      await gallery.close({ save: false });
      const reopened = await openBenchGallery(kind, { dir, url: db?.url, name: 'bench' }, init);
      const { sweep, cold } = await sweepEf(reopened, queries, truth(), K, EFS, warmup);
      const { point, met } = chooseEf(sweep, RECALL_GOAL);
      await reopened.close({ save: false });
      const size = db ? await pgSizes(db.pool) : { ...(await folderSizes(dir)), tables: [] };
      if (db) note(`${label}: ${size.tables.map((t) => `${t.name} ${(t.total / 2 ** 20).toFixed(0)} MB (heap ${(t.heap / 2 ** 20).toFixed(0)} MB)`).join(', ')}`);
      columns.push({ label, kind, n, ingestMs, buildMs, chosen: point, met, sweep, cold, bytes: size.total, hnswBytes: size.hnsw, load: [load0, loadavg()[0]] });
      printTable();
    } finally {
      if (kind === 'folder' && !flag('keep')) await rm(dir, { recursive: true, force: true });
      if (db && !flag('keep')) await db.drop();
      else if (db) await db.pool.end();
    }
  };

  const k = (n: number) => (n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));
  const sweepOnly = str('sweep-only');
  if (sweepOnly !== undefined) {
    // Search figures again on a database an earlier run built and kept (--keep): same seed, N and kind; no
    // ingest or build (their cells show –, the building run has them).
    if (!/^[a-z_][a-z0-9_]*$/.test(sweepOnly)) throw new Error(`--sweep-only takes a database name (letters, digits, _), not ${sweepOnly}`);
    const kind: StoreKind = str('kind') === 'pg-halfvec' ? 'pg-halfvec' : 'pg-vector';
    await streamRest(async () => undefined);
    note(`ground truth at ${N} ready; searching the kept database ${sweepOnly}`);
    const u = new URL(databaseUrl);
    u.pathname = `/${sweepOnly}`;
    const gallery = await openBenchGallery(kind, { dir: '', url: u.toString(), name: 'bench' }, init);
    const count = await gallery.count();
    if (count !== N) throw new Error(`${sweepOnly} holds ${count} images, not ${N}`);
    const load0 = loadavg()[0];
    const { sweep, cold } = await sweepEf(gallery, queries, truthAcc.truth(), K, EFS, warmup);
    const { point, met } = chooseEf(sweep, RECALL_GOAL);
    await gallery.close({ save: false });
    const pool = await openPostgres(u.toString(), { migrate: false, max: 1 });
    const size = await pgSizes(pool).finally(() => pool.end());
    columns.push({ label: `${kind.replace('-', ' ')}@${k(N)} (kept)`, kind, n: N, ingestMs: Number.NaN, buildMs: Number.NaN, chosen: point, met, sweep, cold, bytes: size.total, hnswBytes: size.hnsw, load: [load0, loadavg()[0]] });
    printTable();
    printRun();
    return;
  }
  await measure(`folder@${k(SIDE_N)}`, 'folder', SIDE_N, (g) => timedAdd(g, sideImages(), BATCH), () => sideTruth);
  await measure(`pg vector@${k(SIDE_N)}`, 'pg-vector', SIDE_N, (g) => timedAdd(g, sideImages(), BATCH), () => sideTruth);
  await measure(`pg halfvec@${k(SIDE_N)}`, 'pg-halfvec', SIDE_N, (g) => timedAdd(g, sideImages(), BATCH), () => sideTruth);

  if (N > SIDE_N) {
    // The rest of the stream: each chunk's ground truth merged in (untimed), then the chunk added (timed).
    await measure(`pg vector@${k(N)}`, 'pg-vector', N, async (g) => {
      let spent = await timedAdd(g, sideImages(), BATCH);
      await streamRest(async (from, rows) => {
        spent += await timedAdd(g, Array.from({ length: rows }, (_, r) => benchImage(from + r, chunk.subarray(r * DIM, (r + 1) * DIM))), BATCH);
        note(`  ${from + rows}/${N} added (${(((from + rows) / spent) * 1000).toFixed(0)} vectors/s through Gallery.add)`);
      });
      return spent;
    }, () => truthAcc.truth());
    if (flag('halfvec-full')) {
      // Replays the same seeded stream (queries first, then the gallery vectors).
      const replay = embeddingLike({ dim: DIM, clusters: CLUSTERS, seed: SEED });
      const skip = new Float32Array(DIM);
      for (let i = 0; i < QUERIES; i++) replay(skip);
      await measure(`pg halfvec@${k(N)}`, 'pg-halfvec', N, async (g) => {
        let spent = 0;
        for (let from = 0; from < N; from += CHUNK) {
          const rows = Math.min(CHUNK, N - from);
          for (let r = 0; r < rows; r++) replay(chunk.subarray(r * DIM, (r + 1) * DIM));
          spent += await timedAdd(g, Array.from({ length: rows }, (_, r) => benchImage(from + r, chunk.subarray(r * DIM, (r + 1) * DIM))), BATCH);
        }
        return spent;
      }, () => truthAcc.truth());
    }
  }

  printRun();
}
