import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../app/cli/main.js';
import { buildTinyVocab, referenceBpe, referenceByteSymbols, writeTinyVocabFiles, type TinyVocab } from '../fixtures/tiny-vocab.js';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(argv: string[], stdin: string): Promise<Run> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c.toString()));
  err.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await main(argv, { stdin: Readable.from([stdin]), stdout: out, stderr: err });
  return { code, stdout, stderr };
}

/** Reference ids for lower-case ASCII words separated by single spaces. */
function ref(text: string, v: TinyVocab, L = 77): number[] {
  const ids = text.split(' ').flatMap((w) => referenceBpe(referenceByteSymbols(w), v.merges).map((t) => v.encoder.get(t) as number));
  const full = [v.sot, ...ids, v.eot];
  return full.length <= L ? full : [...full.slice(0, L - 1), v.eot];
}

function expectOneSentenceError(r: Run, mention: string): void {
  expect(r.code).not.toBe(0);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^ctgi: .+\.$/);
  expect(lines[0]).toContain(mention);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('ctgi tokenize', () => {
  let dir: string;
  const v = buildTinyVocab();
  const texts = ['a man in a red jacket', 'the woman wears black boots', ''];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ctgi-tokenize-cli-'));
    await writeTinyVocabFiles(dir, v, ['vocab.json+merges.txt', 'tokenizer.json', 'bpe.txt.gz']);
    // An immich-style model: tokenizer in textual/, context length in config.json.
    await writeTinyVocabFiles(join(dir, 'immich', 'textual'), v, ['tokenizer.json']);
    await writeFile(join(dir, 'immich', 'config.json'), JSON.stringify({ embed_dim: 8, text_cfg: { context_length: 6 } }));
    await mkdir(join(dir, 'hf'));
    await writeTinyVocabFiles(join(dir, 'hf'), v, ['vocab.json+merges.txt']);
    await writeFile(join(dir, 'hf', 'config.json'), JSON.stringify({ text_config: { max_position_embeddings: 5 } }));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prints one JSON array of id arrays for --vocab', async () => {
    const r = await run(['tokenize', '--vocab', join(dir, 'bpe_simple_vocab_tiny.txt.gz')], JSON.stringify(texts));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toEqual(texts.map((t) => (t === '' ? [v.sot, v.eot] : ref(t, v))));
  });

  it('truncates with --context-length', async () => {
    const r = await run(['tokenize', '--context-length', '4', '--vocab', join(dir, 'tokenizer.json')], JSON.stringify(texts.slice(0, 2)));
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as number[][];
    expect(out).toEqual(texts.slice(0, 2).map((t) => ref(t, v, 4)));
    for (const ids of out) expect([ids.length, ids[3]]).toEqual([4, v.eot]);
  });

  it("uses the model's context length with --model (immich and Hugging Face configs)", async () => {
    const immich = JSON.parse((await run(['tokenize', '--model', join(dir, 'immich')], JSON.stringify(texts))).stdout) as number[][];
    expect(immich.map((ids) => ids.length)).toEqual([6, 6, 2]);
    expect(immich[0]).toEqual(ref(texts[0], v, 6));
    const hf = JSON.parse((await run(['tokenize', '--model', join(dir, 'hf')], JSON.stringify(texts))).stdout) as number[][];
    expect(hf[0]).toEqual(ref(texts[0], v, 5));
    const explicit = JSON.parse((await run(['tokenize', '--model', join(dir, 'hf'), '--context-length', '77'], JSON.stringify(texts))).stdout) as number[][];
    expect(explicit[0]).toEqual(ref(texts[0], v));
    // A directory with no config.json falls back to 77.
    const plain = JSON.parse((await run(['tokenize', '--model', dir], JSON.stringify(texts))).stdout) as number[][];
    expect(plain[1]).toEqual(ref(texts[1], v));
  });

  it('fails with one sentence on bad input', async () => {
    const vocab = join(dir, 'tokenizer.json');
    expectOneSentenceError(await run(['tokenize', '--vocab', vocab], 'not json'), 'not valid JSON');
    expectOneSentenceError(await run(['tokenize', '--vocab', vocab], '{"a": 1}'), 'JSON array of strings');
    expectOneSentenceError(await run(['tokenize', '--vocab', vocab], '["ok", 3]'), 'Item 1');
    expectOneSentenceError(await run(['tokenize', '--vocab', join(dir, 'missing.txt.gz')], '["a"]'), 'missing.txt.gz');
    expectOneSentenceError(await run(['tokenize', '--vocab', vocab, '--model', dir], '["a"]'), 'exactly one of --model');
    expectOneSentenceError(await run(['tokenize'], '["a"]'), 'exactly one of --model');
    expectOneSentenceError(await run(['tokenize', '--vocab', vocab, '--context-length', '1'], '["a"]'), '--context-length');
    expectOneSentenceError(await run(['tokenize', '--vocab', vocab, '--context-length', 'x7'], '["a"]'), '--context-length');
    expectOneSentenceError(await run(['tokenize', '--model', join(dir, 'nowhere')], '["a"]'), 'nowhere');
  });

  it('runs through bin/ctgi.js', () => {
    const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'ctgi.js'), 'tokenize', '--vocab', join(dir, 'vocab.json')], {
      input: JSON.stringify(texts),
      encoding: 'utf8',
      cwd: projectRoot,
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(texts.map((t) => (t === '' ? [v.sot, v.eot] : ref(t, v))));
    const bad = spawnSync(process.execPath, [join(projectRoot, 'bin', 'ctgi.js'), 'tokenize', '--vocab', join(dir, 'vocab.json')], {
      input: '[1]',
      encoding: 'utf8',
      cwd: projectRoot,
      timeout: 60_000,
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('not a string');
  });
});

const gz = resolve(projectRoot, '../shared/data/clip/bpe_simple_vocab_16e6.txt.gz');
if (!existsSync(gz)) console.warn(`Skipping the real-vocabulary CLI test: ${gz} is not present.`);

describe.skipIf(!existsSync(gz))('ctgi tokenize with the CLIP vocabulary', () => {
  it('gives the known ids of "a photo of a cat"', async () => {
    // openai/CLIP: clip.tokenize("a photo of a cat") → 49406 320 1125 539 320 2368 49407.
    const r = await run(['tokenize', '--vocab', gz], '["a photo of a cat"]');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([[49406, 320, 1125, 539, 320, 2368, 49407]]);
  });
});
