import { CtgiError } from '../errors/ctgi-error.js';

/** A person id as datasets give it; compared as `String(id)`, so `1` and `"1"` are the same person. */
export type PersonId = string | number;

/** Retrieval metrics of one evaluation, all in percent (0–100). */
export interface RankingMetrics {
  R1: number;
  R5: number;
  R10: number;
  mAP: number;
  mINP: number;
  /** R1 + R5 + R10 (0–300). */
  rSum: number;
  /** CMC curve: `cmc[k - 1]` = percent of queries with a match in the top k, for k = 1..maxRank. */
  cmc: number[];
}

export interface RankingMetricsOptions {
  /** Length of the CMC curve (default 50). */
  maxRank?: number;
}

/** Length of the CMC curve when the caller does not choose one. */
export const DEFAULT_MAX_RANK = 50;

/**
 * Rank-k (CMC), mAP and mINP with the IRRA/RDE definitions: each query ranks the whole gallery by
 * similarity, descending; a gallery item matches when its person id equals the query's.
 *
 * - CMC(k): fraction of queries with a match in the top k; R1/R5/R10 are CMC at 1/5/10.
 * - AP: mean over the matches of (matches at or above it) / (its 1-based position); mAP is the mean AP.
 * - INP: (number of matches) / (1-based position of the last match); mINP is the mean INP.
 *
 * Ties in similarity are broken by gallery order: the item with the smaller gallery index ranks first.
 * Ids compare as strings after `String()`, so `1` and `"1"` are equal (JSON datasets mix the two) while
 * `"01"` and `1` are not.
 *
 * @param similarity queries × gallery scores: rows of numbers, or a row-major Float32Array.
 * @throws CtgiError BAD_INPUT for a malformed input, or naming the first query (0-based index) that has no
 *   match in the gallery.
 */
export function rankingMetrics(
  similarity: Float32Array | number[][],
  queryIds: PersonId[],
  galleryIds: PersonId[],
  options: RankingMetricsOptions = {},
): RankingMetrics {
  const maxRank = options.maxRank ?? DEFAULT_MAX_RANK;
  if (!Number.isSafeInteger(maxRank) || maxRank < 1) {
    throw new CtgiError('BAD_INPUT', `The CMC length (maxRank) must be a positive integer, not ${String(maxRank)}.`);
  }
  const queryKeys = idKeys(queryIds, 'queryIds', 'Query');
  const galleryKeys = idKeys(galleryIds, 'galleryIds', 'Gallery item');
  if (queryKeys.length === 0) throw new CtgiError('BAD_INPUT', 'There are no queries: queryIds is empty.');
  if (galleryKeys.length === 0) throw new CtgiError('BAD_INPUT', 'The gallery is empty: galleryIds has no items.');
  const row = rowReader(similarity, queryKeys.length, galleryKeys.length);

  // Gallery items grouped by person, each group in gallery order; ids become small integer codes so the
  // inner loop compares numbers, not strings.
  const codeOf = new Map<string, number>();
  const galleryCode = new Int32Array(galleryKeys.length);
  const groups: number[][] = [];
  galleryKeys.forEach((key, i) => {
    let code = codeOf.get(key);
    if (code === undefined) {
      code = groups.length;
      codeOf.set(key, code);
      groups.push([]);
    }
    galleryCode[i] = code;
    groups[code].push(i);
  });

  const largestGroup = groups.reduce((m, g) => Math.max(m, g.length), 0);
  const scratch = new RankScratch(largestGroup);
  const firstHits = new Float64Array(maxRank + 1); // firstHits[r] = queries whose first match is at position r
  let r1 = 0;
  let r5 = 0;
  let r10 = 0;
  let apSum = 0;
  let inpSum = 0;
  for (let q = 0; q < queryKeys.length; q++) {
    const code = codeOf.get(queryKeys[q]);
    if (code === undefined) {
      throw new CtgiError(
        'BAD_INPUT',
        `Query ${q} (id ${JSON.stringify(queryKeys[q])}) has no match in the gallery; every query needs at least one gallery item with its person id.`,
      );
    }
    const positions = scratch.matchPositions(row(q), groups[code], galleryCode, code);
    const m = groups[code].length;
    const first = positions[0];
    if (first <= 1) r1++;
    if (first <= 5) r5++;
    if (first <= 10) r10++;
    if (first <= maxRank) firstHits[first]++;
    let ap = 0;
    for (let k = 0; k < m; k++) ap += (k + 1) / positions[k];
    apSum += ap / m;
    inpSum += m / positions[m - 1];
  }

  const n = queryKeys.length;
  const cmc: number[] = [];
  let hits = 0;
  for (let r = 1; r <= maxRank; r++) {
    hits += firstHits[r];
    cmc.push((100 * hits) / n);
  }
  const R1 = (100 * r1) / n;
  const R5 = (100 * r5) / n;
  const R10 = (100 * r10) / n;
  return { R1, R5, R10, mAP: (100 * apSum) / n, mINP: (100 * inpSum) / n, rSum: R1 + R5 + R10, cmc };
}

