import { spawn } from 'node:child_process';
import { appendFile, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxClipImageEncoder } from '../../src/models/clip-image-encoder.js';
import { OnnxClipTextEncoder } from '../../src/models/clip-text-encoder.js';
import { readModelDir } from '../../src/models/model-dir.js';
import { exportAdaptedModel } from '../../src/train/adapter-export.js';
import { AdapterTrainer } from '../../src/train/adapter-trainer.js';
import { initialWeights, type AdapterWeights } from '../../src/train/adapter-weights.js';
import { loadTf } from '../../src/train/tf-backend.js';
import { embeddingCacheDir, trainAdapter } from '../../src/train/train-adapter.js';
import { writeTinyClipModel } from '../fixtures/tiny-clip.js';
import { writeTinyDataset, type TinyDatasetInfo } from '../fixtures/tiny-dataset.js';
import { runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { maxAbsDiff } from '../helpers/vectors.js';

const TEXTS = ['a man in a red coat', 'woman with a black bag and blue jeans', 'x'];

let root: string;
let cleanup: () => Promise<void>;
let base: string;
let data: TinyDatasetInfo;

beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir('train'));
  base = join(root, 'base');
  await writeTinyClipModel(base, { layout: 'hf', seed: 21 });
  data = await writeTinyDataset(join(root, 'data'), { format: 'cuhk-pedes', identities: 4, extraTrainIdentities: 8, split: 'test' });
}, 120_000);
afterAll(() => cleanup());

async function embedBoth(dir: string): Promise<{ text: Float32Array[]; image: Float32Array[] }> {
  const t = await OnnxClipTextEncoder.open(dir);
  const i = await OnnxClipImageEncoder.open(dir);
  try {
    return { text: await t.embedTexts(TEXTS), image: await i.embedImageFiles(data.imagePaths) };
  } finally {
    await t.close();
    await i.close();
  }
}

function maxDiffAll(a: Float32Array[], b: Float32Array[]): number {
  return Math.max(...a.map((v, k) => maxAbsDiff(v, b[k])));
}

const runOptions = (out: string, extra: Partial<Parameters<typeof trainAdapter>[0]> = {}) => ({
  modelDir: base,
  datasetFile: data.datasetPath,
  imagesRoot: data.imagesRoot,
  outDir: out,
  split: 'train',
  valSplit: 'test',
  batchSize: 8,
  lr: 1e-2,
  ...extra,
});

