// Exact top-k ground truth over a vector stream too large to hold at once, and recall@k against it.
import { ExactVectorIndex } from '../src/retrieval/exact.vector-index.js';

/** One neighbour: its position in the stream and its inner product with the query. */
export interface Neighbour {
  position: number;
  score: number;
}

/**
 * Keeps each query's exact top-k while chunks of the stream go by: every chunk is searched exactly (the
 * product's WebAssembly kernel) and merged in, so only one chunk is held at a time. Ties: smaller position.
 */
export class StreamingTopK {
  private readonly best: Neighbour[][];
  private seen = 0;

  constructor(
    private readonly queries: readonly Float32Array[],
    private readonly k: number,
  ) {
    this.best = queries.map(() => []);
  }

  /** Vectors merged so far. */
  get count(): number {
    return this.seen;
  }

  /** Merges the next `rows` vectors of the stream (row-major in `matrix`), positions counting on from the last chunk. */
  addChunk(matrix: Float32Array, rows: number): void {
    const dim = this.queries[0]?.length ?? 0;
    if (rows === 0 || dim === 0) return;
    const index = new ExactVectorIndex(dim, { initialCapacity: rows });
    for (let r = 0; r < rows; r++) index.add(this.seen + r, matrix.subarray(r * dim, (r + 1) * dim));
    this.queries.forEach((q, i) => {
      const hits = index.search(q, this.k).map((h) => ({ position: h.label, score: h.score }));
      this.best[i] = mergeTop(this.best[i], hits, this.k);
    });
    this.seen += rows;
  }

  /** Each query's exact top-k positions so far, as sets. */
  truth(): Set<number>[] {
    return this.best.map((b) => new Set(b.map((n) => n.position)));
  }

  /** Each query's exact top-k so far, best first. */
  neighbours(): Neighbour[][] {
    return this.best.map((b) => b.slice());
  }
}

/** The best `k` of two lists (higher score first, then smaller position). */
export function mergeTop(a: readonly Neighbour[], b: readonly Neighbour[], k: number): Neighbour[] {
  return [...a, ...b].sort((x, y) => y.score - x.score || x.position - y.position).slice(0, k);
}

/** Mean fraction of each query's true top-k found in its first k results. */
export function recallAtK(truth: readonly Set<number>[], results: readonly (readonly number[])[], k: number): number {
  if (truth.length !== results.length) throw new Error(`recall: ${truth.length} truths but ${results.length} result lists`);
  if (truth.length === 0) return 0;
  let found = 0;
  results.forEach((r, i) => {
    for (const p of r.slice(0, k)) if (truth[i].has(p)) found++;
  });
  return found / (truth.length * k);
}
