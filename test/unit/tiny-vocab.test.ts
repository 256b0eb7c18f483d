import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import type { ClipTokenizer } from '../../src/text/clip-tokenizer.js';
import { findTokenizerFiles, loadTokenizer, loadTokenizerFromPath } from '../../src/text/vocab-loader.js';
import { buildTinyVocab, referenceBpe, referenceByteSymbols, writeTinyVocabFiles, type TinyVocab } from '../fixtures/tiny-vocab.js';

const SENTENCES = [
  'a man in a red jacket with a black backpack',
  'A WOMAN with long black hair, wearing a pink dress!',
  "the man's jacket is open and he's holding a coffee cup",
  'a zebra-striped umbrella 42 times',
  'quixotic jazz vibes',
];

/** Simple reference encode for plain ASCII text: lower-case, collapse spaces, CLIP split, literal BPE. */
function referenceEncode(text: string, v: TinyVocab): number[] {
  const split = /'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/gu;
  const pieces = text.trim().replace(/\s+/g, ' ').toLowerCase().match(split) ?? [];
  const ids = pieces.flatMap((p) => referenceBpe(referenceByteSymbols(p), v.merges).map((t) => v.encoder.get(t) as number));
  return [v.sot, ...ids, v.eot];
}

async function expectRejects(p: Promise<unknown>, code: string, mention?: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isCtgiError(err), String(err)).toBe(true);
  expect((err as { code: string }).code).toBe(code);
  if (mention) expect((err as Error).message).toContain(mention);
}

describe('buildTinyVocab', () => {
  it('is deterministic and learns 200 merges by default', () => {
    const a = buildTinyVocab();
    const b = buildTinyVocab();
    expect(a.merges).toHaveLength(200);
    expect(b.merges).toEqual(a.merges);
    expect([...b.encoder]).toEqual([...a.encoder]);
    expect(buildTinyVocab({ merges: 50 }).merges).toEqual(a.merges.slice(0, 50));
  });

  it('orders ids as CLIP does', () => {
    const v = buildTinyVocab();
    // Known CLIP/GPT-2 facts: '!' is id 0, 'a' 64, 'a</w>' 320, 'Ġ' (byte 0x20) 220, 'Ā' (byte 0) 188.
    expect(v.encoder.get('!')).toBe(0);
    expect(v.encoder.get('a')).toBe(64);
    expect(v.encoder.get('a</w>')).toBe(320);
    expect(v.encoder.get('\u0120')).toBe(220);
    expect(v.encoder.get('\u0100')).toBe(188);
    expect(v.size).toBe(512 + 200 + 2);
    expect(v.encoder.size).toBe(v.size);
    expect([v.sot, v.eot]).toEqual([v.size - 2, v.size - 1]);
    expect(v.encoder.get('<|startoftext|>')).toBe(v.sot);
    v.merges.forEach(([a, b], i) => expect(v.encoder.get(a + b)).toBe(512 + i));
  });

  it('learns merges in a valid training order', () => {
    const v = buildTinyVocab();
    const known = new Set([...v.encoder.keys()].filter((t) => (v.encoder.get(t) as number) < 512));
    for (const [a, b] of v.merges) {
      expect(known.has(a) && known.has(b), `${a} ${b}`).toBe(true);
      known.add(a + b);
    }
    // Frequent corpus words end up as single tokens.
    expect(referenceBpe(referenceByteSymbols('a'), v.merges)).toEqual(['a</w>']);
    expect(referenceBpe(referenceByteSymbols('wearing'), v.merges)).toEqual(['wearing</w>']);
  });
});

