/** End-of-word marker CLIP appends to the last symbol of every word. */
export const END_OF_WORD = '</w>';

/** Rank lookup for merges: key `${left} ${right}` (symbols never contain a space). */
export type MergeRanks = ReadonlyMap<string, number>;

/** Builds the rank map the way Python's `dict(zip(merges, range(len(merges))))` does: a repeated pair keeps its last rank. */
export function mergeRanks(merges: ReadonlyArray<readonly [string, string]>): Map<string, number> {
  const ranks = new Map<string, number>();
  merges.forEach(([a, b], i) => ranks.set(`${a} ${b}`, i));
  return ranks;
}

interface Candidate {
  rank: number;
  /** Index of the left symbol; never moves, so it also orders candidates left to right. */
  pos: number;
}

/** Min-heap on (rank, pos). */
class CandidateHeap {
  private readonly items: Candidate[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Candidate | undefined {
    return this.items[0];
  }

  push(c: Candidate): void {
    const a = this.items;
    a.push(c);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  pop(): Candidate {
    const a = this.items;
    const top = a[0];
    const last = a.pop() as Candidate;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l], a[m])) m = l;
        if (r < a.length && less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

function less(x: Candidate, y: Candidate): boolean {
  return x.rank < y.rank || (x.rank === y.rank && x.pos < y.pos);
}

/**
 * Runs CLIP's BPE on one word of byte symbols and returns the final symbols (the last one ends in
 * `</w>`). Same result as `simple_tokenizer.bpe`: repeatedly take the lowest-ranked adjacent pair and
 * merge all its non-overlapping occurrences left to right. A heap of candidate pairs over a linked
 * list keeps long words at O(n log n) instead of the reference's O(n²).
 */
export function bpeWord(word: string, ranks: MergeRanks): string[] {
  const n = word.length;
  if (n === 0) return [];
  const sym: string[] = Array.from(word, (ch) => ch);
  sym[n - 1] += END_OF_WORD;
  if (n === 1) return sym;

  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  const alive = new Uint8Array(n).fill(1);
  const heap = new CandidateHeap();
  const rankAt = (i: number): number | undefined => {
    const j = next[i];
    return j < 0 ? undefined : ranks.get(`${sym[i]} ${sym[j]}`);
  };
  const pushAt = (i: number): void => {
    const rank = rankAt(i);
    if (rank !== undefined) heap.push({ rank, pos: i });
  };
  for (let i = 0; i < n - 1; i++) pushAt(i);

  const touched: number[] = [];
  while (heap.size > 0) {
    const rank = (heap.peek() as Candidate).rank;
    // One reference "pass": every occurrence of this pair, left to right. Pairs created by the pass
    // are queued only after it, because a newly formed pair may rank lower than the current one.
    touched.length = 0;
    while (heap.size > 0 && (heap.peek() as Candidate).rank === rank) {
      const { pos: i } = heap.pop();
      // Stale entries: the left symbol was absorbed, or either side has since been merged.
      if (!alive[i] || rankAt(i) !== rank) continue;
      const j = next[i];
      sym[i] += sym[j];
      alive[j] = 0;
      next[i] = next[j];
      if (next[j] >= 0) prev[next[j]] = i;
      touched.push(i);
    }
    for (const i of touched) {
      if (!alive[i]) continue;
      if (prev[i] >= 0) pushAt(prev[i]);
      pushAt(i);
    }
  }

  const out: string[] = [];
  for (let i = 0; i >= 0; i = next[i]) out.push(sym[i]);
  return out;
}
