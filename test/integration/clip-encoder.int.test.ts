import { copyFile, mkdir, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxClipImageEncoder } from '../../src/models/clip-image-encoder.js';
import { OnnxClipTextEncoder } from '../../src/models/clip-text-encoder.js';
import { preprocessImageFile } from '../../src/vision/clip-preprocess.js';
import { readModelDir } from '../../src/models/model-dir.js';
import { writeJpeg, writePainted, type Rgb } from '../fixtures/images.js';
import { writeTinyClipModel, type TinyClipInfo, type TinyClipOptions } from '../fixtures/tiny-clip.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { cosine, maxAbsDiff, norm } from '../helpers/vectors.js';

const TEXTS = ['a man in a red jacket with a black backpack', 'woman, long blonde hair, blue skirt', 'x', 'a person'];

let root: string;
let cleanup: () => Promise<void>;
let images: string[];

const variants: Array<[string, TinyClipOptions]> = [
  ['hf', { layout: 'hf' }],
  ['hf, attention_mask, batch of 1', { layout: 'hf', attentionMask: true, fixedBatch1: true, seed: 2 }],
  ['immich', { layout: 'immich', seed: 3 }],
  ['immich, batch of 1, shortest-edge crop', { layout: 'immich', fixedBatch1: true, resizeMode: 'shortest', seed: 4 }],
];
const models = new Map<string, TinyClipInfo>();

/** Reference: the graph run directly on a hand-built padded input, normalised here. */
async function rawText(info: TinyClipInfo, ids: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(info.textPath);
  try {
    const hf = info.layout === 'hf';
    const padded = [...ids, ...new Array(info.contextLength - ids.length).fill(0)];
    const feeds: Record<string, ort.Tensor> = hf
      ? { input_ids: new ort.Tensor('int64', BigInt64Array.from(padded.map(BigInt)), [1, padded.length]) }
      : { text: new ort.Tensor('int32', Int32Array.from(padded), [1, padded.length]) };
    if (session.inputNames.includes('attention_mask')) {
      feeds.attention_mask = new ort.Tensor('int64', BigInt64Array.from(padded.map((_, i) => (i < ids.length ? 1n : 0n))), [1, padded.length]);
    }
    const out = (await session.run(feeds))[hf ? 'text_embeds' : 'embedding'].data as Float32Array;
    const n = norm(out);
    return out.map((x) => x / n);
  } finally {
    await session.release();
  }
}

beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir('encoder'));
  for (const [name, opts] of variants) models.set(name, await writeTinyClipModel(join(root, name.replace(/\W+/g, '-')), opts));
  const colours: Rgb[] = [
    [200, 30, 30],
    [20, 40, 220],
    [240, 240, 240],
    [10, 10, 10],
    [30, 160, 60],
  ];
  images = [];
  for (const [i, c] of colours.entries()) {
    const p = join(root, `img${i}.${i % 2 ? 'png' : 'jpg'}`);
    const paint = (x: number, y: number): Rgb => (y < 60 ? c : [(x * 3) % 256, (y * 2) % 256, 90]);
    images.push(i % 2 ? await writePainted(p, 50, 120, paint) : await writeJpeg(p, 50, 120, paint));
  }
});
afterAll(() => cleanup());

describe.each(variants)('ONNX CLIP encoder — %s', (name) => {
  const info = () => models.get(name)!;

  it('embeds texts as unit vectors equal to a direct run of the graph on padded ids', async () => {
    const enc = await OnnxClipTextEncoder.open(info().dir);
    try {
      expect(enc.dim).toBe(info().dim);
      expect(enc.contextLength).toBe(77);
      const vectors = await enc.embedTexts(TEXTS);
      expect(vectors).toHaveLength(TEXTS.length);
      for (const [i, text] of TEXTS.entries()) {
        expect(norm(vectors[i])).toBeCloseTo(1, 5);
        const ids = enc.tokenizer.encode(text, 77);
        expect(maxAbsDiff(vectors[i], await rawText(info(), ids))).toBeLessThan(1e-5);
      }
      expect(cosine(vectors[0], vectors[1])).toBeLessThan(0.99);
    } finally {
      await enc.close();
    }
  });

  it('gives the same vectors trimmed to the longest text as padded to the full context', async () => {
    const enc = await OnnxClipTextEncoder.open(info().dir, { batchSize: 3 });
    try {
      const ids = TEXTS.map((t) => enc.tokenizer.encode(t, 77));
      const trimmed = await enc.embedTokenIds(ids, { trim: true });
      const padded = await enc.embedTokenIds(ids, { trim: false });
      trimmed.forEach((v, i) => expect(maxAbsDiff(v, padded[i])).toBeLessThan(1e-6));
      // Batching does not change results either.
      const single = await Promise.all(ids.map(async (s) => (await enc.embedTokenIds([s]))[0]));
      trimmed.forEach((v, i) => expect(maxAbsDiff(v, single[i])).toBeLessThan(1e-5));
    } finally {
      await enc.close();
    }
  });

  it('truncates long texts to the context length and honours a shorter --context-length', async () => {
    const long = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const full = await OnnxClipTextEncoder.open(info().dir);
    const short = await OnnxClipTextEncoder.open(info().dir, { contextLength: 8 });
    try {
      const [a] = await full.embedTexts([long]);
      const [b] = await short.embedTexts([long]);
      const ids8 = full.tokenizer.encode(long, 8);
      expect(ids8).toHaveLength(8);
      expect(maxAbsDiff(b, (await full.embedTokenIds([ids8]))[0])).toBeLessThan(1e-5);
      expect(cosine(a, b)).toBeLessThan(0.9999);
    } finally {
      await full.close();
      await short.close();
    }
  });

  it('embeds image files in order, batched or not, equal to the graph on preprocessed pixels', async () => {
    const model = await readModelDir(info().dir);
    const enc = await OnnxClipImageEncoder.open(model, { batchSize: 2 });
    try {
      const vectors = await enc.embedImageFiles(images);
      expect(vectors).toHaveLength(images.length);
      for (const [i, path] of images.entries()) {
        expect(norm(vectors[i])).toBeCloseTo(1, 5);
        const [ref] = await enc.runTensor(await preprocessImageFile(path, model.preprocess), 1);
        expect(maxAbsDiff(vectors[i], ref)).toBeLessThan(1e-5);
      }
      expect(cosine(vectors[0], vectors[1])).toBeLessThan(0.99);
      const reversed = await enc.embedImageFiles([...images].reverse());
      reversed.reverse().forEach((v, i) => expect(maxAbsDiff(v, vectors[i])).toBeLessThan(1e-5));
    } finally {
      await enc.close();
    }
  });
});

