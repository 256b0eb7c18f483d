import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import hnswlib from 'hnswlib-node';
import type { HierarchicalNSW } from 'hnswlib-node';
import { CtgiError, isCtgiError } from '../errors/ctgi-error.js';
import { assertK, assertLabel, assertVector, dotAt } from './exact.vector-index.js';
import { inspectHnswFile } from './hnsw-file.js';
import type { VectorHit, VectorIndex } from './vector-index.js';

/** HNSW parameters; `M` and `efConstruction` shape the graph and are read back from a loaded file. */
export interface HnswOptions {
  /** Links per node (2M on the base layer). Default 16. */
  M?: number;
  /** Candidate list size while inserting. Default 200. */
  efConstruction?: number;
  /** Candidate list size while searching (at least k is used). Default 64. */
  ef?: number;
  /** Seed of the level generator, for reproducible graphs. Default 100. */
  seed?: number;
  /** Slots allocated up front; the index doubles them when full. Default 1024. */
  initialCapacity?: number;
  /**
   * Source of the stored full-precision vectors (e.g. the gallery's exact index) used to re-score
   * candidates exactly; without it they are read back from hnswlib (`getPoint`, ~25 µs each at 512-d).
   */
  rescore?: (label: number) => Float32Array | undefined;
}

/**
 * Defaults measured by `npm run bench:search` (100k clustered 512-d vectors, 2 cores): ef 64 gives
 * recall@10 ≥ 0.99 at a p50 well under 2 ms; efConstruction 200 is hnswlib's own default.
 */
export const HNSW_DEFAULTS = { M: 16, efConstruction: 200, ef: 64, seed: 100, initialCapacity: 1024 } as const;

/** Labels are uint32 in hnswlib-node. */
const MAX_LABEL = 0xffffffff;
/** hnswlib's float32 distances are within ~1e-6 of the exact ones; candidates this close to the cut are re-scored too. */
const SCORE_SLACK = 1e-4;

/**
 * Approximate nearest neighbours with hnswlib-node (the only module that imports it): 'ip' space on
 * L2-normalised vectors, whose distance is 1 − x·q, so a hit's score is the inner product. Candidates are
 * re-scored exactly with the same arithmetic as the exact index and re-sorted (ties: smaller label).
 * Removal marks elements deleted; their slots are reused by later additions.
 */
export class HnswVectorIndex implements VectorIndex {
  readonly dim: number;
  /** Graph parameters: the options given, or those stored in a loaded file. */
  readonly M: number;
  readonly efConstruction: number;
  private readonly index: HierarchicalNSW;
  private readonly live: Set<number>;
  /** Reused argument array: hnswlib-node takes plain arrays only. */
  private readonly scratch: number[];
  private rescoreSource: ((label: number) => Float32Array | undefined) | undefined;
  private efValue: number;
  private saving = false;

  /** @param loaded internal: the state {@link load} read from a file. */
  constructor(dim: number, options: HnswOptions = {}, loaded?: { index: HierarchicalNSW; live: number[]; M: number; efConstruction: number }) {
    this.dim = checkDim(dim);
    if (loaded) {
      this.index = loaded.index;
      this.live = new Set(loaded.live);
      this.M = loaded.M;
      this.efConstruction = loaded.efConstruction;
    } else {
      this.M = checkInt('M', options.M ?? HNSW_DEFAULTS.M, 2, 10_000);
      // hnswlib raises efConstruction to M.
      this.efConstruction = Math.max(this.M, checkInt('efConstruction', options.efConstruction ?? HNSW_DEFAULTS.efConstruction, 1));
      const seed = checkInt('seed', options.seed ?? HNSW_DEFAULTS.seed, 0, 0xffffffff);
      const capacity = checkInt('initialCapacity', options.initialCapacity ?? HNSW_DEFAULTS.initialCapacity, 1, MAX_LABEL);
      this.index = new hnswlib.HierarchicalNSW('ip', dim);
      this.index.initIndex({ maxElements: capacity, m: this.M, efConstruction: this.efConstruction, randomSeed: seed, allowReplaceDeleted: true });
      this.live = new Set();
    }
    this.scratch = new Array<number>(dim).fill(0);
    this.rescoreSource = options.rescore;
    this.efValue = this.setEfChecked(options.ef ?? HNSW_DEFAULTS.ef);
  }

