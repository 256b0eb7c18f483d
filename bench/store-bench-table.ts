// The side-by-side table bench:search --store prints: one column per store configuration, ratios to the folder store.
import type { ColdPoint, EfPoint, StoreKind } from './store-bench-gallery.js';

/** What one store configuration measured. */
export interface Column {
  label: string;
  kind: StoreKind;
  n: number;
  /** Time spent inside Gallery.add. */
  ingestMs: number;
  /** Time of save() after the bulk load (PostgreSQL: the HNSW index build; folder: writing the graph file). */
  buildMs: number;
  chosen: EfPoint;
  met: boolean;
  sweep: EfPoint[];
  /** The warm-up searches of the freshly opened gallery (first ef of the sweep). */
  cold: ColdPoint;
  bytes: number;
  hnswBytes: number;
  /** The machine's 1-minute load average when the column started and ended (other work shares the cores). */
  load: [number, number];
}

const MB = 2 ** 20;

/** Renders the figures table, with `pg/folder` ratios where the folder store was measured at the same size. */
export function formatStoreTable(columns: readonly Column[], o: { k: number; goal: number; dim: number; m: number }): string {
  const folder = columns.find((c) => c.kind === 'folder');
  const rows: Array<[string, (c: Column) => number | string, number]> = [
    ['ingest, vectors/s (Gallery.add)', (c) => c.n / (c.ingestMs / 1000), 0],
    ['ingest, s', (c) => c.ingestMs / 1000, 1],
    ['index build, s (save())', (c) => c.buildMs / 1000, 1],
    ['ingest + build, s', (c) => (c.ingestMs + c.buildMs) / 1000, 1],
    [`smallest ef with recall@${o.k} ≥ ${o.goal}`, (c) => (c.met ? c.chosen.ef : `none (best ${c.chosen.ef})`), 0],
    [`recall@${o.k} at that ef`, (c) => c.chosen.recall, 4],
    ['query p50, ms', (c) => c.chosen.p50, 2],
    ['query p99, ms', (c) => c.chosen.p99, 2],
    ['first searches after opening, p50 ms', (c) => c.cold.p50, 2],
    ['size on disk, MB', (c) => c.bytes / MB, 0],
    ['  of which the HNSW graph, MB', (c) => c.hnswBytes / MB, 0],
    ['  bytes per vector', (c) => c.bytes / c.n, 0],
    ['machine load (1-min avg) start → end', (c) => `${c.load[0].toFixed(1)} → ${c.load[1].toFixed(1)}`, 0],
  ];
  const ratioOf = (c: Column) => c.kind !== 'folder' && folder !== undefined && c.n === folder.n;
  const header = ['', ...columns.flatMap((c) => (ratioOf(c) ? [c.label, `÷ folder`] : [c.label]))];
  const body = rows.map(([name, get, digits]) => [
    name,
    ...columns.flatMap((c) => {
      const v = get(c);
      const cell = typeof v === 'number' ? (Number.isNaN(v) ? '–' : v.toFixed(digits)) : v;
      if (!ratioOf(c)) return [cell];
      const f = get(folder!);
      return [cell, typeof v === 'number' && typeof f === 'number' && f !== 0 && Number.isFinite(v / f) ? `${(v / f).toFixed(2)}×` : '–'];
    }),
  ]);
  const table = [header, ...body];
  const widths = header.map((_, i) => Math.max(...table.map((r) => r[i].length)));
  const lines = table.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
  const sweeps = columns.map((c) => `  ${c.label}: ${c.sweep.map((p) => `ef ${p.ef} → ${p.recall.toFixed(4)} @ p50 ${p.p50.toFixed(2)} ms`).join('; ')}`);
  // What an HNSW graph of these vectors needs in memory: the vector, plus about M·2 links of 4 B at layer 0.
  const estimate = (bytesPerDim: number) => (columns.at(-1)!.n * (o.dim * bytesPerDim + o.m * 2 * 4)) / MB;
  return [
    ...lines,
    `ef sweeps (recall@${o.k}, p50):`,
    ...sweeps,
    `HNSW memory estimate at ${columns.at(-1)!.n} × ${o.dim}-d, M ${o.m}: vector ${estimate(4).toFixed(0)} MB, halfvec ${estimate(2).toFixed(0)} MB (vector + M·2·4 B of layer-0 links)`,
  ].join('\n');
}
