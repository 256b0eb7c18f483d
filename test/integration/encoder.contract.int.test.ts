import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAMERA_IDS, sampleAppearance, sampleJitter } from '../../src/demo/appearance.js';
import { sampleAttributes } from '../../src/demo/attribute-sampling.js';
import { writeDemoModelDir } from '../../src/demo/demo-model.js';
import { renderPersonPng } from '../../src/demo/person-render.js';
import { Rng } from '../../src/demo/rng.js';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import type { ImageEmbedding, ImageEncoder, TextEncoder } from '../../src/models/encoder.js';
import { openImageEncoder, openTextEncoder } from '../../src/models/open-encoders.js';
import { writeJpeg, writePainted, type Rgb } from '../fixtures/images.js';
import { writeTinyClipModel } from '../fixtures/tiny-clip.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { cosine, maxAbsDiff, norm } from '../helpers/vectors.js';

// One suite per encoder port, run against every adapter (as langgraphjs's checkpoint `specTest`): the ONNX
// CLIP towers on tiny generated models in both public layouts, the demo world's attribute encoder, and the
// trained dev-mini-clip model when this machine has it. Adapters are opened the way the product opens
// them, through open-encoders.ts.

/** Where the shared folder keeps the small trained CLIP model (outside the repository). */
const DEV_MINI_CLIP = fileURLToPath(new URL('../../../shared/models/dev-mini-clip', import.meta.url));
const HAS_DEV_MINI_CLIP = existsSync(join(DEV_MINI_CLIP, 'onnx', 'text_model.onnx')) && existsSync(join(DEV_MINI_CLIP, 'onnx', 'vision_model.onnx'));

const TEXTS = ['a man in a red jacket with a black backpack', 'woman, long blonde hair, blue skirt', 'someone', 'ÉTÉ — café ☕ 👟 ', '   ', ''];
const TOLERANCE = 1e-5;

/** Root of this file's model directories and images, set before any suite runs. */
const files = { root: '', good: [] as string[], bad: {} as Record<'missing' | 'empty' | 'text' | 'truncated' | 'directory', string> };

function expectUnitVectors(vectors: Float32Array[], dim: number): void {
  for (const v of vectors) {
    expect(v).toBeInstanceOf(Float32Array);
    expect(v).toHaveLength(dim);
    expect(v.every(Number.isFinite)).toBe(true);
    expect(norm(v)).toBeCloseTo(1, 5);
  }
}

function expectSameVectors(a: Float32Array[], b: Float32Array[]): void {
  expect(a).toHaveLength(b.length);
  a.forEach((v, i) => expect(maxAbsDiff(v, b[i]), `vector ${i}`).toBeLessThan(TOLERANCE));
}

/** A call on a closed encoder may still work (nothing to release) or fail, but only with a CtgiError. */
async function expectWorksOrCtgiError(call: Promise<Float32Array[]>): Promise<void> {
  const outcome = await call.then(
    (vectors) => vectors,
    (err: unknown) => err,
  );
  if (!Array.isArray(outcome)) expect(isCtgiError(outcome), String(outcome)).toBe(true);
}

/** What a text encoder does beyond the port's minimum. */
interface TextFeatures {
  /** Text past `contextLength` tokens is cut off, so it cannot change the vector (CLIP's tokenizer rule). */
  truncatesAtContext: boolean;
}

