// Opening, measuring and sizing the galleries bench:search --store compares, always through the Gallery port.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { HNSW_FILE } from '../src/gallery/folder.gallery.js';
import type { Gallery } from '../src/gallery/gallery.js';
import type { NewImage } from '../src/gallery/gallery-store.js';
import { openOrCreateGallery, type GalleryInit } from '../src/gallery/open-gallery.js';
import { openPostgres, type PgPool } from '../src/storage/postgres.js';
import { percentile } from './clustered-vectors.js';
import { recallAtK } from './ground-truth.js';

/** One store configuration of the comparison. */
export type StoreKind = 'folder' | 'pg-vector' | 'pg-halfvec';

/** Gallery settings every configuration shares (only the storage differs). */
export function benchInit(dim: number, hnsw: GalleryInit['hnsw']): GalleryInit {
  return {
    model: { id: 'bench/clustered-512', dir: '(generated)', layout: 'demo', dim, contextLength: 77, preprocess: null },
    hnsw,
    imagesRoot: null,
  };
}

/** Image metadata for the vector at `position`; the path carries the position back out of a search hit. */
export function benchImage(position: number, embedding: Float32Array): NewImage {
  return {
    path: `v/${position}`,
    sha256: position.toString(16).padStart(64, '0'),
    personId: null,
    camera: `cam-${position % 16}`,
    capturedAt: new Date(Date.UTC(2026, 0, 1) + position * 1000).toISOString(),
    width: 128,
    height: 256,
    bytes: 4096,
    mtimeMs: 0,
    embedding,
  };
}

/** The stream position a hit's path names. */
export function positionOf(path: string): number {
  return Number(path.slice(2));
}

