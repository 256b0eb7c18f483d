import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClipBpeVocab, findClipBpeGz } from '../fixtures/clip-bpe-vocab.js';
import { writeTinyClipModel, type TinyClipInfo, type TinyClipOptions } from '../fixtures/tiny-clip.js';

let root: string;
const sessions: ort.InferenceSession[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ctgi-tiny-clip-'));
});
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.release()));
  await rm(root, { recursive: true, force: true });
});

let dirCount = 0;
async function generate(opts: TinyClipOptions): Promise<TinyClipInfo> {
  dirCount += 1;
  return writeTinyClipModel(join(root, `${opts.layout}-${dirCount}`), opts);
}

async function open(path: string): Promise<ort.InferenceSession> {
  const s = await ort.InferenceSession.create(path);
  sessions.push(s);
  return s;
}

function meta(s: ort.InferenceSession, which: 'input' | 'output'): Array<{ name: string; type: string; shape: Array<number | string> }> {
  const list = which === 'input' ? s.inputMetadata : s.outputMetadata;
  return list.map((m) => (m.isTensor ? { name: m.name, type: m.type, shape: [...m.shape] } : { name: m.name, type: 'other', shape: [] }));
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i += 1) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

/** [SOT, ...body, EOT] padded with zeros to `length`. */
function idsOf(info: TinyClipInfo, body: number[], length = body.length + 2): number[] {
  const ids = [info.sot, ...body, info.eot];
  return [...ids, ...new Array<number>(length - ids.length).fill(0)];
}

async function hfText(s: ort.InferenceSession, rows: number[][], mask?: number[][]): Promise<Float32Array> {
  const dims = [rows.length, rows[0].length];
  const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), dims) };
  if (mask) feeds.attention_mask = new ort.Tensor('int64', BigInt64Array.from(mask.flat(), BigInt), dims);
  const out = await s.run(feeds);
  expect(out.text_embeds.dims).toEqual([rows.length, 16]);
  return out.text_embeds.data as Float32Array;
}

async function immichText(s: ort.InferenceSession, rows: number[][]): Promise<Float32Array> {
  const out = await s.run({ text: new ort.Tensor('int32', Int32Array.from(rows.flat()), [rows.length, rows[0].length]) });
  expect(out.embedding.dims).toEqual([rows.length, 16]);
  return out.embedding.data as Float32Array;
}

/** A deterministic pseudo-image, normalised-pixel scale, different per `k`. */
function image(k: number, h = 64, w = 32): Float32Array {
  return Float32Array.from({ length: 3 * h * w }, (_, i) => Math.sin(i * 0.37 * k + k) * 1.5);
}

