import { clockOf, systemTimeZone, wallTime } from '../util/zoned-time.js';
import type { GalleryItem } from './conversation-types.js';

// Where and when a tile was seen, compactly, the same in every server-side front end: "cam3 · 14:05", with
// the day ("3 Dec 14:05") when the tiles shown span more than one day.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Options of tile labels: the zone times are shown in (default the server's). */
export interface TileLabelOptions {
  timeZone?: string;
}

/** True when the items' capture times fall on more than one calendar day. */
export function spansDays(items: ReadonlyArray<Pick<GalleryItem, 'takenAt'>>, options: TileLabelOptions = {}): boolean {
  const zone = options.timeZone ?? systemTimeZone();
  const days = new Set(items.flatMap((i) => (i.takenAt && Number.isFinite(Date.parse(i.takenAt)) ? [dayKey(new Date(i.takenAt), zone)] : [])));
  return days.size > 1;
}

/** "cam3 · 14:05", "cam3", "14:05", "3 Dec 14:05" (withDate), or "" when the tile has neither. */
export function whereWhenLabel(item: Pick<GalleryItem, 'camera' | 'takenAt'>, options: TileLabelOptions & { withDate?: boolean } = {}): string {
  const zone = options.timeZone ?? systemTimeZone();
  const parts: string[] = [];
  if (item.camera) parts.push(item.camera);
  const t = item.takenAt ? new Date(item.takenAt) : undefined;
  if (t && Number.isFinite(t.getTime())) {
    const w = wallTime(t, zone);
    parts.push(options.withDate ? `${w.day} ${MONTHS[w.month - 1]} ${clockOf(t, zone)}` : clockOf(t, zone));
  } else if (item.takenAt) {
    parts.push(item.takenAt);
  }
  return parts.join(' · ');
}

/** Labels for a list of tiles, with the day only when the list spans days. */
export function whereWhenLabels(items: ReadonlyArray<Pick<GalleryItem, 'camera' | 'takenAt'>>, options: TileLabelOptions = {}): string[] {
  const withDate = spansDays(items, options);
  return items.map((i) => whereWhenLabel(i, { ...options, withDate }));
}

function dayKey(t: Date, zone: string): string {
  const w = wallTime(t, zone);
  return `${w.year}-${w.month}-${w.day}`;
}
