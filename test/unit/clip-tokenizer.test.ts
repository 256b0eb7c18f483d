import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { bpeWord, mergeRanks } from '../../src/text/bpe-merge.js';
import { ClipTokenizer, clipEncoderFromMerges } from '../../src/text/clip-tokenizer.js';
import { cleanText } from '../../src/text/text-cleaning.js';
import { loadTokenizer, loadTokenizerFromPath } from '../../src/text/vocab-loader.js';
import { referenceBpe, tinyVocabFromMerges, writeTinyVocabFiles } from '../fixtures/tiny-vocab.js';

type Merge = [string, string];

/** CLIP vocabulary id of byte `b`, from the bytes_to_unicode rule written out by hand. */
function byteId(b: number): number {
  if (b >= 0x21 && b <= 0x7e) return b - 0x21; // 94 printable ASCII
  if (b >= 0xa1 && b <= 0xac) return 94 + (b - 0xa1); // 12
  if (b >= 0xae && b <= 0xff) return 106 + (b - 0xae); // 82
  let n = 0; // the rest, in byte order, from 188
  for (let x = 0; x < b; x++) if (!((x >= 0x21 && x <= 0x7e) || (x >= 0xa1 && x <= 0xac) || (x >= 0xae && x <= 0xff))) n++;
  return 188 + n;
}

/** Ids of one piece with no merges: one id per UTF-8 byte, the last one with `</w>` (+256). */
function piece(text: string): number[] {
  const ids = Array.from(Buffer.from(text, 'utf8'), byteId);
  ids[ids.length - 1] += 256;
  return ids;
}

const noMerges = new ClipTokenizer({ encoder: clipEncoderFromMerges([]), merges: [] });
const SOT = 512;
const EOT = 513;

function expectCtgi(fn: () => unknown, code: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(isCtgiError(thrown), String(thrown)).toBe(true);
  expect((thrown as { code: string }).code).toBe(code);
}

describe('ClipTokenizer with hand-written merges', () => {
  // Ids: 512 + rank for merges; SOT/EOT after them.
  const merges: Merge[] = [
    ['h', 'e'], // 512 'he'
    ['l', 'l'], // 513 'll'
    ['he', 'll'], // 514 'hell'
    ['hell', 'o</w>'], // 515 'hello</w>'
    ['w', 'o'], // 516 'wo'
    ['r', 'l'], // 517 'rl'
    ['rl', 'd</w>'], // 518 'rld</w>'
  ];
  const tok = new ClipTokenizer({ encoder: clipEncoderFromMerges(merges), merges });

  it('takes SOT/EOT from the vocabulary and counts ids', () => {
    expect([tok.sot, tok.eot, tok.vocabSize]).toEqual([519, 520, 521]);
  });

  it('applies merges by rank with </w> on the last symbol', () => {
    expect(tok.encode('hello world', 77)).toEqual([519, 515, 516, 518, 520]);
    // 'hell' as a word ends in 'l</w>', which no merge joins: h+e, then l l</w> stays.
    expect(tok.encodeRaw('hell')).toEqual([512, byteId(0x6c), byteId(0x6c) + 256]);
    expect(tok.encodeRaw('o')).toEqual([byteId(0x6f) + 256]);
  });

  it('merges every occurrence of the best pair before pairs the pass creates', () => {
    // 'ab'+'a' ranks above 'a'+'b', but only exists after the a+b pass, which merges both occurrences.
    const m: Merge[] = [['ab', 'a'], ['a', 'b']];
    const t = new ClipTokenizer({ encoder: clipEncoderFromMerges(m), merges: m });
    expect(t.encodeRaw('ababx')).toEqual([513, 513, byteId(0x78) + 256]);
    expect(t.encodeRaw('abax')).toEqual([512, byteId(0x78) + 256]);
  });

  it('merges overlapping pairs left to right', () => {
    const m: Merge[] = [['a', 'a']];
    const t = new ClipTokenizer({ encoder: clipEncoderFromMerges(m), merges: m });
    expect(t.encodeRaw('aaax')).toEqual([512, byteId(0x61), byteId(0x78) + 256]);
    expect(t.encodeRaw('aaaax')).toEqual([512, 512, byteId(0x78) + 256]);
  });
});

