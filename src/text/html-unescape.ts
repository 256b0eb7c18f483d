import { DecodingMode, decodeHTML } from 'entities';

// Python's html._charref: a numeric reference, or up to 32 name characters, each with an optional ';'.
const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g;

// Python's html._invalid_charrefs: references the HTML5 spec maps to other characters (Windows-1252).
const INVALID_CHARREFS = new Map<number, string>([
  [0x00, '\ufffd'], [0x0d, '\r'], [0x80, '\u20ac'], [0x81, '\x81'], [0x82, '\u201a'], [0x83, '\u0192'],
  [0x84, '\u201e'], [0x85, '\u2026'], [0x86, '\u2020'], [0x87, '\u2021'], [0x88, '\u02c6'], [0x89, '\u2030'],
  [0x8a, '\u0160'], [0x8b, '\u2039'], [0x8c, '\u0152'], [0x8d, '\x8d'], [0x8e, '\u017d'], [0x8f, '\x8f'],
  [0x90, '\x90'], [0x91, '\u2018'], [0x92, '\u2019'], [0x93, '\u201c'], [0x94, '\u201d'], [0x95, '\u2022'],
  [0x96, '\u2013'], [0x97, '\u2014'], [0x98, '\u02dc'], [0x99, '\u2122'], [0x9a, '\u0161'], [0x9b, '\u203a'],
  [0x9c, '\u0153'], [0x9d, '\x9d'], [0x9e, '\u017e'], [0x9f, '\u0178'],
]);

/** Python's html._invalid_codepoints: numeric references that decode to nothing. */
function isInvalidCodePoint(n: number): boolean {
  return (
    (n >= 0x1 && n <= 0x8) ||
    n === 0xb ||
    (n >= 0xe && n <= 0x1f) ||
    (n >= 0x7f && n <= 0x9f) ||
    (n >= 0xfdd0 && n <= 0xfdef) ||
    (n & 0xfffe) === 0xfffe
  );
}

function numericRef(ref: string): string {
  const body = ref.endsWith(';') ? ref.slice(0, -1) : ref;
  const hex = body[1] === 'x' || body[1] === 'X';
  // Arbitrarily long digit runs only need to compare as "too large", so float precision is enough.
  const n = hex ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
  const mapped = INVALID_CHARREFS.get(n);
  if (mapped !== undefined) return mapped;
  if ((n >= 0xd800 && n <= 0xdfff) || n > 0x10ffff) return '\ufffd';
  if (isInvalidCodePoint(n)) return '';
  return String.fromCodePoint(n);
}

/**
 * Python's `html.unescape`: numeric references (with Python's replacements for invalid code points)
 * and HTML5 named references, with or without ';', where a legacy name may prefix other letters
 * (`&notit;` → `¬it;`). Named references go through the `entities` HTML5 table; the match is
 * confined to Python's `_charref` span so the surrounding text is never touched.
 */
export function htmlUnescape(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(CHARREF, (whole: string, ref: string) =>
    ref[0] === '#' ? numericRef(ref) : decodeHTML(whole, DecodingMode.Legacy),
  );
}