describe('tiny vocabulary files through the loader', () => {
  let dir: string;
  const v = buildTinyVocab();
  const loaded: Record<string, ClipTokenizer> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ctgi-tiny-vocab-'));
    await writeTinyVocabFiles(dir, v, ['vocab.json+merges.txt', 'tokenizer.json', 'bpe.txt.gz']);
    loaded['vocab.json+merges.txt'] = await loadTokenizer({ vocabJson: join(dir, 'vocab.json'), mergesTxt: join(dir, 'merges.txt') });
    loaded['tokenizer.json'] = await loadTokenizer({ tokenizerJson: join(dir, 'tokenizer.json') });
    loaded['bpe.txt.gz'] = await loadTokenizer({ bpeVocab: join(dir, 'bpe_simple_vocab_tiny.txt.gz') });
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('gives identical ids from all three formats, equal to the reference', () => {
    for (const [name, t] of Object.entries(loaded)) {
      expect([t.sot, t.eot, t.vocabSize], name).toEqual([v.sot, v.eot, v.size]);
      for (const s of SENTENCES) expect(t.encode(s, 77), `${name}: ${s}`).toEqual(referenceEncode(s, v));
    }
    // The sentences really exercise merges: fewer ids than bytes.
    expect(loaded['tokenizer.json'].encodeRaw(SENTENCES[0]).length).toBeLessThan(15);
  });

  it('loads from a single path of each kind and from a model directory', async () => {
    const expected = referenceEncode(SENTENCES[0], v);
    for (const p of ['vocab.json', 'merges.txt', 'tokenizer.json', 'bpe_simple_vocab_tiny.txt.gz', '']) {
      expect((await loadTokenizerFromPath(join(dir, p))).encode(SENTENCES[0], 77), p).toEqual(expected);
    }
  });

  it('accepts an uncompressed CLIP .txt and tokenizer.json merges as pairs', async () => {
    const sub = join(dir, 'variants');
    await mkdir(sub, { recursive: true });
    const lines = ['"bpe_simple_vocab_tiny.txt#version: 0.2', ...v.merges.map((m) => m.join(' '))];
    await writeFile(join(sub, 'bpe.txt'), lines.join('\n'));
    const tj = { model: { type: 'BPE', vocab: Object.fromEntries([...v.encoder].filter(([t]) => !t.startsWith('<|'))), merges: v.merges },
      added_tokens: [{ id: v.sot, content: '<|startoftext|>' }, { id: v.eot, content: '<|endoftext|>' }] };
    await writeFile(join(sub, 'tokenizer.json'), JSON.stringify(tj));
    const expected = referenceEncode(SENTENCES[1], v);
    expect((await loadTokenizerFromPath(join(sub, 'bpe.txt'))).encode(SENTENCES[1], 77)).toEqual(expected);
    expect((await loadTokenizerFromPath(join(sub, 'tokenizer.json'))).encode(SENTENCES[1], 77)).toEqual(expected);
  });

  it('finds files in DIR and in DIR/textual (immich), preferring vocab.json + merges.txt', async () => {
    expect(await findTokenizerFiles(dir)).toEqual({
      vocabJson: join(dir, 'vocab.json'),
      mergesTxt: join(dir, 'merges.txt'),
      tokenizerJson: join(dir, 'tokenizer.json'),
      bpeVocab: join(dir, 'bpe_simple_vocab_tiny.txt.gz'),
    });
    const immich = join(dir, 'immich');
    await writeTinyVocabFiles(join(immich, 'textual'), v, ['tokenizer.json']);
    expect(await findTokenizerFiles(immich)).toEqual({ tokenizerJson: join(immich, 'textual', 'tokenizer.json') });
    expect((await loadTokenizerFromPath(immich)).encode(SENTENCES[2], 77)).toEqual(referenceEncode(SENTENCES[2], v));
  });

  it('refuses missing and malformed files with a sentence naming the file', async () => {
    const bad = join(dir, 'bad');
    await mkdir(bad, { recursive: true });
    const w = (name: string, body: string | Buffer) => writeFile(join(bad, name), body);
    await expectRejects(loadTokenizerFromPath(join(bad, 'nope.txt.gz')), 'NOT_FOUND', 'nope.txt.gz');
    await expectRejects(findTokenizerFiles(bad), 'NOT_FOUND', bad);
    await expectRejects(findTokenizerFiles(join(bad, 'missing-dir')), 'NOT_FOUND');
    await w('tokenizer.json', '{ not json');
    await expectRejects(loadTokenizerFromPath(join(bad, 'tokenizer.json')), 'MODEL_INVALID', 'not valid JSON');
    await w('wp-tokenizer.json', JSON.stringify({ model: { type: 'WordPiece', vocab: {} } }));
    await expectRejects(loadTokenizerFromPath(join(bad, 'wp-tokenizer.json')), 'MODEL_UNSUPPORTED', 'WordPiece');
    const noSpecials = { model: { type: 'BPE', vocab: Object.fromEntries([...v.encoder].filter(([t]) => !t.startsWith('<|'))), merges: [] } };
    await w('nospecial-tokenizer.json', JSON.stringify(noSpecials));
    await expectRejects(loadTokenizerFromPath(join(bad, 'nospecial-tokenizer.json')), 'MODEL_INVALID', '<|startoftext|>');
    await w('vocab.json', JSON.stringify({ a: 1 }));
    await expectRejects(loadTokenizerFromPath(join(bad, 'vocab.json')), 'NOT_FOUND', 'merges.txt');
    await w('merges.txt', '#version: 0.2\na b c\n');
    await expectRejects(loadTokenizerFromPath(join(bad, 'vocab.json')), 'MODEL_INVALID', 'line 2');
    await w('vocab.json', JSON.stringify({ a: 'one' }));
    await expectRejects(loadTokenizerFromPath(join(bad, 'vocab.json')), 'MODEL_INVALID', 'non-negative integer');
    await w('broken.txt.gz', Buffer.concat([gzipSync('"header\na b\n').subarray(0, 12)]));
    await expectRejects(loadTokenizerFromPath(join(bad, 'broken.txt.gz')), 'MODEL_INVALID', 'gzip');
    await w('empty.txt', '"header only\n');
    await expectRejects(loadTokenizerFromPath(join(bad, 'empty.txt')), 'MODEL_INVALID', 'no merges');
    await expectRejects(loadTokenizer({}), 'NOT_FOUND');
  });
});