describe('ClipTokenizer text handling (no merges: ids follow bytes and piece boundaries)', () => {
  it('encodes the empty string as SOT, EOT', () => {
    expect(noMerges.encode('', 77)).toEqual([SOT, EOT]);
    expect(noMerges.encode('  \n\t ', 77)).toEqual([SOT, EOT]);
  });

  it('html-unescapes twice with Python semantics', () => {
    // Expected strings from CPython's html.unescape(html.unescape(s)).
    const cases: Array<[string, string]> = [
      ['&amp;amp;', '&'],
      ['&lt;b&gt;', '<b>'],
      ['&#39;', "'"],
      ['&eacute;', 'é'],
      ['&eacute', 'é'],
      ['&amp;lt;', '<'],
      ['&notit;', '¬it;'],
      ['&#1;x', 'x'],
      ['&#x80;', '€'],
      ['&#0;', '\ufffd'],
      ['&#x110000;', '\ufffd'],
      ['&ampx', '&x'],
      ['&amp;#39;', "'"],
      ['&frac12x', '½x'],
      ['&bogus;', '&bogus;'],
      ['&#65abc', 'aabc'],
    ];
    for (const [input, expected] of cases) expect(cleanText(input), input).toBe(expected.toLowerCase());
    expect(noMerges.encodeRaw('&lt;b&gt;')).toEqual([...piece('<'), ...piece('b'), ...piece('>')]);
    expect(noMerges.encodeRaw('tom&#39;s')).toEqual([...piece('tom'), ...piece("'s")]);
  });

  it('collapses Python whitespace, strips, and lower-cases', () => {
    expect(noMerges.encodeRaw('  A \t\n B\u00a0\u3000C\x1c ')).toEqual([...piece('a'), ...piece('b'), ...piece('c')]);
    expect(cleanText('  Red\t\tCOAT \n')).toBe('red coat');
    // U+FEFF is not whitespace to Python: it stays, as a symbol piece of its own.
    expect(cleanText('\ufeffa')).toBe('\ufeffa');
    expect(noMerges.encodeRaw('\ufeff a')).toEqual([...piece('\ufeff'), ...piece('a')]);
  });

  it('normalises to NFC', () => {
    expect(noMerges.encodeRaw('cafe\u0301')).toEqual(piece('café'));
    expect(piece('café')).toEqual([byteId(0x63), byteId(0x61), byteId(0x66), byteId(0xc3), byteId(0xa9) + 256]);
  });

  it('splits letters into runs and numbers into single digits', () => {
    expect(noMerges.encodeRaw('abc123')).toEqual([...piece('abc'), ...piece('1'), ...piece('2'), ...piece('3')]);
    expect(noMerges.encodeRaw('größe x²')).toEqual([...piece('größe'), ...piece('x'), ...piece('²')]);
    expect(noMerges.encodeRaw('1.85m, ~30!!')).toEqual([...piece('1'), ...piece('.'), ...piece('8'), ...piece('5'), ...piece('m'), ...piece(','), ...piece('~'), ...piece('3'), ...piece('0'), ...piece('!!')]);
    expect(noMerges.encodeRaw('日本語')).toEqual(piece('日本語'));
  });

  it('splits contractions', () => {
    expect(noMerges.encodeRaw("don't")).toEqual([...piece('don'), ...piece("'t")]);
    expect(noMerges.encodeRaw("HE'S we'll i'm they've you're i'd")).toEqual([
      ...piece('he'), ...piece("'s"), ...piece('we'), ...piece("'ll"), ...piece('i'), ...piece("'m"),
      ...piece('they'), ...piece("'ve"), ...piece('you'), ...piece("'re"), ...piece('i'), ...piece("'d"),
    ]);
  });

  it('maps literal special-token text to the special ids, as the reference does', () => {
    expect(noMerges.encode('a <|endoftext|> b', 77)).toEqual([SOT, ...piece('a'), EOT, ...piece('b'), EOT]);
    expect(noMerges.encodeRaw('<|StartOfText|>')).toEqual([SOT]);
  });

  it('truncates to exactly L ids ending in EOT, without padding', () => {
    const raw = noMerges.encodeRaw('one two three four five');
    expect(raw.length).toBe(19);
    for (const L of [2, 3, 10, 20]) {
      const ids = noMerges.encode('one two three four five', L);
      expect(ids).toHaveLength(L);
      expect(ids).toEqual([SOT, ...raw.slice(0, L - 2), EOT]);
    }
    expect(noMerges.encode('one two three four five', 21)).toEqual([SOT, ...raw, EOT]);
    expect(noMerges.encode('one two three four five', 100)).toHaveLength(21);
  });

  it('refuses a context length that is not an integer ≥ 2', () => {
    for (const L of [1, 0, -5, 2.5, Number.NaN]) expectCtgi(() => noMerges.encode('a', L), 'BAD_INPUT');
  });
});

describe('ClipTokenizer vocabulary checks', () => {
  it('refuses a vocabulary without the special tokens', () => {
    const encoder = clipEncoderFromMerges([]);
    encoder.delete('<|startoftext|>');
    expectCtgi(() => new ClipTokenizer({ encoder, merges: [] }), 'MODEL_INVALID');
  });

  it('refuses a merge whose result is missing', () => {
    expectCtgi(() => new ClipTokenizer({ encoder: clipEncoderFromMerges([]), merges: [['a', 'b']] }), 'MODEL_INVALID');
  });
});

