import { CtgiError } from '../errors/ctgi-error.js';
import { END_OF_WORD, bpeWord, mergeRanks } from './bpe-merge.js';
import { BYTE_UNICODE, toByteSymbols } from './bytes-to-unicode.js';
import { cleanText, splitPieces } from './text-cleaning.js';
import type { Tokenizer } from './tokenizer.js';

export const START_OF_TEXT = '<|startoftext|>';
export const END_OF_TEXT = '<|endoftext|>';

/** A BPE vocabulary: token → id, and merges in rank order. */
export interface BpeVocabulary {
  encoder: ReadonlyMap<string, number>;
  merges: ReadonlyArray<readonly [string, string]>;
  /** Where the vocabulary came from, for error messages (a file path). */
  source?: string;
}

/** Words remembered per tokenizer; descriptions reuse a small vocabulary, so hits dominate. */
const CACHE_LIMIT = 50_000;

/**
 * CLIP's ids for the vocabulary order of `simple_tokenizer.py`: the 256 byte symbols, the same with
 * `</w>`, each merge joined, then `<|startoftext|>` and `<|endoftext|>`. A repeated token keeps its
 * last id, as Python's dict does.
 */
export function clipEncoderFromMerges(merges: ReadonlyArray<readonly [string, string]>): Map<string, number> {
  const vocab = [...BYTE_UNICODE.symbolsInVocabOrder];
  for (const s of BYTE_UNICODE.symbolsInVocabOrder) vocab.push(s + END_OF_WORD);
  for (const [a, b] of merges) vocab.push(a + b);
  vocab.push(START_OF_TEXT, END_OF_TEXT);
  const encoder = new Map<string, number>();
  vocab.forEach((tok, id) => encoder.set(tok, id));
  return encoder;
}

/**
 * The reference CLIP BPE tokenizer (openai/CLIP `simple_tokenizer.py`). Text that contains the
 * literal `<|startoftext|>` or `<|endoftext|>` gets the special id, as in the reference.
 */
export class ClipTokenizer implements Tokenizer {
  readonly sot: number;
  readonly eot: number;
  /** Largest id + 1 (equal to the number of tokens when ids are contiguous, as in CLIP). */
  readonly vocabSize: number;
  private readonly encoder: ReadonlyMap<string, number>;
  private readonly ranks: ReadonlyMap<string, number>;
  private readonly cache = new Map<string, readonly number[]>();

  /** @throws CtgiError MODEL_INVALID when the vocabulary cannot encode every byte and merge. */
  constructor(vocab: BpeVocabulary) {
    const where = vocab.source ?? 'the tokenizer vocabulary';
    const { encoder } = vocab;
    const sot = encoder.get(START_OF_TEXT);
    const eot = encoder.get(END_OF_TEXT);
    if (sot === undefined || eot === undefined) {
      throw new CtgiError('MODEL_INVALID', `${where} has no ${sot === undefined ? START_OF_TEXT : END_OF_TEXT} token, so it is not a CLIP vocabulary.`);
    }
    for (const s of BYTE_UNICODE.symbolsInVocabOrder) {
      for (const tok of [s, s + END_OF_WORD]) {
        if (!encoder.has(tok)) {
          throw new CtgiError('MODEL_INVALID', `${where} lacks the byte symbol ${JSON.stringify(tok)}, so it is not a CLIP byte-level BPE vocabulary.`);
        }
      }
    }
    vocab.merges.forEach(([a, b], i) => {
      if (!encoder.has(a + b)) {
        throw new CtgiError('MODEL_INVALID', `${where} has merge ${i + 1} (${JSON.stringify(`${a} ${b}`)}) whose result is not in the vocabulary.`);
      }
    });
    let maxId = -1;
    for (const id of encoder.values()) {
      if (!Number.isInteger(id) || id < 0) throw new CtgiError('MODEL_INVALID', `${where} has an invalid token id ${String(id)}; ids must be non-negative integers.`);
      if (id > maxId) maxId = id;
    }
    this.encoder = encoder;
    this.ranks = mergeRanks(vocab.merges);
    this.sot = sot;
    this.eot = eot;
    this.vocabSize = maxId + 1;
  }

  /** @throws CtgiError BAD_INPUT when `contextLength` is not an integer ≥ 2. */
  encode(text: string, contextLength: number): number[] {
    if (!Number.isInteger(contextLength) || contextLength < 2) {
      throw new CtgiError('BAD_INPUT', `The context length must be an integer of at least 2 (got ${String(contextLength)}).`);
    }
    const raw = this.encodeRaw(text);
    // The reference builds [SOT, ...ids, EOT], cuts it to L and sets the last id to EOT.
    if (raw.length + 2 <= contextLength) return [this.sot, ...raw, this.eot];
    return [this.sot, ...raw.slice(0, contextLength - 2), this.eot];
  }

  encodeRaw(text: string): number[] {
    const ids: number[] = [];
    for (const piece of splitPieces(cleanText(text))) {
      for (const id of this.encodePiece(piece)) ids.push(id);
    }
    return ids;
  }

  private encodePiece(piece: string): readonly number[] {
    if (piece === START_OF_TEXT) return [this.sot];
    if (piece === END_OF_TEXT) return [this.eot];
    const word = toByteSymbols(piece);
    const hit = this.cache.get(word);
    if (hit) return hit;
    const ids = bpeWord(word, this.ranks).map((tok) => this.encoder.get(tok) as number);
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(word, ids);
    return ids;
  }
}
