import { CtgiError } from '../errors/ctgi-error.js';
import { composePng, letterboxImage, type CompositeLayer } from './image-compose.js';
import type { ImageLimits } from './image-limits.js';

// A gallery as one PNG (DESIGN.md flow 3.7): chat platforms show one image far better than ten, and the
// rank on each tile is what the witness quotes back ("#4 is them").

/** One tile: the rank and score printed on it, and the encoded image bytes (empty or unreadable → "unavailable"). */
export interface ContactSheetItem {
  rank: number;
  score: number;
  image: Buffer;
  /** Anchors get a star next to the rank. */
  anchor?: boolean;
}

/** Sheet geometry; every size is in pixels. */
export interface ContactSheetOptions {
  /** Tiles per row (default 5). */
  columns?: number;
  /** Rows (default 2). */
  rows?: number;
  /** Width of a tile's image area (default 160). */
  cellWidth?: number;
  /** Height of a tile's image area (default 320, the 1:2 shape of person crops). */
  cellHeight?: number;
  /** Limits applied to each tile's image before decoding. */
  limits?: ImageLimits;
}

/** Where each part of a sheet lies, so callers (and tests) can find a tile's pixels. */
export interface ContactSheetLayout {
  width: number;
  height: number;
  columns: number;
  rows: number;
  cellWidth: number;
  cellHeight: number;
  /** Height of the label band under each image. */
  labelHeight: number;
  /** Top-left corner of the image area of tile `index` (0-based, row-major). */
  tileOrigin(index: number): { left: number; top: number };
}

const GAP = 8;
const LABEL_HEIGHT = 30;
const SHEET_BACKGROUND = '#ffffff';
const LETTERBOX = '#000000';
const UNAVAILABLE = '#9e9e9e';
const LABEL_BACKGROUND = '#202020';

/** The layout `renderContactSheet` uses for these options. */
export function contactSheetLayout(options: ContactSheetOptions = {}): ContactSheetLayout {
  const columns = options.columns ?? 5;
  const rows = options.rows ?? 2;
  const cellWidth = options.cellWidth ?? 160;
  const cellHeight = options.cellHeight ?? 320;
  for (const [name, v] of Object.entries({ columns, rows, cellWidth, cellHeight })) {
    if (!Number.isInteger(v) || v < 1) throw new CtgiError('BAD_INPUT', `Contact sheet ${name} must be a positive integer, not ${v}.`);
  }
  const tileHeight = cellHeight + LABEL_HEIGHT;
  return {
    width: GAP + columns * (cellWidth + GAP),
    height: GAP + rows * (tileHeight + GAP),
    columns,
    rows,
    cellWidth,
    cellHeight,
    labelHeight: LABEL_HEIGHT,
    tileOrigin: (index) => ({
      left: GAP + (index % columns) * (cellWidth + GAP),
      top: GAP + Math.floor(index / columns) * (tileHeight + GAP),
    }),
  };
}

/**
 * Renders up to columns×rows gallery items as one PNG: a 5×2 grid of letterboxed tiles, each labelled with
 * its rank and score. An unreadable image becomes a grey "unavailable" tile; the sheet itself never fails
 * because of one image.
 * @throws CtgiError BAD_INPUT when there are more items than tiles.
 */
export async function renderContactSheet(items: ContactSheetItem[], options: ContactSheetOptions = {}): Promise<Buffer> {
  const layout = contactSheetLayout(options);
  if (items.length > layout.columns * layout.rows) {
    throw new CtgiError('BAD_INPUT', `A contact sheet holds ${layout.columns * layout.rows} images, not ${items.length}; pass the top ${layout.columns * layout.rows}.`);
  }
  const size = { width: layout.cellWidth, height: layout.cellHeight };
  const tiles = await Promise.all(
    items.map(async (item) => {
      try {
        return await letterboxImage(item.image, `#${item.rank}`, size, { background: LETTERBOX, limits: options.limits });
      } catch {
        // Deliberately swallowed: one broken or missing image must not cost the witness the whole gallery.
        return Buffer.from(unavailableSvg(layout.cellWidth, layout.cellHeight));
      }
    }),
  );
  const layers: CompositeLayer[] = [];
  items.forEach((item, i) => {
    const { left, top } = layout.tileOrigin(i);
    layers.push({ input: tiles[i], left, top });
    layers.push({ input: Buffer.from(labelSvg(item, layout.cellWidth)), left, top: top + layout.cellHeight });
  });
  return composePng(layout.width, layout.height, SHEET_BACKGROUND, layers);
}

/** "#3  0.871" (with a star for anchors) in white on a dark band. */
function labelSvg(item: ContactSheetItem, width: number): string {
  const score = Number.isFinite(item.score) ? item.score.toFixed(3) : '–';
  const rank = `#${Math.trunc(item.rank)}${item.anchor ? ' ★' : ''}`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${LABEL_HEIGHT}">` +
    `<rect width="${width}" height="${LABEL_HEIGHT}" fill="${LABEL_BACKGROUND}"/>` +
    `<text x="8" y="21" font-family="DejaVu Sans, sans-serif" font-size="17" font-weight="bold" fill="#ffffff">${rank}</text>` +
    `<text x="${width - 8}" y="21" text-anchor="end" font-family="DejaVu Sans Mono, monospace" font-size="15" fill="#ffffff">${score}</text>` +
    `</svg>`
  );
}

function unavailableSvg(width: number, height: number): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="${width}" height="${height}" fill="${UNAVAILABLE}"/>` +
    `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" font-family="DejaVu Sans, sans-serif" font-size="14" fill="#ffffff">unavailable</text>` +
    `</svg>`
  );
}

/** A ranked tile whose bytes are loaded by id. */
export interface ContactSheetTile {
  rank: number;
  score: number;
  imageId: number;
  anchor?: boolean;
}

/**
 * Loads each tile's bytes with `load` (e.g. the conversation service's readImage) and renders the sheet; an
 * image that fails to load becomes an "unavailable" tile.
 * @throws CtgiError BAD_INPUT when there are more tiles than the grid holds.
 */
export async function renderContactSheetFrom(
  tiles: ContactSheetTile[],
  load: (imageId: number) => Promise<Buffer>,
  options: ContactSheetOptions = {},
): Promise<Buffer> {
  const items = await Promise.all(
    tiles.map(async (t) => ({
      rank: t.rank,
      score: t.score,
      anchor: t.anchor,
      // An empty buffer renders as "unavailable"; the sheet is still worth showing.
      image: await load(t.imageId).catch(() => Buffer.alloc(0)),
    })),
  );
  return renderContactSheet(items, options);
}