describe('bpeWord against a literal port of simple_tokenizer.bpe', () => {
  it('agrees on random merge tables and words', () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const alphabet = ['a', 'b', 'c'];
    for (let t = 0; t < 200; t++) {
      // Random merges over letters and earlier results, deliberately not in training order.
      const symbols = [...alphabet, ...alphabet.map((s) => `${s}</w>`)];
      const merges: Merge[] = [];
      for (let k = 0; k < 12; k++) {
        const a = symbols[rnd(symbols.length)];
        const b = symbols[rnd(symbols.length)];
        if (a.endsWith('</w>')) continue;
        merges.push([a, b]);
        symbols.push(a + b);
      }
      for (let k = merges.length - 1; k > 0; k--) {
        const j = rnd(k + 1);
        [merges[k], merges[j]] = [merges[j], merges[k]];
      }
      const ranks = mergeRanks(merges);
      for (let w = 0; w < 20; w++) {
        const len = 1 + rnd(14);
        const word = Array.from({ length: len }, () => alphabet[rnd(3)]).join('');
        expect(bpeWord(word, ranks), `${word} ${JSON.stringify(merges)}`).toEqual(referenceBpe(word, merges));
      }
    }
  });

  it('handles a very long word', () => {
    const merges: Merge[] = [['a', 'a'], ['aa', 'aa'], ['aaaa', 'aaaa']];
    expect(bpeWord('a'.repeat(2001), mergeRanks(merges))).toEqual(referenceBpe('a'.repeat(2001), merges));
    const out = bpeWord('a'.repeat(20_001), mergeRanks(merges));
    expect(out.join('')).toBe('a'.repeat(20_000) + 'a</w>');
    expect(out.slice(0, 2500).every((s) => s === 'aaaaaaaa')).toBe(true);
  });
});

// ---- Golden ids from the reference tokenizer, with the real CLIP vocabulary ----------------------

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const clipDir = resolve(projectRoot, '../shared/data/clip');
const gzPath = join(clipDir, 'bpe_simple_vocab_16e6.txt.gz');
const goldenPath = join(clipDir, 'clip-tokenizer-golden.json');
const haveShared = existsSync(gzPath) && existsSync(goldenPath);
if (!haveShared) console.warn(`Skipping CLIP golden tokenizer tests: ${clipDir} (../shared/data/clip beside the project) is not present.`);

interface GoldenCase {
  text: string;
  ids77: number[];
  ids248: number[];
  untruncated_length: number;
}

describe.skipIf(!haveShared)('CLIP golden ids (../shared/data/clip)', () => {
  let dir: string;
  const tokenizers: Record<string, ClipTokenizer> = {};
  const cases: GoldenCase[] = haveShared ? (JSON.parse(readFileSync(goldenPath, 'utf8')) as { cases: GoldenCase[] }).cases : [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ctgi-clip-golden-'));
    // Derive the Hugging Face formats from the gz independently of the loader under test.
    const lines = gunzipSync(readFileSync(gzPath)).toString('utf8').split('\n');
    const merges = lines.slice(1, 48894 + 1).map((l) => l.split(' ') as Merge);
    const v = tinyVocabFromMerges(merges);
    expect([v.size, v.sot, v.eot, v.encoder.get('a</w>')]).toEqual([49408, 49406, 49407, 320]);
    await writeTinyVocabFiles(dir, v, ['vocab.json+merges.txt', 'tokenizer.json']);
    tokenizers.gz = await loadTokenizerFromPath(gzPath);
    tokenizers['vocab.json+merges.txt'] = await loadTokenizer({ vocabJson: join(dir, 'vocab.json'), mergesTxt: join(dir, 'merges.txt') });
    tokenizers['tokenizer.json'] = await loadTokenizer({ tokenizerJson: join(dir, 'tokenizer.json') });
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads the vocabulary whose sha256 the README states', () => {
    const readme = readFileSync(join(clipDir, 'README.md'), 'utf8');
    const sha = createHash('sha256').update(readFileSync(gzPath)).digest('hex');
    expect(readme).toContain(sha);
  });

  it('has the CLIP special ids and size', () => {
    for (const t of Object.values(tokenizers)) expect([t.sot, t.eot, t.vocabSize]).toEqual([49406, 49407, 49408]);
  });

  it('reproduces every golden case at 77 and 248, from all three formats', () => {
    expect(cases.length).toBeGreaterThan(50);
    for (const [name, t] of Object.entries(tokenizers)) {
      for (const c of cases) {
        expect(t.encode(c.text, 77), `${name}: ${c.text}`).toEqual(c.ids77);
        expect(t.encode(c.text, 248), `${name}: ${c.text}`).toEqual(c.ids248);
        expect(t.encodeRaw(c.text).length + 2, `${name}: ${c.text}`).toBe(c.untruncated_length);
      }
    }
  });
});