  /**
   * Loads a file written by {@link save}, after checking it cannot crash hnswlib's loader. `M` and
   * `efConstruction` come from the file; `ef` and `rescore` from `options`.
   * @throws CtgiError NOT_FOUND (no file), INDEX_MISMATCH (other dimension), BAD_INPUT (corrupt or truncated).
   */
  static async load(path: string, dim: number, options: HnswOptions = {}): Promise<HnswVectorIndex> {
    const info = await inspectHnswFile(path, checkDim(dim), { scanElements: true });
    const index = new hnswlib.HierarchicalNSW('ip', dim);
    try {
      await index.readIndex(path, true);
    } catch (err) {
      throw new CtgiError('BAD_INPUT', `The HNSW index file ${path} could not be loaded (${String(err)}); delete it and rebuild the index.`, { cause: err });
    }
    if (index.getCurrentCount() !== info.count) {
      throw new CtgiError('BAD_INPUT', `The HNSW index file ${path} changed while it was being loaded; try again.`);
    }
    return new HnswVectorIndex(dim, options, { index, live: info.labels, M: info.M, efConstruction: info.efConstruction });
  }

  get size(): number {
    return this.live.size;
  }

  /** Current ef (hnswlib searches with max(ef, k)). */
  get ef(): number {
    return this.efValue;
  }

  /** Slots allocated, live and deleted ones included. */
  get capacity(): number {
    return this.index.getMaxElements();
  }

  setEf(ef: number): void {
    this.efValue = this.setEfChecked(ef);
  }

  /** Sets (or clears) the source of full-precision vectors used to re-score candidates. */
  setRescoreSource(source: ((label: number) => Float32Array | undefined) | undefined): void {
    this.rescoreSource = source;
  }

  add(label: number, vector: Float32Array): void {
    this.assertIdle();
    assertLabel(label, MAX_LABEL);
    assertVector(vector, this.dim, `vector for label ${label}`);
    const point = this.toScratch(vector);
    if (this.live.has(label)) {
      this.index.addPoint(point, label, false); // hnswlib updates the vector and repairs its links
    } else if (this.index.getCurrentCount() > this.live.size) {
      // Deleted slots exist. If this label's own slot is still there, revive it (addPoint refuses to
      // update a deleted element when slot reuse is on); else take any deleted slot.
      let revived = true;
      try {
        this.index.unmarkDelete(label);
      } catch {
        revived = false;
      }
      this.index.addPoint(point, label, !revived);
    } else {
      const max = this.index.getMaxElements();
      // (hnswlib loads an empty file with room for 0 elements, hence the floor.)
      if (this.index.getCurrentCount() >= max) this.index.resizeIndex(Math.min(MAX_LABEL, max > 0 ? max * 2 : HNSW_DEFAULTS.initialCapacity));
      this.index.addPoint(point, label, false);
    }
    this.live.add(label);
  }

  remove(label: number): void {
    this.assertIdle();
    if (!this.live.has(label)) return;
    this.index.markDelete(label);
    this.live.delete(label);
  }

  has(label: number): boolean {
    return this.live.has(label);
  }

  labels(): number[] {
    return [...this.live];
  }