/** The behaviour every TextEncoder adapter must share. */
export function textEncoderContract(name: string, open: () => Promise<TextEncoder>, features: TextFeatures): void {
  describe(`TextEncoder contract: ${name}`, () => {
    let encoder: TextEncoder;
    beforeAll(async () => {
      encoder = await open();
    });
    afterAll(() => encoder.close());

    it('reports a model id, a dimension its vectors have, and a context length', async () => {
      expect(encoder.modelId.trim()).not.toBe('');
      expect(Number.isInteger(encoder.dim) && encoder.dim > 0).toBe(true);
      expect(Number.isInteger(encoder.contextLength) && encoder.contextLength >= 2).toBe(true);
      const [v] = await encoder.embedTexts([TEXTS[0]]);
      expect(v).toHaveLength(encoder.dim);
    });

    it('embeds every text, empty and odd ones included, as a finite unit vector, in order', async () => {
      const vectors = await encoder.embedTexts(TEXTS);
      expect(vectors).toHaveLength(TEXTS.length);
      expectUnitVectors(vectors, encoder.dim);
      expect(cosine(vectors[0], vectors[1])).toBeLessThan(0.9999);
      expectSameVectors(await encoder.embedTexts([...TEXTS].reverse()), [...vectors].reverse());
    });

    it('gives the same vectors in a batch as one by one, and again on a second call', async () => {
      const batch = await encoder.embedTexts(TEXTS);
      const single: Float32Array[] = [];
      for (const text of TEXTS) single.push(...(await encoder.embedTexts([text])));
      expectSameVectors(batch, single);
      expectSameVectors(await encoder.embedTexts(TEXTS), batch);
      const duplicates = await encoder.embedTexts([TEXTS[0], TEXTS[1], TEXTS[0]]);
      expectSameVectors([duplicates[0], duplicates[2]], [batch[0], batch[0]]);
    });

    it('answers an empty batch with no vectors', async () => {
      expect(await encoder.embedTexts([])).toEqual([]);
    });

    it('is deterministic across instances of the same model', async () => {
      const other = await open();
      try {
        expect(other.modelId).toBe(encoder.modelId);
        expectSameVectors(await other.embedTexts(TEXTS), await encoder.embedTexts(TEXTS));
      } finally {
        await other.close();
      }
    });

    it('counts SOT and EOT in countTokens, and more tokens for longer text', () => {
      expect(encoder.countTokens('')).toBe(2);
      const short = encoder.countTokens('a man in a red jacket');
      expect(short).toBeGreaterThan(2);
      expect(encoder.countTokens('a man in a red jacket with a black backpack and white shoes')).toBeGreaterThan(short);
    });

    it('embeds text longer than its context instead of refusing it', async () => {
      const long = 'a man in a red jacket with a black backpack, '.repeat(30);
      expect(encoder.countTokens(long)).toBeGreaterThan(encoder.contextLength);
      const [vector, longer] = await encoder.embedTexts([long, `${long} and a green hat`]);
      expectUnitVectors([vector, longer], encoder.dim);
      if (features.truncatesAtContext) expect(maxAbsDiff(vector, longer)).toBeLessThan(1e-6);
    });

    it('can be closed twice, and refuses work after that with a CtgiError if at all', async () => {
      const other = await open();
      await Promise.all([other.close(), other.close()]);
      await other.close();
      await expectWorksOrCtgiError(other.embedTexts([TEXTS[0]]));
    });
  });
}

