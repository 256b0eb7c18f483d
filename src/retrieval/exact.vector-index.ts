import { CtgiError } from '../errors/ctgi-error.js';
import type { VectorHit, VectorIndex } from './vector-index.js';
import { WasmMatrix } from './wasm-matrix.js';

/** One row of a matrix and its inner product with a query. */
export interface ScoredRow {
  row: number;
  score: number;
}

/**
 * Inner product of `dim` values of `matrix` starting at `offset` with `query`, accumulated in doubles.
 * Both adapters score with this one function, so equal vectors get bit-identical scores everywhere.
 */
export function dotAt(matrix: Float32Array, offset: number, query: Float64Array, dim: number): number {
  // Four independent accumulators let V8 overlap the multiply-adds (about 1.5× faster than one).
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  const end = dim - 3;
  for (; j < end; j += 4) {
    const o = offset + j;
    s0 += matrix[o] * query[j];
    s1 += matrix[o + 1] * query[j + 1];
    s2 += matrix[o + 2] * query[j + 2];
    s3 += matrix[o + 3] * query[j + 3];
  }
  for (; j < dim; j++) s0 += matrix[offset + j] * query[j];
  return s0 + s1 + (s2 + s3);
}

/**
 * Keeps the best `cap` of the (row, score) pairs offered to it in a bounded min-heap whose root is the
 * worst kept entry (lowest score, then largest tie key), so each offer is O(1) or O(log cap).
 */
class TopK {
  private readonly scores: Float64Array;
  private readonly rows: Int32Array;
  size = 0;

  constructor(
    readonly cap: number,
    private readonly key: (row: number) => number,
  ) {
    this.scores = new Float64Array(cap);
    this.rows = new Int32Array(cap);
  }

  /** Score an entry must reach to be kept once the heap is full (ties decided by the key). */
  get threshold(): number {
    return this.size < this.cap ? -Infinity : this.scores[0];
  }

  offer(row: number, score: number): void {
    if (this.size < this.cap) {
      let i = this.size++;
      this.scores[i] = score;
      this.rows[i] = row;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!this.worse(i, p)) break;
        this.swap(i, p);
        i = p;
      }
    } else if (score > this.scores[0] || (score === this.scores[0] && this.key(row) < this.key(this.rows[0]))) {
      this.scores[0] = score;
      this.rows[0] = row;
      this.siftDown();
    }
  }

  /** The kept entries, best first. */
  sorted(): ScoredRow[] {
    const out: ScoredRow[] = [];
    for (let i = 0; i < this.size; i++) out.push({ row: this.rows[i], score: this.scores[i] });
    return out.sort((a, b) => b.score - a.score || this.key(a.row) - this.key(b.row));
  }

  private worse(a: number, b: number): boolean {
    const sa = this.scores[a];
    const sb = this.scores[b];
    return sa < sb || (sa === sb && this.key(this.rows[a]) > this.key(this.rows[b]));
  }

  private siftDown(): void {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) return;
      const r = l + 1;
      const c = r < this.size && this.worse(r, l) ? r : l;
      if (!this.worse(c, i)) return;
      this.swap(i, c);
      i = c;
    }
  }

  private swap(a: number, b: number): void {
    const s = this.scores[a];
    this.scores[a] = this.scores[b];
    this.scores[b] = s;
    const r = this.rows[a];
    this.rows[a] = this.rows[b];
    this.rows[b] = r;
  }
}

function heapFor(k: number, rows: number, tieKey?: ArrayLike<number>): TopK {
  const key = tieKey ? (row: number) => tieKey[row] : (row: number) => row;
  return new TopK(Math.min(Math.max(0, Math.floor(k)), rows), key);
}

/**
 * The best `k` rows of a row-major `rows × dim` matrix by inner product with `query`, best first, by one
 * pass with a bounded min-heap (O(rows·dim + rows·log k)), never a full sort of all scores. Ties go to
 * the smaller `tieKey[row]` (the row itself when omitted). `accept` skips rows it rejects.
 */
