/** A CLIP text tokenizer: turns text into token ids for a given context length. */
export interface Tokenizer {
  /** Id of `<|startoftext|>` (49406 in the CLIP vocabulary). */
  readonly sot: number;
  /** Id of `<|endoftext|>` (49407 in the CLIP vocabulary). */
  readonly eot: number;
  /** Number of ids in the vocabulary, special tokens included. */
  readonly vocabSize: number;
  /**
   * Ids `SOT … EOT` for `text`, not padded. When longer than `contextLength`, keeps the first
   * `contextLength − 1` ids and ends with EOT.
   */
  encode(text: string, contextLength: number): number[];
  /** The BPE ids of `text` without SOT/EOT and without truncation. */
  encodeRaw(text: string): number[];
}