describe('ctgi train — the adapted model directory', () => {
  it('at epoch 0 the exported model embeds exactly like the base model', async () => {
    const out = join(root, 'epoch0');
    const result = await trainAdapter(runOptions(out, { epochs: 0 }));
    expect(result.loop!.bestEpoch).toBe(0);
    const before = await embedBoth(base);
    const after = await embedBoth(out);
    const diff = Math.max(maxDiffAll(before.text, after.text), maxDiffAll(before.image, after.image));
    expect(diff).toBeLessThanOrEqual(1e-6);
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(config.ctgi_train.base_model_id).toBe((await readModelDir(base)).modelId);
    expect(config.ctgi_train.base_model_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(config.ctgi_train.run.dataset_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await readModelDir(out)).modelId).toBe(`${(await readModelDir(base)).modelId}+adapter-${config.ctgi_train.adapter.weights_sha256.slice(0, 12)}`);
  });

  it('the exported ONNX graphs give the trainer’s forward pass (≤ 1e-5) for non-identity weights, immich layout too', async () => {
    for (const layout of ['hf', 'immich'] as const) {
      const dir = join(root, `export-${layout}`);
      const model = await writeTinyClipModel(join(dir, 'base'), { layout, seed: 31 });
      const start = initialWeights(model.dim, 4, ['image', 'text'], 7);
      const weights: AdapterWeights = { ...start, sides: {} };
      for (const side of ['image', 'text'] as const) {
        const s = start.sides[side]!;
        weights.sides[side] = { down: s.down, up: Float32Array.from(s.up, (_, k) => Math.sin(k + (side === 'text' ? 1 : 2)) * 0.5) };
      }
      const baseVectors = await embedBoth(model.dir);
      const tf = await loadTf();
      const trainer = new AdapterTrainer(tf, { dim: model.dim, rank: 4 }, weights);
      const forward = (side: 'text' | 'image', vs: Float32Array[]) => {
        const packed = new Float32Array(vs.length * model.dim);
        vs.forEach((v, k) => packed.set(v, k * model.dim));
        const flat = trainer.embed(side, packed, vs.length);
        return vs.map((_, k) => flat.slice(k * model.dim, (k + 1) * model.dim));
      };
      const expected = { text: forward('text', baseVectors.text), image: forward('image', baseVectors.image) };
      trainer.dispose();
      const out = join(dir, 'adapted');
      const result = await exportAdaptedModel({
        base: await readModelDir(model.dir),
        baseSha256: '0'.repeat(64),
        weights,
        outDir: out,
        force: false,
        run: {},
        probes: { texts: TEXTS, textVectors: expected.text, imagePaths: data.imagePaths, imageVectors: expected.image },
      });
      expect(result.maxDiff).toBeLessThanOrEqual(1e-5);
      const got = await embedBoth(out);
      expect(maxDiffAll(got.text, expected.text)).toBeLessThanOrEqual(1e-5);
      expect(maxDiffAll(got.image, expected.image)).toBeLessThanOrEqual(1e-5);
      // The adapter really changes the embeddings (the test would pass trivially otherwise).
      expect(maxDiffAll(got.text, baseVectors.text)).toBeGreaterThan(1e-3);
      // A second adapter stacks on an adapted graph (its names are numbered, not clashing).
      const again = await exportAdaptedModel({
        base: await readModelDir(out),
        baseSha256: '0'.repeat(64),
        weights: { ...start },
        outDir: join(dir, 'again'),
        force: false,
        run: {},
        probes: { texts: TEXTS, textVectors: expected.text, imagePaths: data.imagePaths, imageVectors: expected.image },
      });
      expect(again.maxDiff).toBeLessThanOrEqual(1e-5);
    }
  });

  it('is deterministic per seed, reuses its embedding cache, and Ctrl-C keeps the best epoch so far', async () => {
    const a = await trainAdapter(runOptions(join(root, 'det-a'), { epochs: 2, seed: 5 }));
    const b = await trainAdapter(runOptions(join(root, 'det-b'), { epochs: 2, seed: 5 }));
    const cfg = async (d: string) => JSON.parse(await readFile(join(d, 'config.json'), 'utf8')).ctgi_train;
    expect((await cfg(join(root, 'det-a'))).adapter.weights_sha256).toBe((await cfg(join(root, 'det-b'))).adapter.weights_sha256);
    expect(a.loop!.records).toEqual(b.loop!.records);

    const events: Array<{ kind: string; done: number; total: number }> = [];
    const again = await trainAdapter(runOptions(join(root, 'det-a'), { epochs: 1, seed: 5, force: true, onEmbed: (p) => events.push(p) }));
    expect(again.exported).toBeDefined();
    expect(events.every((e) => e.done === e.total)).toBe(true);

    const controller = new AbortController();
    const stopped = await trainAdapter(
      runOptions(join(root, 'interrupted'), { epochs: 5, seed: 5, signal: controller.signal, onStep: (s) => s.epoch === 2 && controller.abort() }),
    );
    expect(stopped.loop!.stoppedBy).toBe('interrupted');
    expect(stopped.loop!.records.map((r) => r.epoch)).toEqual([0, 1]);
    expect(await stat(join(root, 'interrupted', 'config.json')).then(() => true)).toBe(true);
  });

  it('the embedding cache survives a run killed mid-write', async () => {
    const out = join(root, 'torn');
    await trainAdapter(runOptions(out, { epochs: 0 }));
    const cache = embeddingCacheDir(out);
    const size = (await stat(join(cache, 'images.f32'))).size;
    await appendFile(join(cache, 'images.f32'), new Uint8Array(10));
    await appendFile(join(cache, 'captions.keys.jsonl'), '"a torn ke');
    const events: Array<{ kind: string; done: number; total: number }> = [];
    await trainAdapter(runOptions(out, { epochs: 0, force: true, onEmbed: (p) => events.push(p) }));
    expect(events[0]).toMatchObject({ kind: 'images' });
    expect(events.every((e) => e.done === e.total)).toBe(true);
    expect((await stat(join(cache, 'images.f32'))).size).toBe(size);
  });
});