/** A fresh PostgreSQL database for one configuration (so its size is the gallery's alone); `drop` removes it. */
export async function freshDatabase(adminUrl: string, name: string, settings: Record<string, string>): Promise<{ url: string; pool: PgPool; drop: () => Promise<void> }> {
  const admin = await openPostgres(adminUrl, { migrate: false, max: 1 });
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
    // Per-database settings the HNSW build needs (e.g. maintenance_work_mem for the graph to fit in memory).
    for (const [key, value] of Object.entries(settings)) await admin.query(`ALTER DATABASE ${name} SET ${key} = '${value.replace(/'/g, "''")}'`);
  } finally {
    await admin.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const pool = await openPostgres(url, { migrate: false, max: 1 });
  return {
    url,
    pool,
    async drop() {
      await pool.end();
      const a = await openPostgres(adminUrl, { migrate: false, max: 1 });
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

/** Bytes on disk of a PostgreSQL database's own relations: every table with its TOAST and indexes, and the HNSW indexes alone. */
export async function pgSizes(pool: PgPool): Promise<{ total: number; hnsw: number; tables: Array<{ name: string; heap: number; total: number }> }> {
  const tables = await pool.query<{ name: string; heap: string; total: string }>(
    `SELECT c.relname AS name, pg_relation_size(c.oid) AS heap, pg_total_relation_size(c.oid) AS total
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
      ORDER BY pg_total_relation_size(c.oid) DESC`,
  );
  const hnsw = await pool.query<{ bytes: string | null }>(
    `SELECT sum(pg_relation_size(i.oid)) AS bytes FROM pg_class i JOIN pg_am a ON a.oid = i.relam WHERE i.relkind = 'i' AND a.amname = 'hnsw'`,
  );
  const rows = tables.rows.map((r) => ({ name: r.name, heap: Number(r.heap), total: Number(r.total) }));
  return { total: rows.reduce((s, r) => s + r.total, 0), hnsw: Number(hnsw.rows[0].bytes ?? 0), tables: rows };
}

/** Bytes of every file in a folder gallery, and of its HNSW graph file alone. */
export async function folderSizes(dir: string): Promise<{ total: number; hnsw: number }> {
  let total = 0;
  let hnsw = 0;
  for (const name of await readdir(dir)) {
    const bytes = (await stat(join(dir, name))).size;
    total += bytes;
    if (name === HNSW_FILE) hnsw = bytes;
  }
  return { total, hnsw };
}

/** Adds images through Gallery.add in batches, timing only the add calls. */
export async function timedAdd(gallery: Gallery, images: NewImage[], batch: number): Promise<number> {
  let spent = 0;
  for (let i = 0; i < images.length; i += batch) {
    const slice = images.slice(i, i + batch);
    const t0 = performance.now();
    await gallery.add(slice);
    spent += performance.now() - t0;
  }
  return spent;
}

/** Latency and recall@k of the gallery's approximate search at one ef. */
export interface EfPoint {
  ef: number;
  recall: number;
  p50: number;
  p99: number;
}

/** Latency of the first searches a freshly opened gallery answers (a new pool, so a new server backend). */
export interface ColdPoint {
  searches: number;
  p50: number;
  p99: number;
}

/**
 * Runs every query through Gallery.search (approximate path) at each ef. The gallery should be freshly opened:
 * the warm-up searches (gallery vectors, never the measured queries) are timed apart as the cold figure, since
 * a new PostgreSQL backend maps shared_buffers pages on first touch and its first searches are slower.
 */
export async function sweepEf(gallery: Gallery, queries: readonly Float32Array[], truth: readonly Set<number>[], k: number, efs: readonly number[], warmup: readonly Float32Array[]): Promise<{ sweep: EfPoint[]; cold: ColdPoint }> {
  const out: EfPoint[] = [];
  const coldLatency: number[] = [];
  for (const q of warmup) {
    const t0 = performance.now();
    await gallery.search(q, { top: k, exact: false, ef: efs[0] });
    coldLatency.push(performance.now() - t0);
  }
  const cold = { searches: warmup.length, p50: percentile(coldLatency, 50), p99: percentile(coldLatency, 99) };
  process.stderr.write(`    first ${cold.searches} searches after opening (warm-up, gallery vectors): p50 ${cold.p50.toFixed(2)} ms, p99 ${cold.p99.toFixed(2)} ms\n`);
  for (const ef of efs) {
    const latency: number[] = [];
    const results: number[][] = [];
    for (const q of queries) {
      const t0 = performance.now();
      const hits = await gallery.search(q, { top: k, exact: false, ef });
      latency.push(performance.now() - t0);
      results.push(hits.map((h) => positionOf(h.path)));
    }
    const point = { ef, recall: recallAtK(truth, results, k), p50: percentile(latency, 50), p99: percentile(latency, 99) };
    process.stderr.write(`    ef ${ef}: recall@${k} ${point.recall.toFixed(4)}, p50 ${point.p50.toFixed(2)} ms, p99 ${point.p99.toFixed(2)} ms\n`);
    out.push(point);
    // Past the recall goal, larger ef values only cost time.
    if (point.recall >= 0.999) break;
  }
  return { sweep: out, cold };
}

/** The smallest ef reaching the recall goal, else the best-recall point. */
export function chooseEf(points: readonly EfPoint[], goal: number): { point: EfPoint; met: boolean } {
  const meeting = points.filter((p) => p.recall >= goal).sort((a, b) => a.ef - b.ef);
  if (meeting.length > 0) return { point: meeting[0], met: true };
  return { point: [...points].sort((a, b) => b.recall - a.recall)[0], met: false };
}

/** Opens (creating) the gallery of one configuration, the way the product does (openOrCreateGallery). */
export async function openBenchGallery(kind: StoreKind, where: { dir: string; url?: string; name: string }, init: GalleryInit): Promise<Gallery> {
  if (kind === 'folder') return openOrCreateGallery({ kind: 'folder', dir: where.dir }, init);
  return openOrCreateGallery({ kind: 'postgres', url: where.url!, name: where.name, vector: kind === 'pg-vector' ? 'vector' : 'halfvec' }, init);
}
