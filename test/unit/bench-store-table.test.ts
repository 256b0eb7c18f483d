import { describe, expect, it } from 'vitest';
import { chooseEf, type EfPoint } from '../../bench/store-bench-gallery.js';
import { formatStoreTable, type Column } from '../../bench/store-bench-table.js';

const point = (ef: number, recall: number, p50 = 1): EfPoint => ({ ef, recall, p50, p99: 2 * p50 });

function column(over: Partial<Column>): Column {
  const chosen = point(100, 0.995);
  return { label: 'x', kind: 'folder', n: 1000, ingestMs: 1000, buildMs: 500, chosen, met: true, sweep: [chosen], cold: { searches: 100, p50: 3, p99: 9 }, bytes: 2 ** 20, hnswBytes: 2 ** 19, load: [1, 2], ...over };
}

describe('bench:search --store table', () => {
  it('picks the smallest ef reaching the recall goal, or the best recall when none does', () => {
    const sweep = [point(400, 0.999), point(100, 0.97), point(250, 0.991), point(160, 0.989)];
    expect(chooseEf(sweep, 0.99)).toEqual({ point: sweep[2], met: true });
    expect(chooseEf(sweep.slice(1, 2).concat(sweep[3]), 0.99)).toEqual({ point: sweep[3], met: false });
  });

  it('prints each PostgreSQL column with its ratio to the folder store of the same size, and none for another size', () => {
    const table = formatStoreTable(
      [column({ label: 'folder@1k' }), column({ label: 'pg@1k', kind: 'pg-vector', ingestMs: 250, bytes: 2 ** 21 }), column({ label: 'pg@2k', kind: 'pg-vector', n: 2000 })],
      { k: 10, goal: 0.99, dim: 512, m: 16 },
    );
    const header = table.split('\n')[0];
    expect(header.match(/÷ folder/g)).toHaveLength(1);
    const ingest = table.split('\n').find((l) => l.startsWith('ingest, vectors/s'))!;
    // folder 1000/s, pg 4000/s: 4.00×; the 2k column (2000 in 1 s) has no ratio.
    expect(ingest.trim().split(/\s{2,}/).slice(1)).toEqual(['1000', '4000', '4.00×', '2000']);
    expect(table).toContain('size on disk, MB');
    expect(table).toMatch(/HNSW memory estimate at 2000 × 512-d, M 16: vector 4 MB, halfvec 2 MB/);
    expect(table.split('\n').find((l) => l.startsWith('first searches after opening'))!.trim().split(/\s{2,}/).slice(1)).toEqual(['3.00', '3.00', '1.00×', '3.00']);
  });

  it('shows – for figures a column did not measure (a kept database searched again)', () => {
    const table = formatStoreTable([column({ label: 'pg@1k (kept)', kind: 'pg-vector', ingestMs: Number.NaN, buildMs: Number.NaN })], { k: 10, goal: 0.99, dim: 512, m: 16 });
    expect(table.split('\n').find((l) => l.startsWith('index build, s'))!.trim().split(/\s{2,}/).slice(1)).toEqual(['–']);
    expect(table.split('\n').find((l) => l.startsWith('query p50, ms'))!.trim().split(/\s{2,}/).slice(1)).toEqual(['1.00']);
  });
});
