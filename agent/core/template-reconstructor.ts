import { SLOTS, type AttributeEvidence, type SlotKey } from '../../src/attributes/vocabulary.js';
import { article, decisive, describeEvidence, listPhrase } from '../../src/attributes/phrasing.js';
import { parseDescription } from '../../src/attributes/description-parser.js';
import { parseYesNo } from '../../src/mllm/yes-no.js';
import type { MergedAnswers, RecordedAnswer } from './answers.js';

// The deterministic Reconstructor (DESIGN.md flow 3.5 without an LLM): q + settled answers → q̂. The
// output is plain text for the text encoder only; it never enters a prompt.

/** Longest refined description in words: about 248 CLIP tokens of plain English. */
export const MAX_REFINED_WORDS = 180;

/** The refined description and how it was built. */
export interface TemplateReconstruction {
  text: string;
  /** 'append': q plus an "Additionally" sentence; 'rewrite': q contradicted an answer and was rebuilt. */
  mode: 'unchanged' | 'append' | 'rewrite';
  /** Slots where an answer overrode what q said. */
  overridden: SlotKey[];
}

/**
 * Merges q and the settled answers into q̂. When no answer contradicts q, q is kept word for word and the
 * new facts follow ("… Additionally, the person wears a red jacket and carries a black backpack."). When
 * an answer contradicts q (q says red, the witness says blue), q is rebuilt from its parsed attributes with
 * the answers winning, since keeping both colours would blur the text embedding; details of q outside the
 * attribute slots are then lost. Free-text answers follow as "Also: …". The result is cut to
 * MAX_REFINED_WORDS, shortening q first so the answers survive.
 */
export function templateReconstruct(description: string, answers: MergedAnswers, maxWords = MAX_REFINED_WORDS): TemplateReconstruction {
  const q = clean(description);
  const parsed = parseDescription(q);
  const stated = new Map<SlotKey, string>();
  for (const s of SLOTS) {
    const v = decisive(parsed, s.key);
    if (v !== undefined) stated.set(s.key, v);
  }
  const settled = new Map<SlotKey, string>();
  for (const [key, a] of answers.bySlot) if (a.value !== undefined) settled.set(key, a.value);

  const overridden = [...settled].filter(([key, v]) => stated.has(key) && stated.get(key) !== v).map(([key]) => key);
  const fresh = new Map([...settled].filter(([key]) => !stated.has(key)));
  const free = answers.freeText.map(freeFact).filter((t) => t.length > 0);
  const tail = free.length > 0 ? ` Also: ${free.map(sentence).join(' ')}` : '';

  if (overridden.length > 0) {
    const merged: AttributeEvidence = { ...parsed };
    for (const [key, v] of settled) {
      merged[key] = { [v]: 1 };
      // A denied bag or hat takes its colour with it.
      for (const s of SLOTS) if (s.requires?.key === key && s.requires.notValue === v) delete merged[s.key];
    }
    return { text: capWords('', describeEvidence(merged) + tail, maxWords), mode: 'rewrite', overridden };
  }
  const clauses = additionClauses(fresh, stated);
  if (clauses.length === 0 && !tail) return { text: capWords(q, '', maxWords), mode: 'unchanged', overridden };
  const lead = q ? 'Additionally, the person' : 'The person';
  const added = (clauses.length > 0 ? `${lead} ${listPhrase(clauses)}.` : '') + tail;
  return { text: capWords(q ? sentence(q) : '', added.trim(), maxWords), mode: 'append', overridden };
}

/**
 * Verb phrases for settled slots: "is a man", "has long blonde hair", "wears a red jacket", … A new colour
 * borrows its item's type from `context` (what q states), so "black" for the bag of q's "backpack" reads
 * "carries a black backpack".
 */
export function additionClauses(values: ReadonlyMap<SlotKey, string>, context: ReadonlyMap<SlotKey, string> = new Map()): string[] {
  const fromContext: Array<[SlotKey, SlotKey]> = [['upperColour', 'upperType'], ['lowerColour', 'lowerType'], ['bagColour', 'bag'], ['hatColour', 'hat']];
  const all = new Map(values);
  for (const [colour, type] of fromContext) if (all.has(colour) && !all.has(type) && context.has(type)) all.set(type, context.get(type)!);
  const v = (key: SlotKey) => all.get(key);
  const out: string[] = [];
  const gender = v('gender');
  if (gender) out.push(`is ${article(gender)} ${gender}`);
  const hair = [v('hairLength'), v('hairColour')].filter(Boolean);
  if (hair.length > 0) out.push(`has ${hair.join(' ')} hair`);
  const upper = garment(v('upperColour'), v('upperType'), 'upper body clothing', true);
  if (upper) out.push(`wears ${upper}`);
  const lowerType = v('lowerType');
  const lower = garment(v('lowerColour'), lowerType, 'lower body clothing', lowerType === 'skirt');
  if (lower) out.push(`wears ${lower}`);
  if (v('shoeColour')) out.push(`wears ${v('shoeColour')} shoes`);
  const bag = v('bag');
  if (bag === 'none') out.push('carries no bag');
  else if (bag || v('bagColour')) out.push(`carries ${withArticle([v('bagColour'), bag ?? 'bag'])}`);
  const hat = v('hat');
  if (hat === 'no') out.push('wears no hat');
  else if (hat === 'yes' || v('hatColour')) out.push(`wears ${withArticle([v('hatColour'), 'hat'])}`);
  if (v('glasses')) out.push(v('glasses') === 'yes' ? 'wears glasses' : 'has no glasses');
  const held = v('held');
  if (held) out.push(held === 'none' ? 'holds nothing in the hands' : `is holding ${article(held)} ${held}`);
  return out;
}

function garment(colour: string | undefined, type: string | undefined, generic: string, countable: boolean): string | undefined {
  if (!colour && !type) return undefined;
  if (!type) return `${colour} ${generic}`;
  return countable ? withArticle([colour, type]) : [colour, type].filter(Boolean).join(' ');
}

function withArticle(words: Array<string | undefined>): string {
  const phrase = words.filter(Boolean).join(' ');
  return `${article(phrase)} ${phrase}`;
}

/** A free-text answer as a fact: a short yes/no keeps its question ("Is the person wearing a lanyard? Yes."). */
function freeFact(a: RecordedAnswer): string {
  const text = clean(a.text);
  const short = text.split(' ').length <= 3 && parseYesNo(text) !== 'unsure';
  return short && a.question ? `${clean(a.question)} ${sentence(text.charAt(0).toUpperCase() + text.slice(1))}` : text;
}

/** Control characters and runs of whitespace become single spaces. */
function clean(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').replace(/\s+/g, ' ').trim();
}

/** Ends a piece of text with a full stop unless it already ends a sentence. */
function sentence(text: string): string {
  return /[.!?…]$/.test(text) ? text : `${text}.`;
}

/** `head + tail` in at most `maxWords` words, cutting `head` first (then `tail`). */
function capWords(head: string, tail: string, maxWords: number): string {
  const h = head.split(' ').filter(Boolean);
  const t = tail.split(' ').filter(Boolean);
  const tailWords = t.slice(0, maxWords);
  const headWords = h.slice(0, Math.max(0, maxWords - tailWords.length));
  const cutHead = headWords.length < h.length && headWords.length > 0 ? [...headWords.slice(0, -1), sentence(headWords[headWords.length - 1].replace(/[,;:]$/, ''))] : headWords;
  return [...cutHead, ...tailWords].join(' ');
}