export function topKExact(
  matrix: Float32Array,
  rows: number,
  dim: number,
  query: Float32Array,
  k: number,
  accept?: (row: number) => boolean,
  tieKey?: ArrayLike<number>,
): ScoredRow[] {
  const heap = heapFor(k, rows, tieKey);
  if (heap.cap === 0) return [];
  // A float64 copy of the query spares the loop a float32→double conversion per element.
  const q = Float64Array.from(query);
  let threshold = -Infinity;
  for (let row = 0, offset = 0; row < rows; row++, offset += dim) {
    if (accept !== undefined && !accept(row)) continue;
    const s = dotAt(matrix, offset, q, dim);
    if (s >= threshold) {
      heap.offer(row, s);
      threshold = heap.threshold;
    }
  }
  return heap.sorted();
}

/** {@link topKExact}'s selection over precomputed scores: the best `k` of `scores[0..rows)`, best first. */
export function selectTopK(
  scores: Float64Array,
  rows: number,
  k: number,
  accept?: (row: number) => boolean,
  tieKey?: ArrayLike<number>,
): ScoredRow[] {
  const heap = heapFor(k, rows, tieKey);
  if (heap.cap === 0) return [];
  let threshold = -Infinity;
  for (let row = 0; row < rows; row++) {
    const s = scores[row];
    if (s >= threshold && (accept === undefined || accept(row))) {
      heap.offer(row, s);
      threshold = heap.threshold;
    }
  }
  return heap.sorted();
}

/** @throws CtgiError BAD_INPUT unless `label` is an integer in [0, max]. */
export function assertLabel(label: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(label) || label < 0 || label > max) {
    throw new CtgiError('BAD_INPUT', `Vector label ${label} is not valid: labels are integers from 0 to ${max}.`);
  }
}

/** @throws CtgiError BAD_INPUT unless `vector` has `dim` finite values. */
export function assertVector(vector: Float32Array, dim: number, what: string): void {
  if (vector.length !== dim) {
    throw new CtgiError('BAD_INPUT', `The ${what} has ${vector.length} values but this index holds ${dim}-d vectors; use vectors from the index's model.`);
  }
  for (let i = 0; i < dim; i++) {
    if (!Number.isFinite(vector[i])) throw new CtgiError('BAD_INPUT', `The ${what} contains a non-finite value at position ${i}.`);
  }
}

/** @throws CtgiError BAD_INPUT unless `k` is a non-negative integer. */
export function assertK(k: number): void {
  if (!Number.isInteger(k) || k < 0) throw new CtgiError('BAD_INPUT', `The number of hits asked for (${k}) must be a non-negative integer.`);
}

/**
 * Exact brute-force index: every vector in one growable row-major Float32Array (capacity doubles),
 * removal by moving the last row into the hole (O(1)), search by one pass over the matrix with partial
 * selection. The matrix lives in WebAssembly memory scored by a SIMD kernel when the runtime allows
 * (see wasm-matrix.ts), else in a plain Float32Array scored by {@link topKExact}; scores are identical.
 */
export class ExactVectorIndex implements VectorIndex {
  readonly dim: number;
  private matrix: Float32Array;
  private wasm: WasmMatrix | undefined;
  /** Label of each row (Float64Array: labels may exceed 2^31). */
  private rowLabels: Float64Array;
  private readonly rowOf = new Map<number, number>();
  private rows = 0;

  /** `simd: false` forces the plain-JS path (benchmarks and tests compare the two). */
  constructor(dim: number, options: { initialCapacity?: number; simd?: boolean } = {}) {
    if (!Number.isInteger(dim) || dim <= 0) throw new CtgiError('BAD_INPUT', `A vector index needs a positive integer dimension, not ${dim}.`);
    this.dim = dim;
    const capacity = Math.max(1, Math.floor(options.initialCapacity ?? 1024));
    this.wasm = options.simd === false ? undefined : WasmMatrix.create(dim, capacity);
    this.matrix = this.wasm?.matrix ?? new Float32Array(capacity * dim);
    this.rowLabels = new Float64Array(capacity);
  }

