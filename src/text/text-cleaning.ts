import { htmlUnescape } from './html-unescape.js';

// Python's str.isspace() / re `\s` set (which differs from JavaScript's `\s`: it adds U+001C–U+001F
// and U+0085, and leaves out U+FEFF). Used for strip() and the whitespace collapse.
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_SPACE_RUN = new RegExp(`[${PY_SPACE}]+`, 'gu');
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'gu');

/** Python's `str.strip()` with no arguments. */
export function pyStrip(text: string): string {
  return text.replace(PY_STRIP, '');
}

/**
 * CLIP's `whitespace_clean(basic_clean(text)).lower()`: NFC (the normalisation step of
 * `ftfy.fix_text`; its other repairs are not reproduced), `html.unescape` twice, strip, collapse
 * whitespace runs to one space, strip, lower-case.
 */
export function cleanText(text: string): string {
  let t = text.normalize('NFC');
  t = htmlUnescape(htmlUnescape(t));
  t = pyStrip(t);
  t = pyStrip(t.replace(PY_SPACE_RUN, ' '));
  return t.toLowerCase();
}

/*
 * CLIP's pre-tokenisation pattern (Python `regex`, IGNORECASE). `\s` is written as
 * `\p{White_Space}` because JavaScript's `\s` also matches U+FEFF; after `cleanText` the only
 * whitespace left is the plain space either way.
 */
const CLIP_SPLIT_PATTERN =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\p{White_Space}\p{L}\p{N}]+/giu;

/** Splits cleaned text into the pieces CLIP runs BPE on. */
export function splitPieces(cleaned: string): string[] {
  return cleaned.match(CLIP_SPLIT_PATTERN) ?? [];
}