/** The behaviour every ImageEncoder adapter must share. */
export function imageEncoderContract(name: string, open: () => Promise<ImageEncoder>): void {
  describe(`ImageEncoder contract: ${name}`, () => {
    let encoder: ImageEncoder;
    beforeAll(async () => {
      encoder = await open();
    });
    afterAll(() => encoder.close());

    it('embeds JPEG, PNG and WebP files as finite unit vectors of its dimension, in order', async () => {
      expect(encoder.modelId.trim()).not.toBe('');
      const vectors = await encoder.embedImageFiles(files.good);
      expect(vectors).toHaveLength(files.good.length);
      expectUnitVectors(vectors, encoder.dim);
      expect(cosine(vectors[0], vectors[2])).toBeLessThan(0.9999);
      expectSameVectors(await encoder.embedImageFiles([...files.good].reverse()), [...vectors].reverse());
    });

    it('gives the same vectors in a batch as one by one, settled or not, and again on a second call', async () => {
      const batch = await encoder.embedImageFiles(files.good);
      const single: Float32Array[] = [];
      for (const path of files.good) single.push(...(await encoder.embedImageFiles([path])));
      expectSameVectors(batch, single);
      const settled = await encoder.embedImageFilesSettled(files.good);
      expect(settled.map((r) => [r.path, r.ok])).toEqual(files.good.map((p) => [p, true]));
      expectSameVectors(settled.map((r) => (r as { vector: Float32Array }).vector), batch);
      expectSameVectors(await encoder.embedImageFiles(files.good), batch);
    });

    it('answers an empty batch with no vectors', async () => {
      expect(await encoder.embedImageFiles([])).toEqual([]);
      expect(await encoder.embedImageFilesSettled([])).toEqual([]);
    });

    it('is deterministic across instances of the same model', async () => {
      const other = await open();
      try {
        expect([other.modelId, other.dim]).toEqual([encoder.modelId, encoder.dim]);
        expectSameVectors(await other.embedImageFiles(files.good), await encoder.embedImageFiles(files.good));
      } finally {
        await other.close();
      }
    });

    it('settles unreadable files as failed entries with a CtgiError naming the file, and embeds the rest exactly', async () => {
      const { missing, empty, text, truncated, directory } = files.bad;
      const paths = [files.good[0], missing, empty, files.good[1], text, truncated, directory, files.good[2]];
      const progress: number[] = [];
      const results = await encoder.embedImageFilesSettled(paths, (done) => progress.push(done));
      expect(results.map((r) => [r.path, r.ok])).toEqual(paths.map((p) => [p, files.good.includes(p)]));
      const codes = results.filter((r): r is Extract<ImageEmbedding, { ok: false }> => !r.ok).map((r) => [r.path, isCtgiError(r.error) ? r.error.code : String(r.error)]);
      expect(codes).toEqual([
        [missing, 'NOT_FOUND'],
        [empty, 'IMAGE_INVALID'],
        [text, 'IMAGE_INVALID'],
        [truncated, 'IMAGE_INVALID'],
        [directory, 'IMAGE_INVALID'],
      ]);
      for (const r of results) if (!r.ok) expect(r.error.message).toMatch(new RegExp(`^[A-Z].*${r.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*\\.$`));
      const good = await encoder.embedImageFiles(files.good.slice(0, 3));
      expectSameVectors(results.filter((r) => r.ok).map((r) => (r as { vector: Float32Array }).vector), good);
      expect(progress.length).toBeGreaterThan(0);
      expect(progress.every((n, i) => n <= paths.length && (i === 0 || n >= progress[i - 1]))).toBe(true);
      expect(progress.at(-1)).toBe(paths.length);
    });

    it('rejects a batch holding an unreadable file with the CtgiError of the first one', async () => {
      const err = await encoder.embedImageFiles([files.good[0], files.bad.text, files.bad.missing]).catch((e: unknown) => e);
      expect(isCtgiError(err, 'IMAGE_INVALID'), String(err)).toBe(true);
      expect((err as Error).message).toContain(files.bad.text);
    });

    it('can be closed twice, and refuses work after that with a CtgiError if at all', async () => {
      const other = await open();
      await Promise.all([other.close(), other.close()]);
      await other.close();
      await expectWorksOrCtgiError(other.embedImageFiles([files.good[0]]));
    });
  });
}

// ---- Adapters --------------------------------------------------------------------------------------------

let cleanup: () => Promise<void>;
const dirs = { hf: '', immich: '', demo: '' };