  get size(): number {
    return this.rows;
  }

  /** Rows the current buffers hold before they next double. */
  get capacity(): number {
    return this.rowLabels.length;
  }

  /** Whether searches run on the WebAssembly SIMD kernel. */
  get simd(): boolean {
    return this.wasm !== undefined;
  }

  add(label: number, vector: Float32Array): void {
    assertLabel(label);
    assertVector(vector, this.dim, `vector for label ${label}`);
    let row = this.rowOf.get(label);
    if (row === undefined) {
      if (this.rows === this.capacity) this.grow();
      row = this.rows++;
      this.rowOf.set(label, row);
      this.rowLabels[row] = label;
    }
    this.matrix.set(vector, row * this.dim);
  }

  remove(label: number): void {
    const row = this.rowOf.get(label);
    if (row === undefined) return;
    const last = this.rows - 1;
    if (row !== last) {
      const moved = this.rowLabels[last];
      this.matrix.copyWithin(row * this.dim, last * this.dim, (last + 1) * this.dim);
      this.rowLabels[row] = moved;
      this.rowOf.set(moved, row);
    }
    this.rowOf.delete(label);
    this.rows = last;
  }

  has(label: number): boolean {
    return this.rowOf.has(label);
  }

  labels(): number[] {
    return [...this.rowOf.keys()];
  }

  /** The stored vector of `label` as a view into the matrix, valid until the next add or remove. */
  get(label: number): Float32Array | undefined {
    const row = this.rowOf.get(label);
    return row === undefined ? undefined : this.matrix.subarray(row * this.dim, (row + 1) * this.dim);
  }

  search(query: Float32Array, k: number, filter?: (label: number) => boolean): VectorHit[] {
    assertVector(query, this.dim, 'query vector');
    assertK(k);
    const labels = this.rowLabels;
    const accept = filter ? (row: number) => filter(labels[row]) : undefined;
    const hits =
      this.wasm && this.rows > 0
        ? selectTopK(this.wasm.scoreRows(query, this.rows), this.rows, k, accept, labels)
        : topKExact(this.matrix, this.rows, this.dim, query, k, accept, labels);
    return hits.map((h) => ({ label: labels[h.row], score: h.score }));
  }

  /**
   * The exact top `k` among `labels` only (unknown labels are skipped), best first, ties to the smaller
   * label: O(|labels|·dim), so a selective filter (one camera, one hour) costs less than a full pass.
   */
  searchAmong(query: Float32Array, k: number, labels: Iterable<number>): VectorHit[] {
    assertVector(query, this.dim, 'query vector');
    assertK(k);
    const rows: number[] = [];
    for (const label of labels) {
      const row = this.rowOf.get(label);
      if (row !== undefined) rows.push(row);
    }
    const q = Float64Array.from(query);
    const scores = new Float64Array(rows.length);
    const keys = new Float64Array(rows.length);
    rows.forEach((row, i) => {
      scores[i] = dotAt(this.matrix, row * this.dim, q, this.dim);
      keys[i] = this.rowLabels[row];
    });
    return selectTopK(scores, rows.length, k, undefined, keys).map((h) => ({ label: keys[h.row], score: h.score }));
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    if (this.wasm?.grow(capacity)) {
      this.matrix = this.wasm.matrix;
    } else {
      // Plain memory (also when the wasm memory reached its 4 GiB limit: the JS path takes over).
      const matrix = new Float32Array(capacity * this.dim);
      matrix.set(this.matrix.subarray(0, this.rows * this.dim));
      this.matrix = matrix;
      this.wasm = undefined;
    }
    const rowLabels = new Float64Array(capacity);
    rowLabels.set(this.rowLabels.subarray(0, this.rows));
    this.rowLabels = rowLabels;
  }
}