  search(query: Float32Array, k: number, filter?: (label: number) => boolean): VectorHit[] {
    assertVector(query, this.dim, 'query vector');
    assertK(k);
    const wanted = Math.min(k, this.live.size);
    if (wanted === 0) return [];
    // hnswlib gathers max(ef, k) candidates anyway; taking them all lets exact re-scoring fix the order near the cut.
    const fetch = Math.min(this.live.size, Math.max(wanted, this.efValue));
    let filterError: unknown;
    // A throwing callback inside the native search would leave a pending exception there: catch it here.
    const accept = filter
      ? (label: number): boolean => {
          try {
            return filter(label) === true;
          } catch (err) {
            filterError ??= err;
            return false;
          }
        }
      : undefined;
    const { neighbors, distances } = this.index.searchKnn(this.toScratch(query), fetch, accept);
    if (filterError !== undefined) throw filterError;
    if (neighbors.length === 0) return [];
    const cutIndex = Math.min(wanted, neighbors.length) - 1;
    const cut = 1 - distances[cutIndex];
    const slack = SCORE_SLACK * Math.max(1, Math.abs(cut));
    const q = Float64Array.from(query);
    const hits: VectorHit[] = [];
    for (let i = 0; i < neighbors.length && (i <= cutIndex || 1 - distances[i] >= cut - slack); i++) {
      hits.push({ label: neighbors[i], score: this.exactScore(neighbors[i], q, 1 - distances[i]) });
    }
    return hits.sort((a, b) => b.score - a.score || a.label - b.label).slice(0, wanted);
  }

  /**
   * Writes the index atomically: to `path.tmp-PID`, checked, flushed to disk, then renamed over `path`.
   * Deleted elements keep their delete mark in the file. Do not add or remove while it runs.
   * @throws CtgiError BAD_INPUT when the file cannot be written.
   */
  async save(path: string): Promise<void> {
    this.assertIdle();
    this.saving = true;
    const tmp = `${path}.tmp-${process.pid}`;
    try {
      await this.index.writeIndex(tmp);
      // hnswlib does not report write errors (full disk, missing directory): check what landed on disk.
      const written = await inspectHnswFile(tmp, this.dim);
      if (written.count !== this.index.getCurrentCount()) throw new Error(`${written.count} of ${this.index.getCurrentCount()} elements written`);
      const handle = await open(tmp, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, path);
      await syncDirectory(dirname(path));
    } catch (err) {
      await rm(tmp, { force: true });
      const reason = (isCtgiError(err) ? err.message : String(err)).replace(/\.$/, '');
      throw new CtgiError('BAD_INPUT', `Could not save the HNSW index to ${path} (${reason}); check that its directory exists, is writable and has free space.`, { cause: err });
    } finally {
      this.saving = false;
    }
  }

  private exactScore(label: number, q: Float64Array, approximate: number): number {
    const stored = this.rescoreSource?.(label);
    if (stored && stored.length === this.dim) return dotAt(stored, 0, q, this.dim);
    try {
      return dotAt(Float32Array.from(this.index.getPoint(label)), 0, q, this.dim);
    } catch {
      return approximate;
    }
  }

  private toScratch(vector: Float32Array): number[] {
    const a = this.scratch;
    for (let i = 0; i < a.length; i++) a[i] = vector[i];
    return a;
  }

  private setEfChecked(ef: number): number {
    checkInt('ef', ef, 1);
    this.index.setEf(ef);
    return ef;
  }

  private assertIdle(): void {
    if (this.saving) throw new CtgiError('INTERNAL', 'The HNSW index was changed while it was being saved; await save() before adding or removing.');
  }
}

function checkDim(dim: number): number {
  if (!Number.isInteger(dim) || dim <= 0) throw new CtgiError('BAD_INPUT', `A vector index needs a positive integer dimension, not ${dim}.`);
  return dim;
}

function checkInt(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CtgiError('BAD_INPUT', `HNSW option ${name} must be an integer from ${min} to ${max}, not ${value}.`);
  }
  return value;
}

/** Makes a rename durable (POSIX); platforms that cannot open directories skip it. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort only: the data itself was already flushed.
  }
}
