import type { AnswerOption, GalleryItem } from '../../src/conversation/conversation-types.js';

// How the operator wants a gallery's tiles ordered: by score (the ranking's own order) or by capture time.
// Ranks are renumbered, so "#n" always names the tile shown at n.

/** The order of gallery tiles. */
export type GalleryOrder = 'score' | 'time';

/** The buttons a gallery carries besides the dialogue's own: the other order, and the case export. */
export function operatorOptions(order: GalleryOrder | undefined): AnswerOption[] {
  return [order === 'time' ? { label: 'By score', value: 'by score' } : { label: 'By time', value: 'by time' }, { label: 'Export', value: 'export' }];
}

/**
 * The tiles in `order`: by time, earliest capture first (tiles without a time last, in ranking order); by
 * score, in the order of `ranking` (the dialogue's last re-ranked pool). Ranks are renumbered from 1.
 */
export function orderTiles(items: readonly GalleryItem[], order: GalleryOrder | undefined, ranking: readonly number[] = []): GalleryItem[] {
  const position = new Map(ranking.map((id, i) => [id, i]));
  const byRanking = (a: GalleryItem, b: GalleryItem) => (position.get(a.imageId) ?? a.rank + ranking.length) - (position.get(b.imageId) ?? b.rank + ranking.length);
  const sorted = [...items].sort((a, b) => {
    if (order === 'time') {
      const ta = timeOf(a);
      const tb = timeOf(b);
      if (ta !== tb) return ta - tb;
    }
    return byRanking(a, b);
  });
  return sorted.map((item, i) => ({ ...item, rank: i + 1 }));
}

function timeOf(item: GalleryItem): number {
  const t = item.takenAt ? Date.parse(item.takenAt) : Number.NaN;
  return Number.isFinite(t) ? t : Number.POSITIVE_INFINITY;
}
