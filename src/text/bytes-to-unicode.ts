/**
 * The byte ↔ unicode table of openai/CLIP `bytes_to_unicode()`: printable Latin-1 bytes map to
 * themselves, the other 68 bytes to U+0100 onwards, so every byte string becomes a string of
 * visible symbols that BPE can merge.
 */
export interface ByteUnicodeTable {
  /** `byteToSymbol[b]` is the one-character symbol for byte `b`. */
  readonly byteToSymbol: readonly string[];
  /**
   * The 256 symbols in the order of the Python dict's values (printable bytes first, then the
   * remapped ones). CLIP's vocabulary ids 0–255 follow this order, not byte order.
   */
  readonly symbolsInVocabOrder: readonly string[];
}

function build(): ByteUnicodeTable {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b); // '!'..'~'
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b); // '¡'..'¬'
  for (let b = 0xae; b <= 0xff; b++) bs.push(b); // '®'..'ÿ'
  const cs = bs.slice();
  const printable = new Set(bs);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!printable.has(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const byteToSymbol = new Array<string>(256);
  bs.forEach((b, i) => {
    byteToSymbol[b] = String.fromCharCode(cs[i]);
  });
  return { byteToSymbol, symbolsInVocabOrder: cs.map((c) => String.fromCharCode(c)) };
}

/** The shared, immutable CLIP byte ↔ unicode table. */
export const BYTE_UNICODE: ByteUnicodeTable = build();

const utf8 = new TextEncoder();

/**
 * Maps a string's UTF-8 bytes to byte symbols. Lone surrogates become U+FFFD's bytes (Python would
 * raise instead; they cannot come from valid text).
 */
export function toByteSymbols(text: string): string {
  const bytes = utf8.encode(text);
  let out = '';
  for (const b of bytes) out += BYTE_UNICODE.byteToSymbol[b];
  return out;
}
