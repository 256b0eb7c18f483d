import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CliContext } from '../../app/cli/cli-context.js';
import { registerModelPull } from '../../app/cli/commands/model-pull.command.js';
import { buildProgram } from '../../app/cli/main.js';
import { loadConfig } from '../../src/config/config.js';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { FetchHubClient } from '../../src/models/store/hub-client.js';
import { ModelStore } from '../../src/models/store/model-store.js';
import { startFakeHub, writeRepoFiles, type FakeHub, type FakeHubOptions } from '../fakes/hub-server.js';
import { spawnCtgi } from '../helpers/cli.js';

const FAST_RETRY = { attempts: 3, baseDelayMs: 1 };
const TOKEN = 'hf_SECRETtoken_do_not_print_123';

let work: string;
let hfRepo: string;
let immichRepo: string;
let plainRepo: string;
let detectorRepo: string;

// Real-looking Hugging Face/Xenova export: full-precision graphs plus variants that must be skipped.
const HF_FILES: Record<string, string | Uint8Array> = {
  'config.json': JSON.stringify({ projection_dim: 512, text_config: { max_position_embeddings: 77 } }),
  'preprocessor_config.json': JSON.stringify({ crop_size: 224, image_mean: [0.48, 0.45, 0.4], image_std: [0.26, 0.26, 0.27] }),
  'tokenizer.json': JSON.stringify({ model: { type: 'BPE' } }),
  'tokenizer_config.json': '{}',
  'special_tokens_map.json': '{}',
  'vocab.json': JSON.stringify({ '!': 0, '"': 1 }),
  'merges.txt': '#version: 0.2\ni n\n',
  'README.md': '# a model card\n',
  '.gitattributes': '*.onnx filter=lfs\n',
  'onnx/text_model.onnx': randomBytes(300_000),
  'onnx/vision_model.onnx': randomBytes(120_000),
  'onnx/vision_model.onnx_data': randomBytes(400_000),
  'onnx/text_model_quantized.onnx': randomBytes(5_000),
  'onnx/vision_model_fp16.onnx': randomBytes(5_000),
  'onnx/model.onnx': randomBytes(5_000),
};
const HF_SELECTED = [
  'config.json',
  'merges.txt',
  'onnx/text_model.onnx',
  'onnx/vision_model.onnx',
  'onnx/vision_model.onnx_data',
  'preprocessor_config.json',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'vocab.json',
];

const IMMICH_FILES: Record<string, string | Uint8Array> = {
  'config.json': JSON.stringify({ embed_dim: 512, text_cfg: { context_length: 77 } }),
  'README.md': '# immich\n',
  'textual/model.onnx': randomBytes(50_000),
  'textual/tokenizer.json': '{}',
  'textual/tokenizer_config.json': '{}',
  'textual/special_tokens_map.json': '{}',
  'textual/vocab.json': '{}',
  'textual/merges.txt': '#version: 0.2\n',
  'textual/fp16/model.armnn': randomBytes(1_000),
  'textual/rknpu/rk3588/model.rknn': randomBytes(1_000),
  'visual/model.onnx': randomBytes(60_000),
  'visual/preprocess_cfg.json': JSON.stringify({ size: [224], mean: [0.5], std: [0.5], interpolation: 'bicubic', resize_mode: 'shortest' }),
  'visual/fp16/model.armnn': randomBytes(1_000),
};
const IMMICH_SELECTED = [
  'config.json',
  'textual/merges.txt',
  'textual/model.onnx',
  'textual/special_tokens_map.json',
  'textual/tokenizer.json',
  'textual/tokenizer_config.json',
  'textual/vocab.json',
  'visual/model.onnx',
  'visual/preprocess_cfg.json',
];

// An Ultralytics export repository holding several sizes; the `yolov8n` alias pulls only its nano graph.
const DETECTOR_FILES: Record<string, string | Uint8Array> = {
  '.gitattributes': '*.onnx filter=lfs\n',
  'README.md': '# yolov8\n',
  'yolov8n.onnx': randomBytes(150_000),
  'yolov8s.onnx': randomBytes(20_000),
  'yolov8x.onnx': randomBytes(20_000),
};

