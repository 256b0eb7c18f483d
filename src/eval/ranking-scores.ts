// Turning a partial MTI ranking into full-gallery scores for the standard metrics.

/**
 * Scores that put `ranked` first in its order and every other image after it in plain-retrieval order
 * (by `base`, ties by gallery order as rankingMetrics breaks them).
 */
export function fullRankingScores(ranked: readonly number[], base: ArrayLike<number>, rowOf: ReadonlyMap<number, number>, out: Float32Array): void {
  const order = Array.from({ length: base.length }, (_, i) => i).sort((a, b) => base[b] - base[a] || a - b);
  const placed = new Set<number>();
  let position = 0;
  for (const id of ranked) {
    const i = rowOf.get(id);
    if (i === undefined || placed.has(i)) continue;
    placed.add(i);
    out[i] = -position++;
  }
  for (const i of order) if (!placed.has(i)) out[i] = -position++;
}