describe('image encoder with unreadable files', () => {
  it('skips and names bad images in a settled batch, keeping the others exact', async () => {
    const info = models.get('hf')!;
    const bad = join(root, 'not-an-image.jpg');
    await writeFile(bad, 'this is text, not a JPEG');
    const missing = join(root, 'missing.png');
    const enc = await OnnxClipImageEncoder.open(info.dir, { batchSize: 3 });
    try {
      const good = await enc.embedImageFiles(images);
      const mixed = await enc.embedImageFilesSettled([images[0], bad, images[1], missing, images[2]]);
      expect(mixed.map((r) => r.ok)).toEqual([true, false, true, false, true]);
      const oks = mixed.filter((r) => r.ok).map((r) => (r as { vector: Float32Array }).vector);
      oks.forEach((v, i) => expect(maxAbsDiff(v, good[i])).toBeLessThan(1e-5));
      const failures = mixed.filter((r) => !r.ok) as Array<{ path: string; error: Error }>;
      expect(failures[0].error.message).toContain(bad);
      expect(failures[1].error.message).toContain(missing);
      await expect(enc.embedImageFiles([images[0], bad])).rejects.toMatchObject({ name: 'CtgiError', code: 'IMAGE_INVALID' });
    } finally {
      await enc.close();
    }
  });
});

describe('model directory errors', () => {
  it('refuses a missing directory, a non-model directory and a bad context length with clear sentences', async () => {
    await expect(OnnxClipTextEncoder.open(join(root, 'nope'))).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('does not exist') });
    const empty = join(root, 'empty');
    await mkdir(empty, { recursive: true });
    await expect(OnnxClipTextEncoder.open(empty)).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining('onnx/text_model.onnx') });
    await expect(OnnxClipTextEncoder.open(models.get('hf')!.dir, { contextLength: 100 })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining('model stretch'),
    });
  });

  it('refuses a corrupt graph and a config that contradicts the graph, naming the file', async () => {
    const src = models.get('immich')!;
    const broken = join(root, 'broken');
    await mkdir(join(broken, 'textual'), { recursive: true });
    await mkdir(join(broken, 'visual'), { recursive: true });
    for (const f of ['config.json', 'textual/tokenizer.json', 'visual/preprocess_cfg.json', 'visual/model.onnx']) await copyFile(join(src.dir, f), join(broken, f));
    await writeFile(join(broken, 'textual/model.onnx'), Buffer.from('not a protobuf at all'));
    await expect(OnnxClipTextEncoder.open(broken)).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining('textual/model.onnx') });

    await copyFile(join(src.dir, 'textual/model.onnx'), join(broken, 'textual/model.onnx'));
    const config = JSON.parse(await readFile(join(broken, 'config.json'), 'utf8'));
    config.text_cfg.context_length = 248;
    await writeFile(join(broken, 'config.json'), JSON.stringify(config));
    await expect(OnnxClipTextEncoder.open(broken)).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining('takes 77 tokens') });

    const pp = JSON.parse(await readFile(join(broken, 'visual/preprocess_cfg.json'), 'utf8'));
    pp.size = [224, 224];
    await writeFile(join(broken, 'visual/preprocess_cfg.json'), JSON.stringify(pp));
    await expect(OnnxClipImageEncoder.open(broken)).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining('3×224×224') });
  });
});