const REPOS = (): FakeHubOptions['repos'] => ({
  'Xenova/clip-vit-base-patch16': hfRepo,
  'immich-app/ViT-B-16__openai': immichRepo,
  'someone/not-clip': plainRepo,
  'cabelo/yolov8': detectorRepo,
});

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ctgi-pull-'));
  hfRepo = await writeRepoFiles(join(work, 'hub', 'hf'), HF_FILES);
  immichRepo = await writeRepoFiles(join(work, 'hub', 'immich'), IMMICH_FILES);
  plainRepo = await writeRepoFiles(join(work, 'hub', 'plain'), { 'README.md': 'x', 'pytorch_model.bin': randomBytes(100) });
  detectorRepo = await writeRepoFiles(join(work, 'hub', 'yolov8'), DETECTOR_FILES);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

let counter = 0;
async function setup(options: Partial<FakeHubOptions> = {}, token?: string): Promise<{ hub: FakeHub; store: ModelStore; modelsDir: string; home: string }> {
  const hub = await startFakeHub({ repos: REPOS(), pageSize: 4, lfsThreshold: 100_000, ...options });
  cleanups.push(() => hub.close());
  const home = join(work, `home-${++counter}`);
  const modelsDir = join(home, 'models');
  const store = new ModelStore({ modelsDir, hub: new FetchHubClient({ endpoint: hub.url, token }), retry: FAST_RETRY });
  return { hub, store, modelsDir, home };
}

/** Every file under `dir`, relative, `/`-separated, sorted. */
async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

const sha256 = (b: string | Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function expectSameBytes(dir: string, files: Record<string, string | Uint8Array>, paths: string[]): Promise<void> {
  for (const p of paths) expect(sha256(await readFile(join(dir, p))), p).toBe(sha256(files[p]!));
}

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected the promise to reject');
}

