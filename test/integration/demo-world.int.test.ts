import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/datasets/dataset-io.js';
import { renderPersonPng } from '../../src/demo/person-render.js';
import { generateWorld, readWorld, writeWorld, type DemoWorld } from '../../src/demo/world.js';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { readImageMeta } from '../../src/vision/image-probe.js';
import { decodeRgb } from '../../src/vision/rgb-decode.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let dir: string;
let cleanup: () => Promise<void>;
let world: DemoWorld;
const progress: Array<[number, number]> = [];

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('demo-world'));
  world = generateWorld({ identities: 12, seed: 3 });
  await writeWorld(world, join(dir, 'w'), (done, total) => progress.push([done, total]));
});
afterAll(async () => {
  await cleanup();
});

async function expectCode(promise: Promise<unknown>, code: 'NOT_FOUND' | 'BAD_INPUT'): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(isCtgiError(err, code), String(err)).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected a rejection');
}

describe('writeWorld', () => {
  it('renders every image as a 128×384 PNG and reports progress up to the total', async () => {
    const files = world.identities.flatMap((i) => i.images.map((im) => im.file));
    for (const file of files) {
      const meta = await readImageMeta(join(dir, 'w', file));
      expect(meta).toMatchObject({ width: 128, height: 384, format: 'png' });
    }
    expect(progress).toHaveLength(files.length);
    expect(progress.at(-1)).toEqual([files.length, files.length]);
    const cameras = await readdir(join(dir, 'w', 'images'));
    expect(cameras.every((c) => /^c[1-6]$/.test(c))).toBe(true);
  });

  it('writes a CUHK-PEDES dataset: one test entry per image with two captions of that person', async () => {
    const dataset = await readDataset(join(dir, 'w', 'reid_raw.json'));
    expect(dataset.format).toBe('cuhk-pedes');
    expect(dataset.skipped).toEqual([]);
    const images = world.identities.flatMap((i) => i.images.map((im, k) => ({ id: i.id, file: im.file, captions: i.captions.slice(2 * k, 2 * k + 2) })));
    expect(dataset.entries.map((e) => ({ id: e.id, file: e.imagePath, captions: e.captions }))).toEqual(images);
    for (const entry of dataset.entries) {
      expect(entry.split).toBe('test');
      expect(entry.captions[0]).not.toBe(entry.captions[1]);
    }
  });

  it('writes the vague queries with their identity', async () => {
    const queries = JSON.parse(await readFile(join(dir, 'w', 'queries.json'), 'utf8')) as Array<{ identity: number; text: string }>;
    expect(queries).toEqual(world.identities.flatMap((i) => i.vagueQueries.map((text) => ({ identity: i.id, text }))));
    for (const identity of world.identities) {
      const n = queries.filter((q) => q.identity === identity.id).length;
      expect(n).toBeGreaterThanOrEqual(2);
      expect(n).toBeLessThanOrEqual(3);
    }
  });

  it('reads back the world it wrote', async () => {
    expect(await readWorld(join(dir, 'w'))).toEqual(world);
  });

  it('gives identical image bytes for the same seed and different ones for another seed', async () => {
    const again = join(dir, 'again');
    const first = generateWorld({ identities: 2, seed: 3 });
    await writeWorld(first, again);
    for (const identity of first.identities) {
      for (const image of identity.images) {
        const a = await readFile(join(dir, 'w', image.file));
        const b = await readFile(join(again, image.file));
        expect(b.equals(a)).toBe(true);
      }
    }
    const other = generateWorld({ identities: 1, seed: 4 }).identities[0];
    const mine = world.identities[0];
    const otherPng = await renderPersonPng(other.attributes, other.appearance, other.images[0].jitter);
    expect(otherPng.equals(await readFile(join(dir, 'w', mine.images[0].file)))).toBe(false);
  });

  it('renders the images of one person differently (jitter)', async () => {
    const identity = world.identities[0];
    const [a, b] = await Promise.all(identity.images.slice(0, 2).map((im) => readFile(join(dir, 'w', im.file)).then((png) => decodeRgb(png, im.file))));
    let differing = 0;
    for (let i = 0; i < a.data.length; i += 3) if (Math.abs(a.data[i] - b.data[i]) > 30) differing++;
    expect(differing).toBeGreaterThan(a.width * a.height * 0.05);
  });
});

describe('readWorld', () => {
  it('says NOT_FOUND for a folder without ground truth, e.g. a build that did not finish', async () => {
    const half = join(dir, 'half');
    await writeWorld(generateWorld({ identities: 1, seed: 9 }), half);
    await rm(join(half, 'ground-truth.json'));
    const message = await expectCode(readWorld(half), 'NOT_FOUND');
    expect(message).toContain('ground-truth.json');
    await expectCode(readWorld(join(dir, 'nowhere')), 'NOT_FOUND');
  });

  it('says BAD_INPUT for malformed ground truth', async () => {
    const bad = join(dir, 'bad');
    await writeWorld(generateWorld({ identities: 1, seed: 9 }), bad);
    await writeFile(join(bad, 'ground-truth.json'), '{"seed": 1, "identities": [');
    await expectCode(readWorld(bad), 'BAD_INPUT');
    const wrong = JSON.parse(JSON.stringify(generateWorld({ identities: 1, seed: 9 })));
    wrong.identities[0].attributes.upperColour = 'teal';
    await writeFile(join(bad, 'ground-truth.json'), JSON.stringify(wrong));
    const message = await expectCode(readWorld(bad), 'BAD_INPUT');
    expect(message).toContain('upperColour');
  });
});
