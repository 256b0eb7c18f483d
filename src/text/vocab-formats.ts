import { CtgiError } from '../errors/ctgi-error.js';
import type { BpeVocabulary } from './clip-tokenizer.js';
import { clipEncoderFromMerges } from './clip-tokenizer.js';

type Merge = [string, string];

/** Merges CLIP reads from `bpe_simple_vocab_16e6.txt.gz`: lines 1..48894 (49152 − 256 − 2). */
export const CLIP_MERGE_COUNT = 49152 - 256 - 2;

function invalid(file: string, what: string): CtgiError {
  return new CtgiError('MODEL_INVALID', `Tokenizer file ${file} ${what}.`);
}

function parseMergeLine(line: string, file: string, lineNo: number): Merge {
  const parts = line.trim().split(/\s+/);
  if (parts.length !== 2) throw invalid(file, `has a malformed merge on line ${lineNo} (expected two symbols separated by a space)`);
  return [parts[0], parts[1]];
}

/**
 * Parses CLIP's own vocabulary text (`bpe_simple_vocab_16e6.txt`, already decompressed): a header
 * line, then one merge per line; at most the first 48,894 merges are used, as in the reference.
 * Blank lines (a trailing newline) are skipped; ids follow CLIP's vocabulary order.
 */
export function parseClipBpeText(text: string, file: string): BpeVocabulary {
  const lines = text.split('\n').slice(1, CLIP_MERGE_COUNT + 1);
  const merges: Merge[] = [];
  lines.forEach((line, i) => {
    if (line.trim() !== '') merges.push(parseMergeLine(line, file, i + 2));
  });
  if (merges.length === 0) throw invalid(file, 'has no merges after its header line');
  return { encoder: clipEncoderFromMerges(merges), merges, source: file };
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CtgiError('MODEL_INVALID', `Tokenizer file ${file} is not valid JSON.`, { cause: err });
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toEncoder(value: unknown, file: string, what: string): Map<string, number> {
  if (!isRecord(value)) throw invalid(file, `${what} is not a JSON object of token → id`);
  const encoder = new Map<string, number>();
  for (const [tok, id] of Object.entries(value)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw invalid(file, `gives token ${JSON.stringify(tok)} the id ${JSON.stringify(id)} (expected a non-negative integer)`);
    }
    encoder.set(tok, id);
  }
  return encoder;
}

/** Parses a Hugging Face `merges.txt`: an optional `#version` line, then `a b` per line. */
export function parseHfMerges(text: string, file: string): Merge[] {
  const merges: Merge[] = [];
  text.split('\n').forEach((line, i) => {
    if (i === 0 && line.startsWith('#version')) return;
    if (line.trim() !== '') merges.push(parseMergeLine(line, file, i + 1));
  });
  return merges;
}

/** Parses a Hugging Face `vocab.json` + `merges.txt` pair; ids are taken as given. */
export function parseHfVocabAndMerges(vocabText: string, vocabFile: string, mergesText: string, mergesFile: string): BpeVocabulary {
  const encoder = toEncoder(parseJson(vocabText, vocabFile), vocabFile, 'the top level');
  return { encoder, merges: parseHfMerges(mergesText, mergesFile), source: vocabFile };
}

/**
 * Parses a Hugging Face `tokenizer.json` with a BPE model: `model.vocab`, `model.merges` (`"a b"`
 * strings or `["a", "b"]` pairs), and `added_tokens` for special tokens missing from the vocab.
 */
export function parseTokenizerJson(text: string, file: string): BpeVocabulary {
  const root = parseJson(text, file);
  if (!isRecord(root) || !isRecord(root.model)) throw invalid(file, 'has no "model" object (expected the Hugging Face tokenizers format)');
  const model = root.model;
  if (model.type !== undefined && model.type !== 'BPE') {
    throw new CtgiError('MODEL_UNSUPPORTED', `Tokenizer file ${file} uses a ${String(model.type)} model; only BPE (CLIP) tokenizers are supported.`);
  }
  const encoder = toEncoder(model.vocab, file, '"model.vocab"');
  if (!Array.isArray(model.merges)) throw invalid(file, 'has no "model.merges" array');
  const merges = model.merges.map((m: unknown, i: number): Merge => {
    if (typeof m === 'string') return parseMergeLine(m, file, i + 1);
    if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') return [m[0], m[1]];
    throw invalid(file, `has a malformed entry ${i + 1} in "model.merges" (expected "a b" or ["a", "b"])`);
  });
  if (root.added_tokens !== undefined && !Array.isArray(root.added_tokens)) throw invalid(file, 'has an "added_tokens" that is not an array');
  for (const t of (root.added_tokens as unknown[] | undefined) ?? []) {
    if (isRecord(t) && typeof t.content === 'string' && typeof t.id === 'number' && !encoder.has(t.content)) {
      encoder.set(t.content, t.id);
    }
  }
  return { encoder, merges, source: file };
}
