import type { GalleryItem } from '../../src/conversation/conversation-types.js';
import { renderContactSheetFrom } from '../../src/vision/contact-sheet.js';

// A timeline strip as one picture: up to ten tiles a row, left to right in the strip's order (own track,
// then other cameras, each by time), numbered from 1; the confirmed image carries the star.

/** Most tiles a strip shows. */
export const TIMELINE_TILES = 20;

/** Renders the strip's first TIMELINE_TILES items; `load` reads an image's bytes. */
export function timelineSheet(items: readonly GalleryItem[], confirmed: number, load: (imageId: number) => Promise<Buffer>): Promise<Buffer> {
  const shown = items.slice(0, TIMELINE_TILES);
  const columns = Math.min(10, Math.max(1, shown.length));
  return renderContactSheetFrom(
    shown.map((item, i) => ({ rank: i + 1, score: item.cosine, imageId: item.imageId, anchor: item.imageId === confirmed })),
    load,
    { columns, rows: Math.max(1, Math.ceil(shown.length / columns)) },
  );
}
