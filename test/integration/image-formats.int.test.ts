// Images are accepted by content, only JPEG, PNG and WebP (issue 17 item 12), and only from regular files:
// a FIFO or a link to one is refused without blocking (item 2).
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { preprocessImageBuffer, preprocessImageFile } from '../../src/vision/clip-preprocess.js';
import { letterboxImage } from '../../src/vision/image-compose.js';
import { readImageMeta } from '../../src/vision/image-probe.js';
import { encodeJpegForMllm } from '../../src/vision/mllm-jpeg.js';
import { CLIP_MEAN, CLIP_STD, type PreprocessSpec } from '../../src/vision/preprocess-spec.js';
import { decodeRgb, decodeRgbFile } from '../../src/vision/rgb-decode.js';
import { RED, solidImageBytes, solidSvgText, writeJpeg, writeSolid } from '../fixtures/images.js';
import { makeFifo, releaseFifoReaders } from '../helpers/special-files.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let temp: { dir: string; cleanup: () => Promise<void> };
const fifos: string[] = [];
const s: PreprocessSpec = { height: 16, width: 8, resizeMode: 'squash', interpolation: 'bicubic', rescaleFactor: 1 / 255, mean: CLIP_MEAN, std: CLIP_STD };

beforeAll(async () => {
  temp = await makeTempDir('image-formats');
});
afterAll(async () => {
  for (const fifo of fifos) await releaseFifoReaders(fifo);
  await temp.cleanup();
});

async function refusal(attempt: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = await attempt().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isCtgiError(err), `expected a CtgiError, got ${String(err)}`).toBe(true);
  return { code: (err as { code: string }).code, message: (err as Error).message };
}

describe('formats decided by content', () => {
  it('refuses GIF, TIFF and SVG content under .png, .jpg and .webp names, naming what the content is', async () => {
    const cases = [
      { name: 'gif-named.png', bytes: await solidImageBytes('gif', 8, 16, RED), says: 'its content is GIF, not JPEG, PNG or WebP' },
      { name: 'tiff-named.jpg', bytes: await solidImageBytes('tiff', 8, 16, RED), says: 'its content is TIFF, not JPEG, PNG or WebP' },
      { name: 'svg-named.webp', bytes: Buffer.from(solidSvgText(8, 16)), says: 'its content is SVG (XML text), not JPEG, PNG or WebP' },
      { name: 'bare-svg.png', bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="16"/>'), says: 'its content is SVG' },
      { name: 'unknown.jpg', bytes: Buffer.from('BM this is not quite a bitmap'), says: 'its content is BMP' },
    ];
    for (const c of cases) {
      const path = join(temp.dir, c.name);
      await writeFile(path, c.bytes);
      for (const attempt of [() => preprocessImageFile(path, s), () => readImageMeta(path), () => decodeRgbFile(path)]) {
        const r = await refusal(attempt);
        expect(r.code, c.name).toBe('IMAGE_INVALID');
        expect(r.message, c.name).toMatch(new RegExp(`^Cannot read image ${path}: ${c.says.replace(/[()]/g, '\\$&')}.*\\(ctgi decides by content, not by the file name\\)\\.$`));
      }
      const upload = [
        () => preprocessImageBuffer(c.bytes, s, 'upload'),
        () => decodeRgb(c.bytes, 'upload'),
        () => letterboxImage(c.bytes, 'upload', { width: 4, height: 4 }),
        () => encodeJpegForMllm(c.bytes),
      ];
      for (const attempt of upload) {
        const r = await refusal(attempt);
        expect(r.code, c.name).toBe('IMAGE_INVALID');
        expect(r.message, c.name).toContain(c.says);
      }
    }
  });

  it('still reads JPEG, PNG and WebP whatever they are called', async () => {
    const jpeg = await writeJpeg(join(temp.dir, 'photo.png'), 8, 16, () => RED);
    const png = await writeSolid(join(temp.dir, 'solid.jpg'), 8, 16, RED);
    const webp = await writeSolid(join(temp.dir, 'solid.webp'), 8, 16, RED);
    for (const [path, format] of [[jpeg, 'jpeg'], [png, 'png'], [webp, 'webp']] as const) {
      expect(await readImageMeta(path)).toEqual({ width: 8, height: 16, format });
      expect((await preprocessImageFile(path, s)).length).toBe(3 * 16 * 8);
    }
  });
});

describe('special files', () => {
  it('refuses a FIFO and a link to one with a sentence instead of blocking', { timeout: 10_000 }, async () => {
    const fifo = makeFifo(join(temp.dir, 'pipe.jpg'));
    fifos.push(fifo);
    const link = join(temp.dir, 'link-to-pipe.png');
    await symlink(fifo, link);
    for (const path of [fifo, link]) {
      for (const attempt of [() => preprocessImageFile(path, s), () => readImageMeta(path), () => decodeRgbFile(path)]) {
        const r = await refusal(attempt);
        expect(r).toEqual({ code: 'IMAGE_INVALID', message: `Cannot read image ${path}: it is a FIFO (named pipe), not a regular file.` });
      }
    }
  });

  it('refuses a directory and a link to one', async () => {
    const link = join(temp.dir, 'link-to-dir.jpg');
    await symlink(temp.dir, link);
    for (const path of [temp.dir, link]) {
      expect(await refusal(() => preprocessImageFile(path, s))).toEqual({ code: 'IMAGE_INVALID', message: `Cannot read image ${path}: it is a directory, not a regular file.` });
    }
  });
});
