import { describe, expect, it } from 'vitest';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { renderContactSheet } from '../../src/vision/contact-sheet.js';
import { decodeRgb, type RgbImage } from '../../src/vision/rgb-decode.js';
import { renderSvgToPngBuffer } from '../../src/vision/svg-render.js';

// Geometry written out independently of the implementation: 8 px gaps, 160×320 image areas, 30 px labels.
const GAP = 8;
const CELL_W = 160;
const CELL_H = 320;
const LABEL_H = 30;
const SHEET_W = GAP + 5 * (CELL_W + GAP); // 848
const SHEET_H = GAP + 2 * (CELL_H + LABEL_H + GAP); // 724

const COLOURS: Array<[number, number, number]> = [
  [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48],
  [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60], [0, 128, 128],
];

function solidPng(rgb: [number, number, number], width: number, height: number): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="${width}" height="${height}" fill="rgb(${rgb.join(',')})"/></svg>`;
  return renderSvgToPngBuffer(svg, { density: 72 });
}

function pixel(img: RgbImage, x: number, y: number): [number, number, number] {
  const o = (y * img.width + x) * 3;
  return [img.data[o], img.data[o + 1], img.data[o + 2]];
}

function expectColour(actual: [number, number, number], expected: [number, number, number], tolerance = 3): void {
  for (let c = 0; c < 3; c++) expect(Math.abs(actual[c] - expected[c]), `${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

function origin(index: number): { left: number; top: number } {
  return { left: GAP + (index % 5) * (CELL_W + GAP), top: GAP + Math.floor(index / 5) * (CELL_H + LABEL_H + GAP) };
}

describe('renderContactSheet', () => {
  it('lays ten images out as a 5×2 grid, each tile showing its own image', async () => {
    // Person-shaped 1:2 inputs fill the whole image area.
    const items = await Promise.all(COLOURS.map(async (c, i) => ({ rank: i + 1, score: 0.9 - i * 0.05, image: await solidPng(c, 64, 128) })));
    const sheet = await renderContactSheet(items);
    expect(sheet.subarray(1, 4).toString('ascii')).toBe('PNG');
    const img = await decodeRgb(sheet, 'sheet');
    expect([img.width, img.height]).toEqual([SHEET_W, SHEET_H]);
    COLOURS.forEach((c, i) => {
      const { left, top } = origin(i);
      expectColour(pixel(img, left + CELL_W / 2, top + CELL_H / 2), c);
      expectColour(pixel(img, left + 2, top + 2), c);
      expectColour(pixel(img, left + CELL_W - 3, top + CELL_H - 3), c);
    });
    // The gaps between tiles are sheet background.
    expectColour(pixel(img, 2, 2), [255, 255, 255]);
    expectColour(pixel(img, origin(1).left - 4, 100), [255, 255, 255]);
  });

  it('prints the rank and score on a label band under each image', async () => {
    const items = [{ rank: 1, score: 0.5, image: await solidPng([0, 0, 255], 32, 64) }];
    const img = await decodeRgb(await renderContactSheet(items), 'sheet');
    const { left, top } = origin(0);
    let light = 0;
    let dark = 0;
    for (let y = top + CELL_H; y < top + CELL_H + LABEL_H; y++) {
      for (let x = left; x < left + CELL_W; x++) {
        const [r, g, b] = pixel(img, x, y);
        if (r > 200 && g > 200 && b > 200) light++;
        else if (r < 60 && g < 60 && b < 60) dark++;
      }
    }
    // Text pixels (white) on a dark band: both must be present, the band mostly dark.
    expect(light).toBeGreaterThan(30);
    expect(dark).toBeGreaterThan((CELL_W * LABEL_H) / 2);
  });

  it('letterboxes other shapes instead of stretching them', async () => {
    const img = await decodeRgb(await renderContactSheet([{ rank: 1, score: 1, image: await solidPng([255, 0, 0], 100, 100) }]), 'sheet');
    const { left, top } = origin(0);
    // A square in a 160×320 cell becomes 160×160, centred vertically: black bars above and below.
    expectColour(pixel(img, left + 80, top + 160), [255, 0, 0]);
    expectColour(pixel(img, left + 80, top + 20), [0, 0, 0]);
    expectColour(pixel(img, left + 80, top + 300), [0, 0, 0]);
  });

  it('turns unreadable images into grey "unavailable" tiles and leaves missing tiles blank', async () => {
    const items = [
      { rank: 1, score: 0.9, image: await solidPng([0, 200, 0], 50, 100) },
      { rank: 2, score: 0.8, image: Buffer.from('definitely not an image') },
      { rank: 3, score: 0.7, image: Buffer.alloc(0) },
    ];
    const img = await decodeRgb(await renderContactSheet(items), 'sheet');
    expectColour(pixel(img, origin(0).left + 80, origin(0).top + 30), [0, 200, 0]);
    expectColour(pixel(img, origin(1).left + 80, origin(1).top + 30), [158, 158, 158]);
    expectColour(pixel(img, origin(2).left + 80, origin(2).top + 30), [158, 158, 158]);
    // Tiles 4–10 have no item: plain sheet background.
    expectColour(pixel(img, origin(3).left + 80, origin(3).top + 30), [255, 255, 255]);
    expectColour(pixel(img, origin(9).left + 80, origin(9).top + 30), [255, 255, 255]);
  });

  it('refuses more items than the grid holds', async () => {
    const image = await solidPng([0, 0, 0], 8, 16);
    const items = Array.from({ length: 11 }, (_, i) => ({ rank: i + 1, score: 0, image }));
    const err = await renderContactSheet(items).catch((e: unknown) => e);
    expect(isCtgiError(err, 'BAD_INPUT')).toBe(true);
  });
});