async function vision(s: ort.InferenceSession, input: string, output: string, images: Float32Array[]): Promise<Float32Array> {
  const data = new Float32Array(images.reduce((n, im) => n + im.length, 0));
  images.forEach((im, i) => data.set(im, i * im.length));
  const out = await s.run({ [input]: new ort.Tensor('float32', data, [images.length, 3, 64, 32]) });
  expect(out[output].dims).toEqual([images.length, 16]);
  return out[output].data as Float32Array;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

function initializers(bytes: Uint8Array): Map<string, onnxProto.onnx.ITensorProto> {
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  return new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
}

function int64Values(t: onnxProto.onnx.ITensorProto): number[] {
  const raw = t.rawData ?? new Uint8Array();
  // Copy: decoded bytes may be a view into a larger, unaligned buffer.
  return Array.from(new BigInt64Array(new Uint8Array(raw).buffer), Number);
}

describe('Hugging Face layout', () => {
  let info: TinyClipInfo;
  let text: ort.InferenceSession;
  beforeAll(async () => {
    info = await generate({ layout: 'hf' });
    text = await open(info.textPath);
  });

  it('writes the files and exposes the exact inputs and outputs', async () => {
    expect(await listFiles(info.dir)).toEqual(
      ['config.json', 'merges.txt', 'onnx/text_model.onnx', 'onnx/vision_model.onnx', 'preprocessor_config.json', 'tokenizer.json', 'vocab.json'].sort(),
    );
    expect(meta(text, 'input')).toEqual([{ name: 'input_ids', type: 'int64', shape: ['batch_size', 'sequence_length'] }]);
    expect(meta(text, 'output')).toEqual([
      { name: 'text_embeds', type: 'float32', shape: ['batch_size', 16] },
      { name: 'last_hidden_state', type: 'float32', shape: ['batch_size', 'sequence_length', 32] },
    ]);
    const vis = await open(info.visionPath);
    expect(meta(vis, 'input')).toEqual([{ name: 'pixel_values', type: 'float32', shape: ['batch_size', 3, 64, 32] }]);
    expect(meta(vis, 'output')).toEqual([
      { name: 'image_embeds', type: 'float32', shape: ['batch_size', 16] },
      { name: 'last_hidden_state', type: 'float32', shape: ['batch_size', 9, 32] },
    ]);
  });

  it('describes itself in config.json and preprocessor_config.json', async () => {
    const config = JSON.parse(await readFile(join(info.dir, 'config.json'), 'utf8'));
    expect(config.projection_dim).toBe(16);
    expect(config.text_config).toMatchObject({ max_position_embeddings: 77, vocab_size: info.vocabSize, eos_token_id: info.eot });
    const pre = JSON.parse(await readFile(join(info.dir, 'preprocessor_config.json'), 'utf8'));
    expect(pre).toMatchObject({ size: { height: 64, width: 32 }, do_center_crop: false, resample: 3 });
    expect(info.eot).toBe(info.vocabSize - 1);
  });

  it('keeps the position table and position_ids as initializers, with no sequence length baked into Reshapes', async () => {
    const inits = initializers(await readFile(info.textPath));
    expect(inits.get(info.positionTableName)?.dims?.map(Number)).toEqual([77, 32]);
    const ids = inits.get('text_model.embeddings.position_ids');
    expect(ids?.dims?.map(Number)).toEqual([1, 77]);
    expect(int64Values(ids!)).toEqual(Array.from({ length: 77 }, (_, i) => i));
    const shapeConsts = [...inits.values()].filter((t) => t.dataType === 7 && t.name !== 'text_model.embeddings.position_ids');
    expect(shapeConsts.some((t) => int64Values(t).includes(77))).toBe(false);
  });

  it('pools at EOT causally: zero padding after EOT changes nothing, any length runs', async () => {
    const trimmed = await hfText(text, [idsOf(info, [11, 12, 13])]);
    const padded = await hfText(text, [idsOf(info, [11, 12, 13], 77)]);
    expect(maxAbsDiff(trimmed, padded)).toBeLessThan(1e-5);
    await expect(hfText(text, [idsOf(info, [])])).resolves.toHaveLength(16);
  });

  it('gives clearly different embeddings for different texts, and batches rows independently', async () => {
    const a = await hfText(text, [idsOf(info, [11, 12, 13])]);
    const b = await hfText(text, [idsOf(info, [14, 15, 16])]);
    const c = await hfText(text, [idsOf(info, [11, 12, 17])]);
    expect(cosine(a, b)).toBeLessThan(0.99);
    expect(cosine(a, c)).toBeLessThan(0.99);
    const both = await hfText(text, [idsOf(info, [11, 12, 13], 6), idsOf(info, [14, 15, 16], 6)]);
    expect(maxAbsDiff(both.slice(0, 16), a)).toBeLessThan(1e-5);
    expect(maxAbsDiff(both.slice(16), b)).toBeLessThan(1e-5);
  });

  it('takes attention_mask and fixed batch 1 when asked', async () => {
    const masked = await generate({ layout: 'hf', attentionMask: true, fixedBatch1: true });
    const s = await open(masked.textPath);
    expect(meta(s, 'input')).toEqual([
      { name: 'input_ids', type: 'int64', shape: [1, 'sequence_length'] },
      { name: 'attention_mask', type: 'int64', shape: [1, 'sequence_length'] },
    ]);
    const row = idsOf(masked, [11, 12, 13], 10);
    const trimmed = await hfText(s, [row.slice(0, 5)], [[1, 1, 1, 1, 1]]);
    const padded = await hfText(s, [row], [row.map((_, i) => (i < 5 ? 1 : 0))]);
    expect(maxAbsDiff(trimmed, padded)).toBeLessThan(1e-5);
    expect(meta(await open(masked.visionPath), 'input')[0].shape).toEqual([1, 3, 64, 32]);
  });

  it('embeds images: different images differ, a batch of 2 equals two single runs', async () => {
    const s = await open(info.visionPath);
    const one = await vision(s, 'pixel_values', 'image_embeds', [image(1)]);
    const two = await vision(s, 'pixel_values', 'image_embeds', [image(2)]);
    expect(cosine(one, two)).toBeLessThan(0.99);
    const both = await vision(s, 'pixel_values', 'image_embeds', [image(1), image(2)]);
    expect(maxAbsDiff(both.slice(0, 16), one)).toBeLessThan(1e-5);
    expect(maxAbsDiff(both.slice(16), two)).toBeLessThan(1e-5);
  });

  it('writes shortest-edge + centre-crop and bilinear preprocessing when asked', async () => {
    const m = await generate({ layout: 'hf', resizeMode: 'shortest', interpolation: 'bilinear' });
    const pre = JSON.parse(await readFile(join(m.dir, 'preprocessor_config.json'), 'utf8'));
    expect(pre).toMatchObject({ size: { shortest_edge: 32 }, do_center_crop: true, crop_size: { height: 64, width: 32 }, resample: 2 });
  });
});

describe('immich layout', () => {
  let info: TinyClipInfo;
  let text: ort.InferenceSession;
  beforeAll(async () => {
    info = await generate({ layout: 'immich', resizeMode: 'shortest' });
    text = await open(info.textPath);
  });

  it('writes the files and exposes the exact inputs and outputs', async () => {
    expect(await listFiles(info.dir)).toEqual(['config.json', 'textual/model.onnx', 'textual/tokenizer.json', 'visual/model.onnx', 'visual/preprocess_cfg.json']);
    expect(meta(text, 'input')).toEqual([{ name: 'text', type: 'int32', shape: ['batch', 77] }]);
    expect(meta(text, 'output')).toEqual([{ name: 'embedding', type: 'float32', shape: ['batch', 16] }]);
    const vis = await open(info.visionPath);
    expect(meta(vis, 'input')).toEqual([{ name: 'image', type: 'float32', shape: ['batch', 3, 64, 32] }]);
    expect(vis.outputNames).toEqual(['embedding']);
    const cfg = JSON.parse(await readFile(join(info.dir, 'visual/preprocess_cfg.json'), 'utf8'));
    expect(cfg).toMatchObject({ size: [64, 32], resize_mode: 'shortest', interpolation: 'bicubic' });
    const config = JSON.parse(await readFile(join(info.dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ embed_dim: 16, text_cfg: { context_length: 77, vocab_size: info.vocabSize } });
  });

  it('bakes the context length into the position table, the mask and a Reshape shape', async () => {
    const inits = initializers(await readFile(info.textPath));
    expect(info.positionTableName).toBe('positional_embedding');
    expect(inits.get('positional_embedding')?.dims?.map(Number)).toEqual([77, 32]);
    expect(inits.get('attn_mask')?.dims?.map(Number)).toEqual([77, 77]);
    const int64s = [...inits.values()].filter((t) => t.dataType === 7).map(int64Values);
    expect(int64s).toContainEqual([-1, 77, 2, 16]);
  });

  it('ignores tokens after EOT, differs between texts, and batches rows independently', async () => {
    const base = idsOf(info, [11, 12, 13], 77);
    const noisy = [...base];
    noisy.splice(5, 3, 21, 22, 23);
    const a = await immichText(text, [base]);
    expect(maxAbsDiff(a, await immichText(text, [noisy]))).toBeLessThan(1e-5);
    const b = await immichText(text, [idsOf(info, [14, 15, 16], 77)]);
    expect(cosine(a, b)).toBeLessThan(0.99);
    const both = await immichText(text, [base, idsOf(info, [14, 15, 16], 77)]);
    expect(maxAbsDiff(both.slice(0, 16), a)).toBeLessThan(1e-5);
    expect(maxAbsDiff(both.slice(16), b)).toBeLessThan(1e-5);
  });

  it('declares batch dim 1 when fixedBatch1', async () => {
    const fixed = await generate({ layout: 'immich', fixedBatch1: true });
    expect(meta(await open(fixed.textPath), 'input')[0].shape).toEqual([1, 77]);
    expect(meta(await open(fixed.visionPath), 'input')[0].shape).toEqual([1, 3, 64, 32]);
  });

  it('embeds images: different images differ, a batch of 2 equals two single runs', async () => {
    const s = await open(info.visionPath);
    const one = await vision(s, 'image', 'embedding', [image(1)]);
    const two = await vision(s, 'image', 'embedding', [image(3)]);
    expect(cosine(one, two)).toBeLessThan(0.99);
    const both = await vision(s, 'image', 'embedding', [image(1), image(3)]);
    expect(maxAbsDiff(both.slice(0, 16), one)).toBeLessThan(1e-5);
    expect(maxAbsDiff(both.slice(16), two)).toBeLessThan(1e-5);
  });
});

describe('determinism', () => {
  it.each(['hf', 'immich'] as const)('%s: same seed gives identical bytes, another seed different weights', async (layout) => {
    const a = await generate({ layout, seed: 7 });
    const b = await generate({ layout, seed: 7 });
    const c = await generate({ layout, seed: 8 });
    const files = await listFiles(a.dir);
    for (const f of files) expect(Buffer.compare(await readFile(join(a.dir, f)), await readFile(join(b.dir, f))), f).toBe(0);
    for (const p of [a.textPath, a.visionPath]) {
      const other = join(c.dir, relative(a.dir, p));
      expect(Buffer.compare(await readFile(p), await readFile(other)), p).not.toBe(0);
    }
  });
});

describe.skipIf(findClipBpeGz() === undefined)('full CLIP vocabulary', () => {
  it('rebuilds the reference ids from bpe_simple_vocab_16e6.txt.gz', async () => {
    const vocab = await loadClipBpeVocab(findClipBpeGz()!);
    expect([vocab.size, vocab.sot, vocab.eot, vocab.merges.length]).toEqual([49408, 49406, 49407, 48894]);
    const golden = JSON.parse(await readFile(join(findClipBpeGz()!, '..', 'clip-tokenizer-golden.json'), 'utf8'));
    const c = golden.cases[0] as { text: string; ids77: number[] };
    const words = c.text.split(' ');
    expect(words.map((w) => vocab.encoder.get(`${w}</w>`))).toEqual(c.ids77.slice(1, -1));
    expect(vocab.encoder.get('!')).toBe(0);
    expect(vocab.encoder.get('!</w>')).toBe(256);
  });

  it('builds a model over it with the full token table', async () => {
    const info = await generate({ layout: 'hf', vocab: { clipBpeGz: findClipBpeGz()! } });
    expect([info.vocabSize, info.sot, info.eot]).toEqual([49408, 49406, 49407]);
    const inits = initializers(await readFile(info.textPath));
    expect(inits.get('text_model.embeddings.token_embedding.weight')?.dims?.map(Number)).toEqual([49408, 32]);
    const vocabJson = JSON.parse(await readFile(join(info.dir, 'vocab.json'), 'utf8'));
    expect(vocabJson['<|endoftext|>']).toBe(49407);
    expect(existsSync(join(info.dir, 'tokenizer.json'))).toBe(true);
    const s = await open(info.textPath);
    await expect(hfText(s, [[49406, 320, 786, 49407]])).resolves.toHaveLength(16);
  });
});
