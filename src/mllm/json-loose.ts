// A forgiving JSON reader for model answers. Many OpenAI-compatible servers ignore `response_format`, and
// models wrap JSON in ```json fences or a sentence, leave trailing commas, or use single or curly quotes.

/** Candidate starts tried before giving up, so a long prose answer full of brackets stays cheap. */
const MAX_STARTS = 32;

const OPEN_DOUBLE = new Set(['"', '“', '”', '„']);
const OPEN_SINGLE = new Set(["'", '‘', '’']);
const CLOSERS: Record<string, string> = { '"': '"', '“': '”"', '”': '”"', '„': '“”"', "'": "'", '‘': "’'", '’': "’'" };
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '/': '/', '\\': '\\', '"': '"', "'": "'" };
const KEY_COLON = /\s*:/y;
const BARE_WORDS: Record<string, string> = { true: 'true', false: 'false', null: 'null', True: 'true', False: 'false', None: 'null' };

/**
 * Reads the first JSON object or array in a model's answer: the whole text, else the contents of a
 * ```json fence, else the first balanced `{…}` or `[…]` in the prose. Accepts trailing commas, single-quoted
 * and curly-quoted strings, unquoted keys, unquoted one-word values and Python's True/False/None.
 * @returns the parsed value, or undefined when the text holds no readable JSON object or array.
 */
export function parseJsonLoose(text: string): unknown {
  const trimmed = text.trim();
  const strict = tryParse(trimmed);
  if (strict !== undefined && typeof strict === 'object' && strict !== null) return strict;
  const fence = /```[a-zA-Z0-9_-]*[ \t]*\r?\n?([\s\S]*?)```/.exec(trimmed);
  if (fence) {
    const inFence = firstStructure(fence[1]);
    if (inFence !== undefined) return inFence;
  }
  return firstStructure(trimmed);
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The first `{` or `[` from which a balanced, repairable structure parses. Unquoted one-word values are
 * only accepted in a second pass, so "[a] then {…}" in prose does not read the bracketed word as the answer.
 */
function firstStructure(text: string): unknown {
  for (const bareValues of [false, true]) {
    let tried = 0;
    for (let i = 0; i < text.length && tried < MAX_STARTS; i++) {
      if (text[i] !== '{' && text[i] !== '[') continue;
      tried++;
      const repaired = normaliseFrom(text, i, bareValues);
      if (repaired === undefined) continue;
      const value = tryParse(repaired);
      if (value !== undefined) return value;
    }
  }
  return undefined;
}

/**
 * Rewrites the structure starting at `start` as strict JSON, stopping where its brackets balance.
 * @returns undefined when the brackets never balance or a string never closes.
 */
function normaliseFrom(text: string, start: number, bareValues: boolean): string | undefined {
  let out = '';
  const stack: string[] = [];
  let i = start;
  while (i < text.length) {
    const c = text[i];
    if (OPEN_DOUBLE.has(c) || OPEN_SINGLE.has(c)) {
      const read = readString(text, i);
      if (!read) return undefined;
      out += JSON.stringify(read.value);
      i = read.end;
      continue;
    }
    if (c === '{' || c === '[') {
      stack.push(c === '{' ? '}' : ']');
      out += c;
    } else if (c === '}' || c === ']') {
      if (stack.pop() !== c) return undefined;
      out = dropTrailingComma(out);
      out += c;
      if (stack.length === 0) return out;
    } else if (/[A-Za-z_$]/.test(c)) {
      const word = /^[A-Za-z_$][\w$-]*/.exec(text.slice(i, i + 200))?.[0] ?? c;
      KEY_COLON.lastIndex = i + word.length;
      if (/[\d.]$/.test(out)) out += word; // an exponent, as in 1e5
      else if (KEY_COLON.test(text)) out += JSON.stringify(word);
      else out += BARE_WORDS[word] ?? (bareValues ? JSON.stringify(word) : word);
      i += word.length;
      continue;
    } else {
      out += c;
    }
    i++;
  }
  return undefined;
}

/** Removes a comma (and the space after it) at the end of `out`: a trailing comma before a closer. */
function dropTrailingComma(out: string): string {
  let k = out.length - 1;
  while (k >= 0 && (out[k] === ' ' || out[k] === '\n' || out[k] === '\r' || out[k] === '\t')) k--;
  return out[k] === ',' ? out.slice(0, k) : out;
}

/** Reads a string literal opened by a straight, single or curly quote; escapes are interpreted. */
function readString(text: string, start: number): { value: string; end: number } | undefined {
  const closers = CLOSERS[text[start]];
  let value = '';
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) {
      const next = text[i + 1];
      if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
        value += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16));
        i += 5;
      } else {
        value += ESCAPES[next] ?? next;
        i++;
      }
      continue;
    }
    if (closers.includes(c)) {
      // An apostrophe inside a single-quoted word ("person's") is not the closing quote.
      if ((c === "'" || c === '’') && /[A-Za-z]/.test(text[i + 1] ?? '') && /[A-Za-z]/.test(text[i - 1] ?? '')) {
        value += c;
        continue;
      }
      return { value, end: i + 1 };
    }
    value += c;
  }
  return undefined;
}
