import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAMERA_IDS, sampleAppearance, sampleJitter } from '../../src/demo/appearance.js';
import { sampleAttributes } from '../../src/demo/attribute-sampling.js';
import { DEMO_DIM, type PersonAttributes } from '../../src/demo/attributes.js';
import { DEMO_MODEL_ID, DemoImageEncoder, DemoTextEncoder } from '../../src/demo/demo-encoder.js';
import { renderPersonPng } from '../../src/demo/person-render.js';
import { Rng } from '../../src/demo/rng.js';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const PEOPLE = 16;

/** A caption written here from the ground truth, independently of the demo MLLM's describer. */
function caption(a: PersonAttributes): string {
  const parts = [
    `A ${a.gender} with ${a.hairLength} ${a.hairColour} hair, wearing a ${a.upperColour} ${a.upperType}, ${a.lowerColour} ${a.lowerType} and ${a.shoeColour} shoes.`,
    a.bag === 'none' ? 'No bag.' : `Carrying a ${a.bagColour} ${a.bag}.`,
    a.hat === 'no' ? 'No hat.' : `A ${a.hatColour} hat.`,
    a.glasses === 'yes' ? 'Glasses.' : 'No glasses.',
    a.held === 'none' ? 'Nothing in hand.' : `Holding a ${a.held}.`,
  ];
  return parts.join(' ');
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

describe('demo encoders', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const people: PersonAttributes[] = [];
  const paths: string[] = [];

  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir('demo-encoder'));
    const rng = new Rng(20240607);
    for (let i = 0; i < PEOPLE; i++) {
      const person = sampleAttributes(rng);
      const png = await renderPersonPng(person, sampleAppearance(rng), sampleJitter(rng, rng.pick(CAMERA_IDS)));
      const path = join(dir, `person-${i}.png`);
      await writeFile(path, png);
      people.push(person);
      paths.push(path);
    }
  });

  afterAll(async () => {
    await cleanup();
  });

  it('report the demo model id and dimension, and a 248-token text context', () => {
    const text = new DemoTextEncoder();
    const image = new DemoImageEncoder();
    expect([text.modelId, image.modelId]).toEqual([DEMO_MODEL_ID, DEMO_MODEL_ID]);
    expect([text.dim, image.dim]).toEqual([DEMO_DIM, DEMO_DIM]);
    expect(text.contextLength).toBe(248);
    expect(text.countTokens('a man in a red jacket')).toBe(8);
    expect(text.countTokens('')).toBe(2);
  });

  it('embed texts and images as unit vectors, in order', async () => {
    const texts = await new DemoTextEncoder().embedTexts(['a man in red', 'someone', '']);
    const images = await new DemoImageEncoder().embedImageFiles(paths.slice(0, 3));
    for (const v of [...texts, ...images]) {
      expect(v).toHaveLength(DEMO_DIM);
      expect(Math.sqrt(dot(v, v))).toBeCloseTo(1, 5);
    }
    // Texts that say nothing rank every image alike, so they are the same vector.
    expect(Array.from(texts[1])).toEqual(Array.from(texts[2]));
    const single = await new DemoImageEncoder().embedImageFiles([paths[2]]);
    expect(Array.from(single[0])).toEqual(Array.from(images[2]));
  });

  it('put a full caption closest to its own person’s image', async () => {
    const images = await new DemoImageEncoder({ concurrency: 2 }).embedImageFiles(paths);
    const texts = await new DemoTextEncoder().embedTexts(people.map(caption));
    let rank1 = 0;
    texts.forEach((t, i) => {
      const scores = images.map((v) => dot(t, v));
      if (scores.indexOf(Math.max(...scores)) === i) rank1++;
    });
    expect(rank1 / PEOPLE).toBeGreaterThanOrEqual(0.8);
  });

  it('rank by the attributes a vague query states', async () => {
    const images = await new DemoImageEncoder().embedImageFiles(paths);
    const target = people.findIndex((p) => people.filter((q) => q.upperColour === p.upperColour).length === 1);
    expect(target).toBeGreaterThanOrEqual(0);
    const [query] = await new DemoTextEncoder().embedTexts([`someone in a ${people[target].upperColour} top`]);
    const scores = images.map((v) => dot(query, v));
    expect(scores.indexOf(Math.max(...scores))).toBe(target);
  });

  it('settle unreadable images as failed entries naming the file, and go on', async () => {
    const missing = join(dir, 'missing.png');
    const corrupt = join(dir, 'corrupt.png');
    await writeFile(corrupt, Buffer.from('not a png at all'));
    const done: number[] = [];
    const results = await new DemoImageEncoder().embedImageFilesSettled([paths[0], missing, corrupt, paths[1]], (n) => done.push(n));
    expect(results.map((r) => [r.path, r.ok])).toEqual([
      [paths[0], true],
      [missing, false],
      [corrupt, false],
      [paths[1], true],
    ]);
    const [, m, c] = results;
    expect(!m.ok && isCtgiError(m.error, 'NOT_FOUND') && m.error.message.includes(missing)).toBe(true);
    expect(!c.ok && isCtgiError(c.error, 'IMAGE_INVALID') && c.error.message.includes(corrupt)).toBe(true);
    expect(done[done.length - 1]).toBe(4);
    await expect(new DemoImageEncoder().embedImageFiles([paths[0], missing])).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuse images over the byte or pixel limits', async () => {
    const [bytes] = await new DemoImageEncoder({ limits: { maxBytes: 100, maxPixels: 1e9 } }).embedImageFilesSettled([paths[0]]);
    expect(!bytes.ok && isCtgiError(bytes.error, 'IMAGE_TOO_LARGE')).toBe(true);
    const [pixels] = await new DemoImageEncoder({ limits: { maxBytes: 1e9, maxPixels: 1000 } }).embedImageFilesSettled([paths[0]]);
    expect(!pixels.ok && isCtgiError(pixels.error, 'IMAGE_TOO_LARGE')).toBe(true);
  });
});
