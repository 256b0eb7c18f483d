import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { preprocessImageBuffer, preprocessImageBufferInto, preprocessImageFile, preprocessImageFileInto } from '../../src/vision/clip-preprocess.js';
import { readImageMeta } from '../../src/vision/image-probe.js';
import { CLIP_MEAN, CLIP_STD, type PreprocessSpec } from '../../src/vision/preprocess-spec.js';
import {
  BLACK,
  BLUE,
  GREEN,
  RED,
  WHITE,
  describeImage,
  writeCmykJpeg,
  writeGreyPng,
  writeJpeg,
  writePainted,
  writePngClaimingSize,
  writeRgb16Png,
  writeRgbaPng,
  writeSolid,
  writeTruncatedCopy,
  type PixelFn,
  type Rgb,
} from '../fixtures/images.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ctgi-image-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const file = (name: string) => join(dir, name);

function spec(over: Partial<PreprocessSpec> & Pick<PreprocessSpec, 'height' | 'width'>): PreprocessSpec {
  return { resizeMode: 'squash', interpolation: 'bicubic', rescaleFactor: 1 / 255, mean: CLIP_MEAN, std: CLIP_STD, ...over };
}

/** The CLIP normalisation written out by hand: (v/255 − mean[c]) / std[c]. */
const clipValue = (v: number, c: number) => (v / 255 - CLIP_MEAN[c]) / CLIP_STD[c];

/** Value of channel c at (x, y) in a CHW tensor of the spec's size. */
const at = (out: Float32Array, s: PreprocessSpec, c: number, x: number, y: number) => out[c * s.height * s.width + y * s.width + x];

/** The 0–255 RGB colour at (x, y), undoing the CLIP normalisation. */
const colourAt = (out: Float32Array, s: PreprocessSpec, x: number, y: number): number[] =>
  [0, 1, 2].map((c) => (at(out, s, c, x, y) * CLIP_STD[c] + CLIP_MEAN[c]) * 255);

function expectColour(actual: number[], expected: Rgb, tolerance: number, where = ''): void {
  for (let c = 0; c < 3; c++) {
    expect(Math.abs(actual[c] - expected[c]), `channel ${c} ${where}: ${actual.map((v) => v.toFixed(1)).join(',')} vs ${expected.join(',')}`).toBeLessThanOrEqual(tolerance);
  }
}

async function expectCtgiError(promise: Promise<unknown>, code: string, ...fragments: string[]): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isCtgiError(err), `expected a CtgiError ${code}, got ${String(err)}`).toBe(true);
  const e = err as Error & { code: string };
  expect(e.code, e.message).toBe(code);
  for (const f of fragments) expect(e.message).toContain(f);
  return e;
}