describe('model pull (store against the fake hub)', () => {
  it('pulls the person-detector alias: only its one graph, into a folder `index build --detector` takes', async () => {
    const { hub, store, modelsDir } = await setup();
    const result = await store.pull('yolov8n');
    expect(result.dir).toBe(join(modelsDir, 'cabelo', 'yolov8'));
    expect(result.layout).toBe('detector');
    expect(await listTree(result.dir)).toEqual(['ctgi-model.json', 'yolov8n.onnx']);
    await expectSameBytes(result.dir, DETECTOR_FILES, ['yolov8n.onnx']);
    expect(hub.requests.some((r) => r.file === 'yolov8s.onnx' || r.file === 'yolov8x.onnx')).toBe(false);
    expect((await store.pull('yolov8n')).upToDate).toBe(true);
  });

  it('refuses a detector alias whose repository no longer has its file, naming it', async () => {
    const gone = await writeRepoFiles(join(work, 'hub', 'yolov8-moved'), { 'README.md': 'moved', 'yolov8s.onnx': randomBytes(1000) });
    const { store } = await setup({ repos: { ...REPOS(), 'cabelo/yolov8': gone } });
    const err = await rejection(store.pull('yolov8n'));
    expect(isCtgiError(err, 'MODEL_INVALID')).toBe(true);
    expect(err.message).toContain('cabelo/yolov8 has no yolov8n.onnx');
  });

  it('resolves an alias, follows tree pagination and pulls exactly the Xenova files', async () => {
    const { hub, store, modelsDir } = await setup();
    const result = await store.pull('clip-vit-b16');
    expect(result.dir).toBe(join(modelsDir, 'Xenova', 'clip-vit-base-patch16'));
    expect(result.layout).toBe('hf');
    expect(result.upToDate).toBe(false);
    expect(await listTree(result.dir)).toEqual([...HF_SELECTED, 'ctgi-model.json'].sort());
    await expectSameBytes(result.dir, HF_FILES, HF_SELECTED);

    // 15 files + 1 directory at 4 entries a page: the listing must have followed Link headers.
    const treePages = hub.requests.filter((r) => r.path.includes('/tree/'));
    expect(treePages.length).toBe(4);
    expect(hub.requests.some((r) => r.file?.includes('quantized') || r.file?.includes('fp16') || r.file === 'onnx/model.onnx')).toBe(false);
    // LFS files came through the 302 to the "CDN".
    expect(hub.requests.some((r) => r.path.startsWith('cdn-lfs/') && r.file === 'onnx/text_model.onnx')).toBe(true);

    const manifest = JSON.parse(await readFile(join(result.dir, 'ctgi-model.json'), 'utf8'));
    expect(manifest).toMatchObject({ repo: 'Xenova/clip-vit-base-patch16', revision: 'main', commit: 'c0ffee0000000000000000000000000000000001', layout: 'hf' });
    const text = manifest.files.find((f: { path: string }) => f.path === 'onnx/text_model.onnx');
    expect(text).toEqual({ path: 'onnx/text_model.onnx', size: 300_000, sha256: sha256(HF_FILES['onnx/text_model.onnx']!) });
    expect(manifest.files.map((f: { path: string }) => f.path).sort()).toEqual(HF_SELECTED);
  });

  it('pulls the immich layout without ARM NN / RKNN variants', async () => {
    const { hub, store, modelsDir } = await setup();
    const result = await store.pull('immich-clip-vit-b16');
    expect(result.dir).toBe(join(modelsDir, 'immich-app', 'ViT-B-16__openai'));
    expect(result.layout).toBe('immich');
    expect(await listTree(result.dir)).toEqual([...IMMICH_SELECTED, 'ctgi-model.json'].sort());
    await expectSameBytes(result.dir, IMMICH_FILES, IMMICH_SELECTED);
    expect(hub.requests.some((r) => r.file?.endsWith('.armnn') || r.file?.includes('rknpu'))).toBe(false);
  });

  it('a second pull is a no-op that does not touch the network', async () => {
    const { hub, store } = await setup();
    const first = await store.pull('Xenova/clip-vit-base-patch16');
    const seen = hub.requests.length;
    const second = await store.pull('clip-vit-b16');
    expect(second).toMatchObject({ dir: first.dir, upToDate: true, downloaded: [] });
    expect(hub.requests.length).toBe(seen);
  });

  it('resumes a dropped connection with a Range request and ends byte-identical', async () => {
    const { hub, store } = await setup();
    hub.faults.dropAfter.set('onnx/text_model.onnx', 100_000);
    const result = await store.pull('clip-vit-b16');
    await expectSameBytes(result.dir, HF_FILES, ['onnx/text_model.onnx']);
    const gets = hub.requests.filter((r) => r.path.startsWith('cdn-lfs/') && r.file === 'onnx/text_model.onnx');
    expect(gets.length).toBe(2);
    expect(gets[0]!.range).toBeUndefined();
    const from = Number(/^bytes=(\d+)-$/.exec(gets[1]!.range ?? '')?.[1]);
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThanOrEqual(100_000);
  });

  it('an interrupted pull resumes on the next run, skipping files already complete', async () => {
    const { hub, modelsDir } = await setup();
    const once = new ModelStore({ modelsDir, hub: new FetchHubClient({ endpoint: hub.url }), retry: { attempts: 1, baseDelayMs: 1 } });
    hub.faults.dropAfter.set('onnx/vision_model.onnx_data', 150_000);
    const err = await rejection(once.pull('clip-vit-b16'));
    expect(isCtgiError(err, 'DOWNLOAD_FAILED')).toBe(true);
    expect(err.message).toContain('onnx/vision_model.onnx_data');
    const dir = join(modelsDir, 'Xenova', 'clip-vit-base-patch16');
    expect(existsSync(join(dir, 'ctgi-model.json'))).toBe(false);
    expect(existsSync(join(dir, 'onnx/vision_model.onnx_data.part'))).toBe(true);

    const before = hub.requests.length;
    const result = await once.pull('clip-vit-b16');
    const later = hub.requests.slice(before);
    const data = later.filter((r) => r.file === 'onnx/vision_model.onnx_data' && r.path.startsWith('cdn-lfs/'));
    expect(data.length).toBe(1);
    expect(data[0]!.range).toMatch(/^bytes=[1-9]\d*-$/);
    // Files completed by the first run (sorted before the failing one) were not fetched again.
    expect(later.some((r) => r.file === 'config.json' || r.file === 'onnx/text_model.onnx')).toBe(false);
    await expectSameBytes(result.dir, HF_FILES, HF_SELECTED);
    expect(await listTree(result.dir)).toEqual([...HF_SELECTED, 'ctgi-model.json'].sort());
  });

  it('restarts from zero when the server ignores the Range header', async () => {
    const { hub, store } = await setup();
    hub.faults.dropAfter.set('onnx/text_model.onnx', 100_000);
    hub.faults.ignoreRange = true;
    const result = await store.pull('clip-vit-b16');
    await expectSameBytes(result.dir, HF_FILES, ['onnx/text_model.onnx']);
  });

  it('retries HTTP 500 on the listing and on a file', async () => {
    const { hub, store } = await setup();
    hub.faults.fail500.set('tree', 1);
    hub.faults.fail500.set('onnx/vision_model.onnx', 2);
    const result = await store.pull('clip-vit-b16');
    await expectSameBytes(result.dir, HF_FILES, HF_SELECTED);
    expect(hub.requests.filter((r) => r.path.startsWith('cdn-lfs/') && r.file === 'onnx/vision_model.onnx').length).toBe(3);
  });

  it('gives up after the retry budget with DOWNLOAD_FAILED', async () => {
    const { hub, store } = await setup();
    hub.faults.fail500.set('config.json', 10);
    const err = await rejection(store.pull('clip-vit-b16'));
    expect(err.code).toBe('DOWNLOAD_FAILED');
    expect(err.message).toMatch(/HTTP 500.*config\.json.*3 attempts/);
  });

  it('aborts and resumes a stalled transfer', async () => {
    const { hub, modelsDir } = await setup();
    const store = new ModelStore({ modelsDir, hub: new FetchHubClient({ endpoint: hub.url }), retry: FAST_RETRY, stallTimeoutMs: 300 });
    hub.faults.stallAfter.set('onnx/text_model.onnx', 50_000);
    const result = await store.pull('clip-vit-b16');
    await expectSameBytes(result.dir, HF_FILES, ['onnx/text_model.onnx']);
    const gets = hub.requests.filter((r) => r.path.startsWith('cdn-lfs/') && r.file === 'onnx/text_model.onnx');
    expect(gets[1]?.range).toMatch(/^bytes=[1-9]\d*-$/);
  });

  it('refuses a file of the wrong size, naming it and both sizes', async () => {
    const { hub, store, modelsDir } = await setup();
    hub.faults.wrongSize.add('onnx/vision_model.onnx');
    const err = await rejection(store.pull('clip-vit-b16'));
    expect(err.code).toBe('DOWNLOAD_FAILED');
    expect(err.message).toContain('onnx/vision_model.onnx');
    expect(err.message).toContain('120000');
    expect(err.message).toContain('119999');
    const dir = join(modelsDir, 'Xenova', 'clip-vit-base-patch16');
    expect(existsSync(join(dir, 'onnx/vision_model.onnx.part'))).toBe(false);
    expect(existsSync(join(dir, 'onnx/vision_model.onnx'))).toBe(false);
    expect(existsSync(join(dir, 'ctgi-model.json'))).toBe(false);
  });

  it('refuses a file whose sha256 does not match the listing', async () => {
    const { hub, store, modelsDir } = await setup();
    hub.faults.wrongHash.add('onnx/text_model.onnx');
    const err = await rejection(store.pull('clip-vit-b16'));
    expect(err.code).toBe('DOWNLOAD_FAILED');
    expect(err.message).toContain('onnx/text_model.onnx');
    expect(err.message).toContain(sha256(HF_FILES['onnx/text_model.onnx']!));
    const dir = join(modelsDir, 'Xenova', 'clip-vit-base-patch16');
    expect(existsSync(join(dir, 'onnx/text_model.onnx'))).toBe(false);
    expect(existsSync(join(dir, 'onnx/text_model.onnx.part'))).toBe(false);
  });

  it('404 → NOT_FOUND for an unknown repository or revision', async () => {
    const { hub, store } = await setup();
    const err = await rejection(store.pull('nobody/nothing'));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toContain('nobody/nothing');
    expect(err.message).toContain(hub.url);
    const rev = await rejection(store.pull('clip-vit-b16', { revision: 'v9' }));
    expect(rev.code).toBe('NOT_FOUND');
    expect(rev.message).toContain('revision v9');
  });

  it('encodes a revision containing "/"', async () => {
    const { hub, store } = await setup({ revisions: ['main', 'refs/pr/1'] });
    const result = await store.pull('clip-vit-b16', { revision: 'refs/pr/1' });
    expect(result.revision).toBe('refs/pr/1');
    expect(hub.requests.some((r) => r.rawUrl.includes('/tree/refs%2Fpr%2F1?'))).toBe(true);
  });

  it('a repository in neither layout → MODEL_INVALID naming the expected files', async () => {
    const { store } = await setup();
    const err = await rejection(store.pull('someone/not-clip'));
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.message).toContain('onnx/text_model.onnx');
    expect(err.message).toContain('textual/model.onnx');
  });

  it('401 → UNAUTHORIZED mentioning HF_TOKEN but never the token; the right token is sent as Bearer', async () => {
    const { hub, modelsDir } = await setup({ token: TOKEN });
    const none = new ModelStore({ modelsDir, hub: new FetchHubClient({ endpoint: hub.url }), retry: FAST_RETRY });
    const missing = await rejection(none.pull('clip-vit-b16'));
    expect(missing.code).toBe('UNAUTHORIZED');
    expect(missing.message).toContain('HF_TOKEN');

    const wrongToken = 'hf_WRONGtoken_also_secret_456';
    const wrong = new ModelStore({ modelsDir, hub: new FetchHubClient({ endpoint: hub.url, token: wrongToken }), retry: FAST_RETRY });
    const bad = await rejection(wrong.pull('clip-vit-b16'));
    expect(bad.code).toBe('UNAUTHORIZED');
    expect(bad.message).toContain('HF_TOKEN');
    expect(bad.message).not.toContain(wrongToken);
    expect(JSON.stringify(bad, Object.getOwnPropertyNames(bad))).not.toContain(wrongToken);

    const right = new ModelStore({ modelsDir, hub: new FetchHubClient({ endpoint: hub.url, token: TOKEN }), retry: FAST_RETRY });
    const before = hub.requests.length;
    const result = await right.pull('clip-vit-b16');
    await expectSameBytes(result.dir, HF_FILES, HF_SELECTED);
    const authorised = hub.requests.slice(before).filter((r) => !r.path.startsWith('cdn-lfs/'));
    expect(authorised.length).toBeGreaterThan(5);
    expect(authorised.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('refuses to run beside a live pull of the same model and takes over a dead one\'s lock', async () => {
    const { store, modelsDir } = await setup();
    const dir = join(modelsDir, 'Xenova', 'clip-vit-base-patch16');
    await writeRepoFiles(dir, { '.ctgi-pull.lock': String(process.pid) });
    const busy = await rejection(store.pull('clip-vit-b16'));
    expect(busy.code).toBe('BAD_INPUT');
    expect(busy.message).toContain(`process ${process.pid}`);
    // Linux pids never reach this value, so the holder is certainly gone.
    await writeRepoFiles(dir, { '.ctgi-pull.lock': '999999999' });
    const result = await store.pull('clip-vit-b16');
    await expectSameBytes(result.dir, HF_FILES, HF_SELECTED);
    expect(existsSync(join(dir, '.ctgi-pull.lock'))).toBe(false);
  });

  it('rejects unsafe repository ids before any request', async () => {
    const { hub, store } = await setup();
    for (const bad of ['../etc', 'a/../b', '/abs/path', 'a/b/c', 'clip-vit-b99']) {
      const err = await rejection(store.pull(bad));
      expect(err.code, bad).toBe('BAD_INPUT');
      expect(err.message).toContain('clip-vit-b16');
    }
    expect(hub.requests.length).toBe(0);
  });
});

/** Collects what a stream receives. */
function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** Runs `ctgi model pull ...` in process with a config parsed from `env` (HF_ENDPOINT etc.). */
async function runPull(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = sink();
  const err = sink();
  const ctx: CliContext = { config: () => loadConfig(env), stdin: new PassThrough(), stdout: out.stream, stderr: err.stream };
  const program = new Command('ctgi').exitOverride();
  registerModelPull(program.command('model'), ctx, { retry: FAST_RETRY });
  let code = 0;
  try {
    await program.parseAsync(['model', 'pull', ...args], { from: 'user' });
  } catch (e) {
    code = 1;
    err.stream.write(`ctgi: ${(e as Error).message}\n`);
  }
  return { code, stdout: out.text(), stderr: err.text() };
}

/** True once the lead has wired `registerModelPull` into the real `model` command group. */
function pullIsWired(): boolean {
  const ctx: CliContext = { config: () => loadConfig({}), stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() };
  const model = buildProgram(ctx).commands.find((c) => c.name() === 'model');
  return model?.commands.some((c) => c.name() === 'pull') ?? false;
}

describe('ctgi model pull (command)', () => {
  it('prints exactly the directory on stdout, progress on stderr, and is a no-op the second time', async () => {
    const { hub, home } = await setup();
    const env = { CTGI_HOME: home, HF_ENDPOINT: hub.url };
    const first = await runPull(['clip-vit-b16'], env);
    const dir = join(home, 'models', 'Xenova', 'clip-vit-base-patch16');
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`${dir}\n`);
    expect(first.stderr).toContain('Pulling clip-vit-b16');
    expect(first.stderr).toMatch(/Pulled Xenova\/clip-vit-base-patch16 \(revision main, commit c0ffee000000\)/);
    // Not a TTY: plain lines, no carriage-return redraws.
    expect(first.stderr).not.toContain('\r');
    await expectSameBytes(dir, HF_FILES, HF_SELECTED);

    const second = await runPull(['clip-vit-b16'], env);
    expect(second.stdout).toBe(`${dir}\n`);
    expect(second.stderr).toContain('already up to date');
    expect(second.stderr).not.toContain('Pulling');
  });

  it('honours --revision and reports errors without the token', async () => {
    const { hub, home } = await setup({ token: TOKEN });
    const denied = await runPull(['clip-vit-b16'], { CTGI_HOME: home, HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_WRONG_secret_789' });
    expect(denied.code).toBe(1);
    expect(denied.stdout).toBe('');
    expect(denied.stderr).toContain('HF_TOKEN');
    expect(denied.stderr).not.toContain('hf_WRONG_secret_789');
    const missingRev = await runPull(['clip-vit-b16', '--revision', 'nope'], { CTGI_HOME: home, HF_ENDPOINT: hub.url, HF_TOKEN: TOKEN });
    expect(missingRev.code).toBe(1);
    expect(missingRev.stderr).toContain('revision nope');
  });

  it.runIf(pullIsWired())('works as a spawned `node bin/ctgi.js model pull` with HF_ENDPOINT from the environment', async () => {
    const { hub, home } = await setup({ token: TOKEN });
    const env = { CTGI_HOME: home, HF_ENDPOINT: hub.url };
    const ok = await spawnCtgi(['model', 'pull', 'immich-clip-vit-b16'], { ...env, HF_TOKEN: TOKEN });
    expect(ok.stderr).not.toContain(TOKEN);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(`${join(home, 'models', 'immich-app', 'ViT-B-16__openai')}\n`);
    const denied = await spawnCtgi(['model', 'pull', 'clip-vit-b16'], { ...env, HF_TOKEN: 'hf_WRONG_spawned_000' });
    expect(denied.code).toBe(1);
    expect(denied.stdout).toBe('');
    expect(denied.stderr).toMatch(/^ctgi: .*HF_TOKEN/);
    expect(denied.stderr).not.toContain('hf_WRONG_spawned_000');
  });
});
