import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { CtgiError } from '../errors/ctgi-error.js';
import { ClipTokenizer } from './clip-tokenizer.js';
import { parseClipBpeText, parseHfVocabAndMerges, parseTokenizerJson } from './vocab-formats.js';

const gunzipAsync = promisify(gunzip);

/** Tokenizer files of a model; any one complete set is enough. */
export interface TokenizerFiles {
  /** CLIP's `bpe_simple_vocab_16e6.txt.gz` (or an uncompressed `.txt` of that format). */
  bpeVocab?: string;
  /** Hugging Face `vocab.json`; needs `mergesTxt`. */
  vocabJson?: string;
  mergesTxt?: string;
  /** Hugging Face `tokenizer.json`. */
  tokenizerJson?: string;
}

const CLIP_BPE_NAME = /^bpe_simple_vocab.*\.txt(\.gz)?$/;

async function readBytes(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CtgiError('NOT_FOUND', `Tokenizer file ${file} does not exist.`, { cause: err });
    throw new CtgiError('MODEL_INVALID', `Tokenizer file ${file} could not be read (${code ?? (err as Error).message}).`, { cause: err });
  }
}

async function readText(file: string): Promise<string> {
  const bytes = await readBytes(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return (await gunzipAsync(bytes)).toString('utf8');
    } catch (err) {
      throw new CtgiError('MODEL_INVALID', `Tokenizer file ${file} is not a valid gzip file.`, { cause: err });
    }
  }
  if (file.endsWith('.gz')) throw new CtgiError('MODEL_INVALID', `Tokenizer file ${file} is named .gz but is not gzip-compressed.`);
  return bytes.toString('utf8');
}

/**
 * Loads a CLIP tokenizer from whichever files are given, preferring `vocab.json` + `merges.txt`,
 * then `tokenizer.json`, then CLIP's `bpe_simple_vocab` file.
 * @throws CtgiError NOT_FOUND for missing files, MODEL_INVALID for malformed ones.
 */
export async function loadTokenizer(files: TokenizerFiles): Promise<ClipTokenizer> {
  if (files.vocabJson && files.mergesTxt) {
    const [v, m] = await Promise.all([readText(files.vocabJson), readText(files.mergesTxt)]);
    return new ClipTokenizer(parseHfVocabAndMerges(v, files.vocabJson, m, files.mergesTxt));
  }
  if (files.tokenizerJson) return new ClipTokenizer(parseTokenizerJson(await readText(files.tokenizerJson), files.tokenizerJson));
  if (files.bpeVocab) return new ClipTokenizer(parseClipBpeText(await readText(files.bpeVocab), files.bpeVocab));
  if (files.vocabJson || files.mergesTxt) {
    const [have, need] = files.vocabJson ? [files.vocabJson, 'merges.txt'] : [files.mergesTxt as string, 'vocab.json'];
    throw new CtgiError('NOT_FOUND', `Tokenizer file ${have} needs its ${need} as well; give both, or a tokenizer.json instead.`);
  }
  throw new CtgiError('NOT_FOUND', 'No tokenizer files were given: need vocab.json + merges.txt, tokenizer.json, or bpe_simple_vocab_16e6.txt.gz.');
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

async function findIn(dir: string): Promise<TokenizerFiles> {
  const found: TokenizerFiles = {};
  const vocabJson = join(dir, 'vocab.json');
  const mergesTxt = join(dir, 'merges.txt');
  // The pair only counts when both halves sit in the same directory.
  if ((await isFile(vocabJson)) && (await isFile(mergesTxt))) Object.assign(found, { vocabJson, mergesTxt });
  if (await isFile(join(dir, 'tokenizer.json'))) found.tokenizerJson = join(dir, 'tokenizer.json');
  const names = await readdir(dir).catch(() => [] as string[]);
  const bpe = names.includes('bpe_simple_vocab_16e6.txt.gz') ? 'bpe_simple_vocab_16e6.txt.gz' : names.filter((n) => CLIP_BPE_NAME.test(n)).sort()[0];
  if (bpe && (await isFile(join(dir, bpe)))) found.bpeVocab = join(dir, bpe);
  return found;
}

/**
 * Finds the tokenizer files of a model directory, looking in DIR and then DIR/textual (immich
 * layout); for each kind the first directory that has it wins.
 * @throws CtgiError NOT_FOUND when the directory is missing or holds no tokenizer files.
 */
export async function findTokenizerFiles(modelDir: string): Promise<TokenizerFiles> {
  if (!(await stat(modelDir).catch(() => undefined))?.isDirectory()) {
    throw new CtgiError('NOT_FOUND', `Model directory ${modelDir} does not exist or is not a directory.`);
  }
  const top = await findIn(modelDir);
  const textual = await findIn(join(modelDir, 'textual'));
  const pair = top.vocabJson ? top : textual.vocabJson ? textual : undefined;
  const files: TokenizerFiles = {};
  if (pair) Object.assign(files, { vocabJson: pair.vocabJson, mergesTxt: pair.mergesTxt });
  const tokenizerJson = top.tokenizerJson ?? textual.tokenizerJson;
  if (tokenizerJson) files.tokenizerJson = tokenizerJson;
  const bpeVocab = top.bpeVocab ?? textual.bpeVocab;
  if (bpeVocab) files.bpeVocab = bpeVocab;
  if (Object.keys(files).length === 0) {
    throw new CtgiError(
      'NOT_FOUND',
      `Model directory ${modelDir} has no tokenizer files (vocab.json + merges.txt, tokenizer.json or bpe_simple_vocab_16e6.txt.gz, in it or in its textual/ folder).`,
    );
  }
  return files;
}

/**
 * Loads a tokenizer from a model directory or one file: a `.txt.gz`/`.txt` CLIP vocabulary, a
 * `tokenizer.json`, or a `vocab.json` (or `merges.txt`) with its partner beside it.
 * @throws CtgiError NOT_FOUND / MODEL_INVALID naming the file.
 */
export async function loadTokenizerFromPath(path: string): Promise<ClipTokenizer> {
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new CtgiError('NOT_FOUND', `Tokenizer path ${path} does not exist.`);
  if (st.isDirectory()) return loadTokenizer(await findTokenizerFiles(path));
  const name = basename(path);
  const dir = dirname(path);
  if (name.endsWith('tokenizer.json')) return loadTokenizer({ tokenizerJson: path });
  if (name.endsWith('.json')) return loadTokenizer({ vocabJson: path, mergesTxt: join(dir, 'merges.txt') });
  if (name === 'merges.txt') return loadTokenizer({ vocabJson: join(dir, 'vocab.json'), mergesTxt: path });
  return loadTokenizer({ bpeVocab: path });
}
