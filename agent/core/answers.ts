import { SLOTS, slot, type AttributeEvidence, type SlotKey } from '../../src/demo/attributes.js';

// Recording and merging MTI answers (DESIGN.md flow 3.4): the witness wins over the MLLM for a slot;
// "don't know", "skip", "not sure" and silence are normal answers that settle nothing.

/** Who answered a question. */
export type AnswerSource = 'witness' | 'mllm';

/** One reply as it arrives; `reply: null` means no reply before the timeout. */
export interface RawAnswer {
  slot?: SlotKey;
  question: string;
  source: AnswerSource;
  reply: string | null;
}

/** A reply after normalisation: `value` is one of the slot's values when the reply settles the slot. */
export interface RecordedAnswer {
  slot?: SlotKey;
  question: string;
  source: AnswerSource;
  /** The reply with control characters and extra whitespace removed ('' for a timeout). */
  text: string;
  status: 'known' | 'unknown';
  value?: string;
}

/** The answers that count: per slot the winning answer, plus free-text answers to slotless questions. */
export interface MergedAnswers {
  bySlot: Map<SlotKey, RecordedAnswer>;
  freeText: RecordedAnswer[];
}

/** Probability at which a description's evidence settles a slot (a hedged "maybe red" stays open). */
export const SETTLED_P = 0.7;

/** Whole replies that mean "no answer". */
const UNKNOWN_REPLY = /^(?:|n\/?a|pass|maybe|unknown|dunno|idk|no comment|skip(?:ped)?)$/;
/**
 * Phrases that make any reply an unknown, even around other words ("I have no idea, maybe red"). "Not
 * visible" is what the MLLM is told to answer when the image cannot tell; its "not" must not read as "no".
 */
const UNKNOWN_PHRASE =
  /(?:^| )(?:not sure|unsure|no idea|(?:do not|don'?t|dont) know|(?:can ?not|can'?t|cant) (?:tell|say|see|remember|be seen|be determined)|skip|no clue|not certain|not visible|not shown|cannot determine)(?: |$)/;

/** Words a witness may use for a slot value, per value (the value itself always counts). */
const SYNONYMS: Record<string, readonly string[]> = {
  man: ['male', 'guy', 'boy', 'gentleman'],
  woman: ['female', 'lady', 'girl'],
  grey: ['gray'],
  blonde: ['blond', 'fair'],
  't-shirt': ['t shirt', 'tshirt', 'tee', 'shirt'],
  trousers: ['pants', 'jeans'],
  hoodie: ['hooded sweatshirt', 'hoody'],
  'shoulder bag': ['shoulderbag', 'messenger bag'],
};
/** Replies that mean "none"/"no" for presence slots. */
const NEGATIVE = ['no', 'none', 'nothing', 'nope', 'not'];
const POSITIVE = ['yes', 'yeah', 'yep'];

/** Normalises one reply: timeouts and "don't know"-style replies are unknown; slot replies are matched to a value. */
export function recordAnswer(raw: RawAnswer): RecordedAnswer {
  const text = (raw.reply ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').replace(/\s+/g, ' ').trim();
  const base = { ...(raw.slot ? { slot: raw.slot } : {}), question: raw.question, source: raw.source, text };
  const norm = normalise(text);
  if (raw.reply === null || UNKNOWN_REPLY.test(norm) || UNKNOWN_PHRASE.test(norm)) return { ...base, status: 'unknown' };
  if (!raw.slot) return { ...base, status: 'known' };
  const value = matchValue(raw.slot, norm);
  return value === undefined ? { ...base, status: 'unknown' } : { ...base, status: 'known', value };
}

/** The value a reply settles for `key`: undefined for "don't know"-style replies and for none or several values. */
export function settledValue(key: SlotKey, reply: string): string | undefined {
  return recordAnswer({ slot: key, question: '', source: 'mllm', reply }).value;
}

/** The slot value a normalised reply names, or undefined when it names none or several. */
export function matchValue(key: SlotKey, norm: string): string | undefined {
  const s = slot(key);
  const padded = ` ${norm} `;
  const found = new Set<string>();
  for (const value of s.values) {
    const words = [value, ...(SYNONYMS[value] ?? [])];
    if (value === 'none' || value === 'no') words.push(...NEGATIVE);
    if (value === 'yes') words.push(...POSITIVE);
    if (words.some((w) => padded.includes(` ${normalise(w)} `))) found.add(value);
  }
  // "no, a backpack" is contradictory; "yes, a backpack" names the bag; "yes" alone does not say which.
  if (found.size === 2 && s.values.includes('none')) found.delete('none');
  return found.size === 1 ? [...found][0] : undefined;
}

/** Lower case, punctuation (except apostrophes and hyphens inside words) to spaces, whitespace collapsed. */
export function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .replace(/[^\p{L}\p{N}'/-]+/gu, ' ')
    .replace(/-/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Merges answers in arrival order: per slot a known witness answer beats any MLLM answer, and a later
 * answer of the same source beats an earlier one. Unknown answers never settle or unsettle a slot.
 */
export function mergeAnswers(answers: readonly RecordedAnswer[]): MergedAnswers {
  const bySlot = new Map<SlotKey, RecordedAnswer>();
  const freeText: RecordedAnswer[] = [];
  for (const a of answers) {
    if (a.status !== 'known') continue;
    if (!a.slot) {
      freeText.push(a);
      continue;
    }
    const current = bySlot.get(a.slot);
    if (current && current.source === 'witness' && a.source === 'mllm') continue;
    bySlot.set(a.slot, a);
  }
  return { bySlot, freeText };
}

/** The settled answers as certain attribute evidence. */
export function answerEvidence(merged: MergedAnswers): AttributeEvidence {
  const e: AttributeEvidence = {};
  for (const [key, a] of merged.bySlot) if (a.value !== undefined) e[key] = { [a.value]: 1 };
  return e;
}

/**
 * Slots that need no more questions: those the description states with probability ≥ `settledP`, those
 * a known answer settles, and dependent slots whose requirement is settled as not holding (no bag →
 * no bag colour).
 */
export function knownSlots(description: AttributeEvidence, answers: MergedAnswers, settledP = SETTLED_P): Set<SlotKey> {
  const value = new Map<SlotKey, string>();
  for (const s of SLOTS) {
    const probs = description[s.key];
    if (!probs) continue;
    for (const [v, p] of Object.entries(probs)) if ((p ?? 0) >= settledP) value.set(s.key, v);
  }
  for (const [key, a] of answers.bySlot) if (a.value !== undefined) value.set(key, a.value);
  const known = new Set(value.keys());
  for (const s of SLOTS) if (s.requires && value.get(s.requires.key) === s.requires.notValue) known.add(s.key);
  return known;
}