beforeAll(async () => {
  ({ dir: files.root, cleanup } = await makeTempDir('encoder-contract'));
  dirs.hf = (await writeTinyClipModel(join(files.root, 'hf'), { layout: 'hf', attentionMask: true, seed: 5 })).dir;
  dirs.immich = (await writeTinyClipModel(join(files.root, 'immich'), { layout: 'immich', fixedBatch1: true, resizeMode: 'shortest', seed: 6 })).dir;
  dirs.demo = join(files.root, 'demo-model');
  await writeDemoModelDir(dirs.demo);

  const images = join(files.root, 'images');
  await mkdir(images);
  const rng = new Rng(31);
  for (let i = 0; i < 2; i++) {
    const path = join(images, `person-${i}.png`);
    await writeFile(path, await renderPersonPng(sampleAttributes(rng), sampleAppearance(rng), sampleJitter(rng, rng.pick(CAMERA_IDS))));
    files.good.push(path);
  }
  const paint = (c: Rgb) => (x: number, y: number): Rgb => (y < 50 ? c : [(x * 5) % 256, (y * 3) % 256, 90]);
  files.good.push(await writeJpeg(join(images, 'painted.jpg'), 48, 110, paint([200, 30, 30])));
  files.good.push(await writePainted(join(images, 'painted.webp'), 64, 64, paint([20, 40, 220])));
  files.good.push(await writePainted(join(images, 'tiny.png'), 3, 5, () => [240, 240, 240]));

  const whole = await readFile(files.good[0]);
  files.bad = {
    missing: join(images, 'missing.png'),
    empty: join(images, 'empty.png'),
    text: join(images, 'text.jpg'),
    truncated: join(images, 'truncated.png'),
    directory: join(images, 'folder.jpg'),
  };
  await writeFile(files.bad.empty, Buffer.alloc(0));
  await writeFile(files.bad.text, 'this is text, not a JPEG');
  await writeFile(files.bad.truncated, whole.subarray(0, Math.floor(whole.length / 2)));
  await mkdir(files.bad.directory);
});
afterAll(() => cleanup());

const CLIP = { truncatesAtContext: true };
textEncoderContract('ONNX CLIP, Hugging Face layout (attention mask)', () => openTextEncoder(dirs.hf, { batchSize: 4 }), CLIP);
textEncoderContract('ONNX CLIP, immich layout (graph of batch 1)', () => openTextEncoder(dirs.immich), CLIP);
// The demo encoder parses the whole text: it has no tokenizer to cut it at.
textEncoderContract('demo encoder', () => openTextEncoder(dirs.demo), { truncatesAtContext: false });
imageEncoderContract('ONNX CLIP, Hugging Face layout (batches of 2)', async () => (await openImageEncoder(dirs.hf, { batchSize: 2 })).encoder);
imageEncoderContract('ONNX CLIP, immich layout (graph of batch 1)', async () => (await openImageEncoder(dirs.immich)).encoder);
imageEncoderContract('demo encoder', async () => (await openImageEncoder(dirs.demo)).encoder);
if (HAS_DEV_MINI_CLIP) {
  textEncoderContract('dev-mini-clip (trained, Hugging Face layout)', () => openTextEncoder(DEV_MINI_CLIP), CLIP);
  imageEncoderContract('dev-mini-clip (trained, Hugging Face layout)', async () => (await openImageEncoder(DEV_MINI_CLIP, { batchSize: 3 })).encoder);
}

describe('text and image encoders of one model directory', () => {
  const cases: Array<[string, () => string]> = [
    ['ONNX CLIP, Hugging Face layout', () => dirs.hf],
    ['ONNX CLIP, immich layout', () => dirs.immich],
    ['demo encoder', () => dirs.demo],
    ...(HAS_DEV_MINI_CLIP ? [['dev-mini-clip', () => DEV_MINI_CLIP] as [string, () => string]] : []),
  ];
  it.each(cases)('%s: share the model id and the dimension, as the index manifest assumes', async (_, dir) => {
    const text = await openTextEncoder(dir());
    const { encoder: image, description } = await openImageEncoder(dir());
    try {
      expect([image.modelId, image.dim]).toEqual([text.modelId, text.dim]);
      expect([description.id, description.dim, description.contextLength]).toEqual([text.modelId, text.dim, text.contextLength]);
    } finally {
      await text.close();
      await image.close();
    }
  });
});
