/** One nearest-neighbour result: the caller's integer label and its inner product with the query. */
export interface VectorHit {
  label: number;
  /** Inner product with the query; the cosine similarity for L2-normalised vectors. */
  score: number;
}

/**
 * Nearest-neighbour search over L2-normalised vectors by inner product. Labels are the caller's
 * non-negative integer ids (the gallery uses SQLite row ids).
 */
export interface VectorIndex {
  readonly dim: number;
  /** Number of live (not removed) vectors. */
  readonly size: number;
  /** Adds or replaces the vector under `label`. @throws CtgiError BAD_INPUT on a wrong dimension. */
  add(label: number, vector: Float32Array): void;
  /** Removes `label`; removing an absent label is a no-op. */
  remove(label: number): void;
  has(label: number): boolean;
  /** Live labels, in no particular order. */
  labels(): number[];
  /**
   * Up to `k` best hits, best first (ties: smaller label first). `filter` keeps only the labels it
   * accepts; the result is still the best `k` among those.
   */
  search(query: Float32Array, k: number, filter?: (label: number) => boolean): VectorHit[];
}