describe('ctgi train — the command', () => {
  it('trains --text-only; an index built with the base model accepts the text-adapted model and refuses a fully adapted one', async () => {
    const index = join(root, 'index');
    const built = await runCli(['index', 'build', '--model', base, '--index', index, '--dataset', data.datasetPath, '--images-root', data.imagesRoot, '--split', 'test']);
    expect(built.code, built.stderr).toBe(0);
    const textOnly = join(root, 'text-only');
    const trained = await runCli(['train', '--model', base, '--dataset', data.datasetPath, '--images-root', data.imagesRoot, '--out', textOnly, '--val-split', 'test', '--epochs', '2', '--batch-size', '8', '--text-only']);
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout).toMatch(/Adapted model written to/);
    expect(trained.stderr).toMatch(/epoch {3}0 {2}base model/);
    expect((await readModelDir(textOnly)).modelId).toMatch(/^ctgi-test\/tiny-clip-hf\+text-adapter-[0-9a-f]{12}$/);
    const ok = await runCli(['search', '--index', index, '--model', textOnly, '--json', 'a man in a red coat']);
    expect(ok.code, ok.stderr).toBe(0);

    const full = join(root, 'epoch0');
    const refused = await runCli(['search', '--index', index, '--model', full, 'a man in a red coat']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/built with ctgi-test\/tiny-clip-hf .*model given is ctgi-test\/tiny-clip-hf\+adapter-/);
  });

  it('Ctrl-C stops a real process after the current step, writes the best epoch so far and exits 130', async () => {
    const out = join(root, 'sigint');
    const child = spawn(
      process.execPath,
      [resolve(__dirname, '../../bin/ctgi.js'), 'train', '--model', base, '--dataset', data.datasetPath, '--images-root', data.imagesRoot, '--out', out, '--val-split', 'test', '--epochs', '1000', '--patience', '1000', '--batch-size', '8'],
      { env: { PATH: process.env.PATH ?? '', CTGI_HOME: join(root, 'home') }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (/epoch {3}2 {2}loss/.test(stderr) && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/Stopping after this step/);
    expect(stdout).toMatch(/interrupted: kept the best epoch so far/);
    expect(stdout).toContain(`Adapted model written to ${out}`);
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(config.ctgi_train.run.stopped_by).toBe('interrupted');
  }, 120_000);

  describe('bad input: a sentence, and nothing written', () => {
    const train = (dataset: string, out: string, ...extra: string[]) =>
      runCli(['train', '--model', base, '--dataset', dataset, '--images-root', data.imagesRoot, '--out', out, '--epochs', '1', ...extra]);
    const entries = async () => JSON.parse(await readFile(data.datasetPath, 'utf8')) as Array<Record<string, unknown>>;
    const expectNothing = async (out: string) => {
      expect(await stat(out).then(() => true, () => false)).toBe(false);
      expect((await readdir(root)).filter((f) => f.startsWith(`${out.split('/').pop()}.partial`))).toEqual([]);
    };

    it('refuses an existing --out without --force', async () => {
      const r = await train(data.datasetPath, join(root, 'epoch0'), '--val-split', 'test');
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/already exists; choose a new --out directory or add --force/);
    });

    it('refuses captions whose image is missing', async () => {
      const file = join(root, 'missing.json');
      const list = await entries();
      list[0].file_path = 'nowhere/ghost.jpg';
      await writeFile(file, JSON.stringify(list));
      const out = join(root, 'out-missing');
      const r = await train(file, out, '--val-split', 'test');
      expect(r.stderr).toMatch(/1 captioned image\(s\) of missing\.json are not under .*nowhere\/ghost\.jpg.*check --images-root/);
      await expectNothing(out);
    });

    it('refuses images without captions', async () => {
      const file = join(root, 'uncaptioned.json');
      const list = await entries();
      list[1].captions = [];
      await writeFile(file, JSON.stringify(list));
      const out = join(root, 'out-uncaptioned');
      const r = await train(file, out, '--val-split', 'test');
      expect(r.stderr).toMatch(/has 1 image\(s\) without captions \(entry 1: "captions" is empty\)/);
      await expectNothing(out);
    });

    it('refuses a split with one identity', async () => {
      const file = join(root, 'one-person.json');
      const list = (await entries()).map((e) => (e.split === 'train' ? { ...e, id: 99 } : e));
      await writeFile(file, JSON.stringify(list));
      const out = join(root, 'out-one');
      const r = await train(file, out, '--val-split', 'test');
      expect(r.stderr).toMatch(/Split "train" has only one person/);
      await expectNothing(out);
    });

    it('refuses an empty dataset', async () => {
      const file = join(root, 'empty', 'reid_raw.json');
      await rm(join(root, 'empty'), { recursive: true, force: true });
      await import('node:fs/promises').then((fs) => fs.mkdir(join(root, 'empty')));
      await writeFile(file, '[]');
      const out = join(root, 'out-empty');
      const r = await train(file, out);
      expect(r.stderr).toMatch(/empty array/);
      await expectNothing(out);
    });
  });
});
