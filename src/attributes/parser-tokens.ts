import { ISH_STEMS, LEXICON, MAX_PHRASE_WORDS, SHADE_ALONE, SHADE_GARMENT_SHIFT, SHADE_HAIR_SHIFT, type Dist, type Word } from './parser-lexicon.js';

// Turns a description into the demo text parser's tokens: lexicon words and phrases (longest match
// first), punctuation that ends clauses, and colours with their "dark"/"light" shade folded in.

/** A colour word as the parser sees it; `conf` below 1 for hedged colours ("reddish"). */
export type Colour = { t: 'colour'; garment: Dist; hair?: Dist; hairOnly?: boolean; conf?: number };
export type Token = Word | { t: 'comma' } | { t: 'stop' } | { t: 'colon' } | { t: 'other'; text: string };

/** Confidence of hedged words ("maybe red", "reddish"): the rest of the mass is spread evenly. */
export const HEDGED = 0.6;

/** Lower-cased words and punctuation, phrases matched longest first, "dark"/"light" folded into colours. */
export function tokenize(text: string): Token[] {
  const normalised = text
    .toLowerCase()
    .replace(/[‘’ʼ`´]/g, "'")
    .replace(/\bcan't\b/g, 'can not')
    .replace(/\bwon't\b/g, 'will not')
    .replace(/n't\b/g, ' not')
    .replace(/'s\b/g, '')
    .replace(/'/g, '');
  const raw = normalised.match(/[a-z]+|[.!?;]|[,()]|:|\/|&/g) ?? [];
  const words = raw.map((w) => (w === 'hands' ? 'hand' : w === 'shoulders' ? 'shoulder' : w));
  const tokens: Token[] = [];
  for (let i = 0; i < words.length; ) {
    const w = words[i];
    if (/^[.!?;]$/.test(w)) tokens.push({ t: 'stop' });
    else if (w === ',' || w === '(' || w === ')') tokens.push({ t: 'comma' });
    else if (w === ':') tokens.push({ t: 'colon' });
    else if (w === '/') tokens.push({ t: 'or' });
    else if (w === '&') tokens.push({ t: 'and' });
    else {
      const [word, used] = matchPhrase(words, i);
      tokens.push(word ?? { t: 'other', text: w });
      i += used;
      continue;
    }
    i++;
  }
  return foldShades(tokens);
}

function matchPhrase(words: string[], start: number): [Word | undefined, number] {
  for (let n = Math.min(MAX_PHRASE_WORDS, words.length - start); n >= 1; n--) {
    const slice = words.slice(start, start + n);
    if (slice.some((w) => !/^[a-z]+$/.test(w))) continue;
    const hit = LEXICON.get(slice.join(' '));
    if (hit) return [hit, n];
  }
  const w = words[start];
  const ish = /^([a-z]+?)(?:ish|ey)$/.exec(w)?.[1];
  if (ish && ISH_STEMS[ish]) {
    const base = LEXICON.get(ISH_STEMS[ish]) as Colour;
    return [{ ...base, conf: HEDGED }, 1];
  }
  // Plurals of the nouns ("jackets", "caps", "dresses").
  for (const stem of [w.slice(0, -1), w.slice(0, -2)]) {
    const hit = w.endsWith('s') && stem.length > 2 ? LEXICON.get(stem) : undefined;
    if (hit?.t === 'noun') return [hit, 1];
  }
  return [undefined, 1];
}

/** "dark green" → green with a little black; "dark" before no colour → the dark spread of SHADE_ALONE. */
function foldShades(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    if (tok.t !== 'shade') {
      out.push(tok);
      continue;
    }
    const next = tokens[i + 1];
    if (next?.t === 'colour') {
      out.push({
        ...next,
        garment: mix(next.garment, SHADE_GARMENT_SHIFT[tok.which]),
        hair: next.hair && mix(next.hair, SHADE_HAIR_SHIFT[tok.which]),
      });
      i++;
    } else {
      out.push({ t: 'colour', ...SHADE_ALONE[tok.which] });
    }
  }
  return out;
}

function mix(base: Dist, shift: Dist): Dist {
  const out: Record<string, number> = {};
  const total = Object.values(base).reduce((a, b) => a + b, 0) || 1;
  for (const [k, v] of Object.entries(base)) out[k] = v / total;
  for (const [k, v] of Object.entries(shift)) out[k] = (out[k] ?? 0) + v;
  return out;
}