describe('normalisation and layout', () => {
  it('turns a solid colour into (c/255 − mean)/std in every position of every channel plane', async () => {
    const colour: Rgb = [200, 100, 50];
    const path = await writeSolid(file('solid.png'), 37, 23, colour);
    for (const s of [spec({ height: 16, width: 16 }), spec({ height: 16, width: 16, resizeMode: 'shortest' }), spec({ height: 12, width: 20, interpolation: 'bilinear' })]) {
      const out = await preprocessImageFile(path, s);
      expect(out).toHaveLength(3 * s.height * s.width);
      const plane = s.height * s.width;
      for (let c = 0; c < 3; c++) {
        const want = clipValue(colour[c], c);
        for (let p = 0; p < plane; p++) expect(out[c * plane + p]).toBeCloseTo(want, 5);
      }
    }
  });

  it('puts the left half red and the right half blue when squashing (channel 0 is the R plane)', async () => {
    const path = await writePainted(file('halves.png'), 40, 20, (x) => (x < 20 ? RED : BLUE));
    const s = spec({ height: 8, width: 8 });
    const out = await preprocessImageFile(path, s);
    for (let y = 0; y < 8; y++) {
      for (const x of [0, 1, 2]) {
        expect(at(out, s, 0, x, y)).toBeCloseTo(clipValue(255, 0), 4);
        expect(at(out, s, 2, x, y)).toBeCloseTo(clipValue(0, 2), 4);
      }
      for (const x of [5, 6, 7]) {
        expect(at(out, s, 0, x, y)).toBeCloseTo(clipValue(0, 0), 4);
        expect(at(out, s, 2, x, y)).toBeCloseTo(clipValue(255, 2), 4);
      }
    }
  });

  it('keeps rows and columns apart for a non-square 384×128 (H×W) person-search input', async () => {
    // Quadrants: top-left red, top-right green, bottom-left blue, bottom-right white.
    const path = await writePainted(file('quadrants.png'), 64, 64, (x, y) => (y < 32 ? (x < 32 ? RED : GREEN) : x < 32 ? BLUE : WHITE));
    const s = spec({ height: 384, width: 128, interpolation: 'nearest' });
    const out = await preprocessImageFile(path, s);
    expect(out).toHaveLength(3 * 384 * 128);
    expectColour(colourAt(out, s, 10, 10), RED, 0.01);
    expectColour(colourAt(out, s, 117, 10), GREEN, 0.01);
    expectColour(colourAt(out, s, 10, 373), BLUE, 0.01);
    expectColour(colourAt(out, s, 117, 373), WHITE, 0.01);
  });

  it('resizes the shortest edge and keeps the centre: 200×100 with a centre stripe and red edges', async () => {
    // White, a black stripe at columns 96–103, red bands at columns 0–39 and 160–199.
    const paint: PixelFn = (x) => (x < 40 || x >= 160 ? RED : x >= 96 && x < 104 ? BLACK : WHITE);
    const path = await writePainted(file('stripe.png'), 200, 100, paint);
    const s = spec({ height: 50, width: 50, resizeMode: 'shortest' });
    const out = await preprocessImageFile(path, s);
    // Resized to 100×50; the crop keeps resized columns 25–74, i.e. source columns 50–149: no red at all,
    // the stripe at output columns 23–26, white well away from it.
    for (let y = 0; y < 50; y++) {
      for (let x = 0; x < 50; x++) expect(colourAt(out, s, x, y)[1]).toBeGreaterThan(x >= 22 && x <= 27 ? -10 : 240);
      expectColour(colourAt(out, s, 24, y), BLACK, 3, `y=${y}`);
      expectColour(colourAt(out, s, 25, y), BLACK, 3, `y=${y}`);
      expectColour(colourAt(out, s, 5, y), WHITE, 1, `y=${y}`);
      expectColour(colourAt(out, s, 45, y), WHITE, 1, `y=${y}`);
    }
    // Squashing the same image keeps the red edges (so the check above can fail).
    const squashed = await preprocessImageFile(path, { ...s, resizeMode: 'squash' });
    expectColour(colourAt(squashed, s, 2, 25), RED, 3);
  });

  it('crops vertically for a portrait image, taking rows from floor((h − ch)/2)', async () => {
    // 10×31 with rows 0–9 red, 10–19 green, 20–30 blue; shortest edge 10, crop top floor(21/2) = 10 → exactly
    // the green rows (rounding up would take a blue row).
    const path = await writePainted(file('portrait.png'), 10, 31, (_x, y) => (y < 10 ? RED : y < 20 ? GREEN : BLUE));
    const s = spec({ height: 10, width: 10, resizeMode: 'shortest' });
    const out = await preprocessImageFile(path, s);
    for (let y = 0; y < 10; y++) for (let x = 0; x < 10; x++) expectColour(colourAt(out, s, x, y), GREEN, 0.01, `(${x},${y})`);
  });

  it('pads with zero pixels when a non-square crop is taller than the resized image (transformers behaviour)', async () => {
    const colour: Rgb = [90, 180, 30];
    const path = await writeSolid(file('pad.png'), 50, 50, colour);
    // Shortest edge 128 → 128×128, crop 384×128: rows 128–255 hold the image, the rest is a zero pixel.
    const s = spec({ height: 384, width: 128, resizeMode: 'shortest' });
    const out = await preprocessImageFile(path, s);
    for (const y of [0, 127, 256, 383]) expectColour(colourAt(out, s, 64, y), BLACK, 0.01, `y=${y}`);
    for (const y of [128, 200, 255]) expectColour(colourAt(out, s, 64, y), colour, 0.01, `y=${y}`);
  });

  it('copies pixels exactly with nearest-neighbour interpolation', async () => {
    const path = await writePainted(file('checker.png'), 4, 4, (x, y) => ((x + y) % 2 === 0 ? BLACK : WHITE));
    const s = spec({ height: 8, width: 8, interpolation: 'nearest' });
    const out = await preprocessImageFile(path, s);
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        const v = (Math.floor(x / 2) + Math.floor(y / 2)) % 2 === 0 ? 0 : 255;
        for (let c = 0; c < 3; c++) expect(at(out, s, c, x, y)).toBeCloseTo(clipValue(v, c), 5);
      }
    }
  });

  it('reads lossless WebP', async () => {
    const path = await writeSolid(file('solid.webp'), 20, 20, [10, 20, 30]);
    const s = spec({ height: 4, width: 4 });
    const out = await preprocessImageFile(path, s);
    expectColour(colourAt(out, s, 1, 1), [10, 20, 30], 0.01);
  });
});

