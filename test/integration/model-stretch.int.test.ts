import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxClipTextEncoder } from '../../src/models/clip-text-encoder.js';
import { stretchModel } from '../../src/models/pes/stretch-model.js';
import { writeTinyClipModel, type TinyClipInfo, type TinyClipOptions } from '../fixtures/tiny-clip.js';
import { runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { cosine, maxAbsDiff } from '../helpers/vectors.js';

const { onnx } = onnxProto;
type Tensor = onnxProto.onnx.ITensorProto;

const SHORT = ['a man in a red coat', 'woman with a black bag', 'x', 'blue jeans and white shoes'];
const LONG = Array.from({ length: 40 }, (_, i) => `the person wears item ${i}`).join(', ');

function graphOf(bytes: Buffer) {
  return onnx.ModelProto.decode(bytes).graph!;
}

function floats(t: Tensor): Float32Array {
  const raw = t.rawData!;
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

function ints(t: Tensor): number[] {
  const raw = t.rawData!;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Array.from({ length: raw.byteLength / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
}

/** Independent statement of the rule: row r ≥ 20 sits at fractional source position 20 + (r − 20)/4. */
function expectedRow(p: (r: number) => Float32Array, r: number): number[] {
  if (r < 20) return [...p(r)];
  if (r >= 244) return [...p(76)].map((x, d) => x + ((r - 244) / 4) * (x - p(75)[d]));
  const pos = 20 + (r - 20) / 4;
  const lo = Math.floor(pos);
  const t = pos - lo;
  return [...p(lo)].map((x, d) => x + t * (p(lo + 1)[d] - x));
}

let root: string;
let cleanup: () => Promise<void>;
const variants: Array<[string, TinyClipOptions]> = [
  ['hf', { layout: 'hf', seed: 11 }],
  ['hf-mask', { layout: 'hf', attentionMask: true, seed: 12 }],
  ['immich', { layout: 'immich', seed: 13 }],
];
const models = new Map<string, TinyClipInfo>();

beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir('stretch'));
  for (const [name, opts] of variants) models.set(name, await writeTinyClipModel(join(root, name), opts));
});
afterAll(() => cleanup());

describe.each(variants)('model stretch — %s', (name) => {
  let info: TinyClipInfo;
  let out: string;
  beforeAll(async () => {
    info = models.get(name)!;
    out = join(root, `${name}-248`);
    const result = await stretchModel({ modelDir: info.dir, outDir: out });
    expect(result.maxProbeDiff).toBeLessThanOrEqual(1e-5);
  });

  it('rewrites the position table exactly by the Long-CLIP rule', async () => {
    const before = graphOf(await readFile(info.textPath)).initializer!.find((t) => t.name === info.positionTableName)!;
    const textPath = join(out, info.textPath.slice(info.dir.length));
    const after = graphOf(await readFile(textPath)).initializer!.find((t) => t.name === info.positionTableName)!;
    const width = Number(before.dims![1]);
    expect(after.dims!.map(Number)).toEqual([248, width]);
    const src = floats(before);
    const p = (r: number) => src.subarray(r * width, (r + 1) * width);
    const got = floats(after);
    for (let r = 0; r < 248; r++) expect(maxAbsDiff(got.subarray(r * width, (r + 1) * width), expectedRow(p, r))).toBeLessThan(1e-5);
  });

  it('leaves no tensor at the old length behind', async () => {
    const graph = graphOf(await readFile(join(out, info.textPath.slice(info.dir.length))));
    for (const t of graph.initializer!) {
      const dims = t.dims!.map(Number);
      if (t.name === info.positionTableName) continue;
      expect(dims).not.toContain(77);
      if (t.dataType === onnx.TensorProto.DataType.INT64 && dims.length <= 1) expect(ints(t)).not.toContain(77);
    }
    const ids = graph.initializer!.find((t) => /position_ids/.test(t.name ?? '') && !/vision/.test(t.name ?? ''));
    if (ids) expect(ints(ids)).toEqual(Array.from({ length: 248 }, (_, i) => i));
    const mask = graph.initializer!.find((t) => t.name === 'attn_mask');
    if (mask) {
      const m = floats(mask);
      expect(mask.dims!.map(Number)).toEqual([248, 248]);
      expect(m[0 * 248 + 1]).toBe(-Infinity);
      expect(m[247 * 248 + 247]).toBe(0);
      expect(m[100 * 248 + 101]).toBe(-Infinity);
      expect(m[101 * 248 + 100]).toBe(0);
    }
  });

  it('embeds texts of at most 20 tokens identically, and uses tokens past 77 for long texts', async () => {
    const a = await OnnxClipTextEncoder.open(info.dir);
    const b = await OnnxClipTextEncoder.open(out);
    try {
      expect(b.contextLength).toBe(248);
      for (const t of SHORT) expect(a.tokenizer.encode(t, 248).length).toBeLessThanOrEqual(20);
      const va = await a.embedTexts(SHORT);
      const vb = await b.embedTexts(SHORT);
      va.forEach((v, i) => expect(maxAbsDiff(v, vb[i])).toBeLessThanOrEqual(1e-5));

      const longIds = b.tokenizer.encode(LONG, 248);
      expect(longIds.length).toBeGreaterThan(77);
      const [full] = await b.embedTexts([LONG]);
      const [truncated] = await b.embedTokenIds([b.tokenizer.encode(LONG, 77)]);
      expect(cosine(full, truncated)).toBeLessThan(0.9999);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('updates the configs and the model identity', async () => {
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    const length = info.layout === 'hf' ? config.text_config.max_position_embeddings : config.text_cfg.context_length;
    expect(length).toBe(248);
    expect(config.ctgi_stretch).toMatchObject({ length: 248, keep: 20, from_length: 77 });
    const cli = await runCli(['model', 'info', out, '--json']);
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ contextLength: 248, stretched: true, layout: info.layout });
  });
});

describe('model stretch refusals', () => {
  async function noLeftovers(prefix: string): Promise<void> {
    expect((await readdir(root)).filter((f) => f.startsWith(prefix))).toEqual([]);
  }

  it('refuses an existing output, an impossible length and a model that is already stretched', async () => {
    const hf = models.get('hf')!;
    const r1 = await runCli(['model', 'stretch', '--model', hf.dir, '--out', hf.dir]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/already exists/);
    const r2 = await runCli(['model', 'stretch', '--model', hf.dir, '--out', join(root, 'odd'), '--length', '250']);
    expect(r2.stderr).toMatch(/--length 250 cannot be reached/);
    const r3 = await runCli(['model', 'stretch', '--model', join(root, 'hf-248'), '--out', join(root, 'twice')]);
    expect(r3.stderr).toMatch(/already takes 248 tokens/);
    for (const r of [r1, r2, r3]) {
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\bat \w+ \(/);
    }
    await noLeftovers('odd');
    await noLeftovers('twice');
  });

  it('refuses a graph with a context-length-shaped tensor it does not recognise, writing nothing', async () => {
    const src = models.get('hf')!;
    const odd = join(root, 'mystery-src');
    await cp(src.dir, odd, { recursive: true });
    const model = onnx.ModelProto.decode(await readFile(src.textPath));
    model.graph!.initializer!.push({ name: 'mystery', dims: [77, 3], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(77 * 3 * 4) });
    await writeFile(join(odd, 'onnx/text_model.onnx'), onnx.ModelProto.encode(model).finish());
    const r = await runCli(['model', 'stretch', '--model', odd, '--out', join(root, 'mystery-out')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/mystery.*\[77, 3\].*does not recognise/);
    await noLeftovers('mystery-out');
  });

  it('refuses a text graph without a positional-embedding table', async () => {
    const src = models.get('hf')!;
    const odd = join(root, 'nopos-src');
    await cp(src.dir, odd, { recursive: true });
    await cp(join(odd, 'onnx/vision_model.onnx'), join(odd, 'onnx/text_model.onnx'));
    const r = await runCli(['model', 'stretch', '--model', odd, '--out', join(root, 'nopos-out')]);
    expect(r.stderr).toMatch(/Cannot find a 77-row positional-embedding table/);
    await noLeftovers('nopos-out');
  });

  it('prints the new directory on stdout and a summary on stderr', async () => {
    const hf = models.get('hf')!;
    const out = join(root, 'cli-248');
    const r = await runCli(['model', 'stretch', '--model', hf.dir, '--out', out, '--length', '134']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${out}\n`);
    expect(r.stderr).toMatch(/77 → 134 positions \(first 20 kept, factor 2\)/);
    expect(r.stderr).toMatch(/embed identically/);
  });
});