/**
 * Buffers reused across queries, so ranking one query allocates nothing of gallery size.
 *
 * Instead of sorting the gallery, the matches alone are sorted into rank order, and every non-match is
 * binary-searched among them to count how many matches it outranks: O(G log M) per query for G gallery
 * items and M matches, with the same result as a full sort with the gallery-order tie break.
 */
class RankScratch {
  readonly #order: Int32Array;
  readonly #scores: Float64Array;
  readonly #index: Int32Array;
  readonly #before: Int32Array;
  readonly #positions: Float64Array;

  constructor(capacity: number) {
    this.#order = new Int32Array(capacity);
    this.#scores = new Float64Array(capacity);
    this.#index = new Int32Array(capacity);
    this.#before = new Int32Array(capacity + 1);
    this.#positions = new Float64Array(capacity);
  }

  /** 1-based positions of the query's matches in the full ranking, best first (valid until the next call). */
  matchPositions(row: ArrayLike<number>, matches: number[], galleryCode: Int32Array, code: number): Float64Array {
    const m = matches.length;
    const order = this.#order.subarray(0, m);
    for (let k = 0; k < m; k++) order[k] = matches[k];
    order.sort((a, b) => row[b] - row[a] || a - b);
    const scores = this.#scores;
    const index = this.#index;
    for (let k = 0; k < m; k++) {
      index[k] = order[k];
      scores[k] = row[order[k]];
    }

    // before[k] = non-matches whose first outranked match is the k-th (k = m: outranks none).
    const before = this.#before;
    before.fill(0, 0, m + 1);
    const lastScore = scores[m - 1];
    const lastIndex = index[m - 1];
    for (let i = 0; i < row.length; i++) {
      if (galleryCode[i] === code) continue;
      const s = row[i];
      // Most non-matches rank below every match in a useful model: settle them without a search.
      if (s < lastScore || (s === lastScore && i > lastIndex)) continue;
      let lo = 0;
      let hi = m - 1; // outranks match hi for sure; find the first one it outranks
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (s > scores[mid] || (s === scores[mid] && i < index[mid])) hi = mid;
        else lo = mid + 1;
      }
      before[lo]++;
    }

    const positions = this.#positions;
    let outranking = 0;
    for (let k = 0; k < m; k++) {
      outranking += before[k];
      positions[k] = k + 1 + outranking;
    }
    return positions;
  }
}

/** The ids as string keys. @throws CtgiError BAD_INPUT naming the first id that is not a string or number. */
function idKeys(ids: unknown, field: string, noun: string): string[] {
  if (!Array.isArray(ids)) throw new CtgiError('BAD_INPUT', `${field} must be an array of person ids (strings or numbers).`);
  return ids.map((id: unknown, i) => {
    if (typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id))) return String(id);
    const what = id === null ? 'null' : typeof id === 'number' ? String(id) : typeof id;
    throw new CtgiError('BAD_INPUT', `${noun} ${i} has id ${what}; person ids must be strings or finite numbers.`);
  });
}

/**
 * Checks the matrix shape and values once, then returns a row accessor.
 * @throws CtgiError BAD_INPUT for a wrong shape, a ragged row or a value that is not a finite number.
 */
function rowReader(similarity: unknown, queries: number, gallery: number): (q: number) => ArrayLike<number> {
  if (similarity instanceof Float32Array) {
    if (similarity.length !== queries * gallery) {
      throw new CtgiError(
        'BAD_INPUT',
        `The similarity array has ${similarity.length} values but ${queries} queries × ${gallery} gallery items need ${queries * gallery}.`,
      );
    }
    for (let i = 0; i < similarity.length; i++) {
      if (!Number.isFinite(similarity[i])) {
        const q = Math.floor(i / gallery);
        throw notFinite(q, i - q * gallery, similarity[i]);
      }
    }
    return (q) => similarity.subarray(q * gallery, (q + 1) * gallery);
  }
  if (!Array.isArray(similarity)) {
    throw new CtgiError('BAD_INPUT', 'The similarity must be a matrix: an array of rows (one per query) of numbers (one per gallery item).');
  }
  if (similarity.length !== queries) {
    throw new CtgiError('BAD_INPUT', `The similarity matrix has ${similarity.length} rows but there are ${queries} query ids; give one row per query.`);
  }
  similarity.forEach((row: unknown, q) => {
    if (!Array.isArray(row)) throw new CtgiError('BAD_INPUT', `Row ${q} of the similarity matrix is not an array of numbers.`);
    if (row.length !== gallery) {
      throw new CtgiError(
        'BAD_INPUT',
        `Row ${q} of the similarity matrix has ${row.length} values but there are ${gallery} gallery ids; give one score per gallery item.`,
      );
    }
    for (let g = 0; g < gallery; g++) {
      const v: unknown = row[g];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw notFinite(q, g, v);
    }
  });
  return (q) => (similarity as number[][])[q];
}

function notFinite(q: number, g: number, value: unknown): CtgiError {
  const shown = typeof value === 'number' ? String(value) : value === null ? 'null' : typeof value;
  return new CtgiError('BAD_INPUT', `Similarity [${q}][${g}] is ${shown}; every score must be a finite number.`);
}