describe('decoding', () => {
  it('applies EXIF orientation 6 (rotate 90° clockwise)', async () => {
    // Stored 40×20, left half red, right half blue; displayed 20×40 with red on top.
    const path = await writeJpeg(file('oriented.jpg'), 40, 20, (x) => (x < 20 ? RED : BLUE), 6);
    expect((await describeImage(path)).orientation).toBe(6);
    expect(await readImageMeta(path)).toEqual({ width: 20, height: 40, format: 'jpeg' });
    const s = spec({ height: 8, width: 8 });
    const out = await preprocessImageFile(path, s);
    for (let x = 0; x < 8; x++) {
      expectColour(colourAt(out, s, x, 1), RED, 12, `x=${x}`);
      expectColour(colourAt(out, s, x, 6), BLUE, 12, `x=${x}`);
    }
  });

  it('flattens transparency onto white', async () => {
    const s = spec({ height: 4, width: 4 });
    const clear = await preprocessImageFile(await writeRgbaPng(file('clear.png'), 8, 8, [255, 0, 0, 0]), s);
    expectColour(colourAt(clear, s, 2, 2), WHITE, 0.01);
    const half = await preprocessImageFile(await writeRgbaPng(file('half.png'), 8, 8, [255, 0, 0, 128]), s);
    // 128/255 red over white: 255 and 255 × (1 − 128/255) = 127 for G and B.
    expectColour(colourAt(half, s, 2, 2), [255, 127, 127], 1.01);
  });

  it('expands one-channel greyscale into three equal channels', async () => {
    const path = await writeGreyPng(file('grey.png'), 6, 6, (x) => 40 * x);
    expect((await describeImage(path)).channels).toBe(1);
    const s = spec({ height: 6, width: 6 });
    const out = await preprocessImageFile(path, s);
    for (let x = 0; x < 6; x++) for (let c = 0; c < 3; c++) expect(at(out, s, c, x, 3)).toBeCloseTo(clipValue(40 * x, c), 5);
  });

  it('reads a 16-bit PNG as its 8-bit equivalent', async () => {
    const paint: PixelFn = (x, y) => [x * 17, y * 17, 255 - x * 8];
    const p16 = await writeRgb16Png(file('deep.png'), 16, 16, paint);
    expect((await describeImage(p16)).depth).toBe('ushort');
    const p8 = await writePainted(file('shallow.png'), 16, 16, paint);
    const s = spec({ height: 16, width: 16 });
    const [a, b] = await Promise.all([preprocessImageFile(p16, s), preprocessImageFile(p8, s)]);
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1 / 255 / Math.min(...CLIP_STD) + 1e-6);
    const x = 9;
    expectColour(colourAt(a, s, x, 4), paint(x, 4), 1);
  });

  it('converts a CMYK JPEG to roughly the right RGB', async () => {
    const colour: Rgb = [60, 110, 170]; // inside the CMYK gamut, so the round trip stays close
    const path = await writeCmykJpeg(file('cmyk.jpg'), 16, 16, colour);
    expect((await describeImage(path)).space).toBe('cmyk');
    const s = spec({ height: 4, width: 4 });
    const rgb = colourAt(await preprocessImageFile(path, s), s, 2, 2);
    expectColour(rgb, colour, 25);
    expect(rgb[2]).toBeGreaterThan(rgb[1] + 30);
    expect(rgb[1]).toBeGreaterThan(rgb[0]);
  });
});

describe('batch filling and buffers', () => {
  it('writes into a batch tensor at an offset and leaves the rest alone', async () => {
    const s = spec({ height: 4, width: 4 });
    const size = 3 * 4 * 4;
    const batch = new Float32Array(3 * size).fill(42);
    const red = await writeSolid(file('b-red.png'), 5, 5, RED);
    const blue = await writeSolid(file('b-blue.png'), 5, 5, BLUE);
    await Promise.all([preprocessImageFileInto(red, s, batch, size, undefined), preprocessImageFileInto(blue, s, batch, 2 * size)]);
    expect(batch.subarray(0, size).every((v) => v === 42)).toBe(true);
    expect(batch[size]).toBeCloseTo(clipValue(255, 0), 5); // R plane of image 1
    expect(batch[2 * size]).toBeCloseTo(clipValue(0, 0), 5); // R plane of image 2
    expect(batch[2 * size + 2 * 16]).toBeCloseTo(clipValue(255, 2), 5); // B plane of image 2
    await expect(preprocessImageFileInto(red, s, batch, 2 * size + 1)).rejects.toThrow(RangeError);
  });

  it('preprocesses encoded bytes and names the label in errors', async () => {
    const s = spec({ height: 4, width: 4 });
    const png = await readFile(await writeSolid(file('buf.png'), 4, 4, GREEN));
    const out = await preprocessImageBuffer(png, s, 'upload #1');
    expectColour(colourAt(out, s, 0, 0), GREEN, 0.01);
    const into = new Float32Array(3 * 16);
    await preprocessImageBufferInto(png, s, 'upload #1', into, 0);
    expect(into).toEqual(out);
    await expectCtgiError(preprocessImageBuffer(Buffer.from('not an image'), s, 'upload #2'), 'IMAGE_INVALID', 'upload #2');
  });
});

describe('limits and bad files', () => {
  const s = spec({ height: 8, width: 8 });

  it('refuses a PNG whose header declares 20000×20000 pixels without decoding it', async () => {
    const path = await writePngClaimingSize(file('bomb.png'), 20000, 20000);
    const err = await expectCtgiError(preprocessImageFile(path, s), 'IMAGE_TOO_LARGE', path, '20000×20000', '400 megapixels', '50 megapixels');
    expect(err.message).toMatch(/\.$/);
    // The header is all there is: the same file under a generous limit fails on its pixel data instead.
    await expectCtgiError(preprocessImageFile(path, s, { maxPixels: 1e9, maxBytes: 1e6 }), 'IMAGE_INVALID', path);
  });

  it('applies the pixel limit to real images and lets them through under a higher one', async () => {
    const path = await writeSolid(file('wide.png'), 2000, 1000, RED);
    await expectCtgiError(preprocessImageFile(path, s, { maxPixels: 1_000_000, maxBytes: 1e6 }), 'IMAGE_TOO_LARGE', path, '2000×1000', '2 megapixels');
    const out = await preprocessImageFile(path, s, { maxPixels: 2_000_000, maxBytes: 1e6 });
    expectColour(colourAt(out, s, 4, 4), RED, 0.01);
  });

  it('refuses files over the byte limit before decoding', async () => {
    const path = await writePainted(file('noisy.png'), 64, 64, (x, y) => [(x * 37 + y * 11) % 256, (x * y) % 256, (x ^ y) * 4]);
    await expectCtgiError(preprocessImageFile(path, s, { maxPixels: 1e6, maxBytes: 1000 }), 'IMAGE_TOO_LARGE', path, '1000 bytes');
    await expectCtgiError(preprocessImageBuffer(Buffer.alloc(2000, 1), s, 'big upload', { maxPixels: 1e6, maxBytes: 1000 }), 'IMAGE_TOO_LARGE', 'big upload');
  });

  it('refuses non-images, truncated and empty files with IMAGE_INVALID naming the file, keeping the cause', async () => {
    const text = file('notes.jpg');
    await writeFile(text, 'these are not the pixels you are looking for\n');
    await expectCtgiError(preprocessImageFile(text, s), 'IMAGE_INVALID', `Cannot read image ${text}: its content is not a known image format, not JPEG, PNG or WebP`);
    // A JPEG signature followed by junk gets past the content check and fails in the decoder, whose error is kept.
    const fake = file('fake.jpg');
    await writeFile(fake, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('these are not the pixels you are looking for\n')]));
    const fakeErr = await expectCtgiError(preprocessImageFile(fake, s), 'IMAGE_INVALID', `Cannot read image ${fake}:`);
    expect(fakeErr.cause).toBeInstanceOf(Error);
    expect(fakeErr.message).not.toBe((fakeErr.cause as Error).message);

    const whole = await writeJpeg(file('whole.jpg'), 300, 200, (x, y) => [x % 256, y % 256, (x + y) % 256]);
    const truncated = await writeTruncatedCopy(whole, file('truncated.jpg'), 0.5);
    expect(await readImageMeta(truncated)).toMatchObject({ width: 300, height: 200 }); // the header survives
    const truncErr = await expectCtgiError(preprocessImageFile(truncated, s), 'IMAGE_INVALID', truncated);
    expect(truncErr.cause).toBeDefined();

    const empty = file('empty.png');
    await writeFile(empty, '');
    await expectCtgiError(preprocessImageFile(empty, s), 'IMAGE_INVALID', empty, 'empty');
    await expectCtgiError(readImageMeta(empty), 'IMAGE_INVALID', empty);
    await expectCtgiError(readImageMeta(text), 'IMAGE_INVALID', text);
  });

  it('reports a missing file as NOT_FOUND and a directory as IMAGE_INVALID', async () => {
    const missing = file('nope/missing.png');
    await expectCtgiError(preprocessImageFile(missing, s), 'NOT_FOUND', missing);
    await expectCtgiError(readImageMeta(missing), 'NOT_FOUND', missing);
    const sub = file('a-directory.png');
    await mkdir(sub);
    await expectCtgiError(preprocessImageFile(sub, s), 'IMAGE_INVALID', sub);
  });
});

describe('readImageMeta', () => {
  it('reports size and format without applying limits', async () => {
    const path = await writePngClaimingSize(file('meta-bomb.png'), 30000, 20000);
    expect(await readImageMeta(path)).toEqual({ width: 30000, height: 20000, format: 'png' });
    const webp = await writeSolid(file('meta.webp'), 7, 3, RED);
    expect(await readImageMeta(webp)).toEqual({ width: 7, height: 3, format: 'webp' });
  });
});
