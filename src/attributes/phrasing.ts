import { slot, type AttributeEvidence, type SlotKey } from './vocabulary.js';

// Fluent English for the demo MLLM's captions and merged descriptions. Everything it writes reads back
// through parseDescription to the same attributes (the unit tests check the round trip).

/** Below this probability a value is not stated (a colour is left out, a garment becomes "top"). */
export const DECISIVE = 0.5;

/** The most likely value of a slot and its probability, or undefined when the slot has no evidence. */
export function topValue(evidence: AttributeEvidence, key: SlotKey): { value: string; p: number } | undefined {
  const probs = evidence[key];
  if (!probs) return undefined;
  let best: { value: string; p: number } | undefined;
  for (const value of slot(key).values) {
    const p = probs[value] ?? 0;
    if (p > 0 && (!best || p > best.p)) best = { value, p };
  }
  return best;
}

/** The value of a slot when the evidence is decisive about it. */
export function decisive(evidence: AttributeEvidence, key: SlotKey, threshold = DECISIVE): string | undefined {
  const top = topValue(evidence, key);
  return top && top.p >= threshold ? top.value : undefined;
}

/** "a" or "an" before a word. */
export function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

/** A garment colour word, or "dark" when the mass is on dark colours without one winner. */
function colourWord(evidence: AttributeEvidence, key: SlotKey): string | undefined {
  const value = decisive(evidence, key);
  if (value) return value;
  const probs = evidence[key] ?? {};
  return (probs.black ?? 0) + (probs.grey ?? 0) + (probs.blue ?? 0) >= 0.8 ? 'dark' : undefined;
}

/** Joins phrases as "a, b and c". */
export function listPhrase(parts: string[]): string {
  if (parts.length <= 1) return parts[0] ?? '';
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

function withColour(colour: string | undefined, noun: string, countable: boolean): string {
  const words = colour ? `${colour} ${noun}` : noun;
  return countable ? `${article(words)} ${words}` : words;
}

/** How the demo MLLM captions an image: every settled attribute, or only the first sentence. */
export type CaptionStyle = 'full' | 'concise';

/** The caption styles, in the order help texts list them. */
export const CAPTION_STYLES: readonly CaptionStyle[] = ['full', 'concise'];

/** Whether a value is one of the caption styles. */
export function isCaptionStyle(value: unknown): value is CaptionStyle {
  return typeof value === 'string' && (CAPTION_STYLES as readonly string[]).includes(value);
}

/**
 * One fluent description of what the evidence settles: "A woman with long blonde hair, wearing a pink coat,
 * black trousers and white shoes. She carries a black backpack, wears no hat and has no glasses."
 * The 'concise' style stops after the first sentence (person, hair, clothes, shoes), as real captioners
 * asked to be concise name a few salient attributes and leave the accessories out.
 */
export function describeEvidence(evidence: AttributeEvidence, style: CaptionStyle = 'full'): string {
  const gender = decisive(evidence, 'gender');
  const subject = gender === 'man' ? 'A man' : gender === 'woman' ? 'A woman' : 'A person';
  const pronoun = gender === 'man' ? 'He' : gender === 'woman' ? 'She' : 'The person';

  const hairWords = [decisive(evidence, 'hairLength'), decisive(evidence, 'hairColour')].filter(Boolean);
  const first = [subject + (hairWords.length > 0 ? ` with ${hairWords.join(' ')} hair` : '')];

  const clothes: string[] = [];
  if (evidence.upperType || evidence.upperColour) {
    const type = decisive(evidence, 'upperType') ?? 'top';
    clothes.push(withColour(colourWord(evidence, 'upperColour'), type, true));
  }
  if (evidence.lowerType || evidence.lowerColour) {
    const type = decisive(evidence, 'lowerType');
    const colour = colourWord(evidence, 'lowerColour');
    // "bottoms" names no type, so a colour-only description does not claim trousers.
    clothes.push(type === 'skirt' ? withColour(colour, 'skirt', true) : withColour(colour, type ?? 'bottoms', false));
  }
  const shoes = colourWord(evidence, 'shoeColour');
  if (shoes) clothes.push(`${shoes} shoes`);
  if (clothes.length > 0) first.push(`wearing ${listPhrase(clothes)}`);
  if (style === 'concise') return `${first.join(', ')}.`;

  const extras: string[] = [];
  const bag = topValue(evidence, 'bag');
  if (bag) {
    if (bag.value === 'none' && bag.p >= DECISIVE) extras.push('carries no bag');
    else if ((evidence.bag?.none ?? 0) < DECISIVE) {
      extras.push(`carries ${withColour(decisive(evidence, 'bagColour'), bag.p >= DECISIVE ? bag.value : 'bag', true)}`);
    }
  }
  const hat = decisive(evidence, 'hat');
  if (hat === 'yes') extras.push(`wears ${withColour(decisive(evidence, 'hatColour'), 'hat', true)}`);
  if (hat === 'no') extras.push('wears no hat');
  const glasses = decisive(evidence, 'glasses');
  if (glasses) extras.push(glasses === 'yes' ? 'wears glasses' : 'has no glasses');
  const held = decisive(evidence, 'held');
  if (held) extras.push(held === 'none' ? 'holds nothing in the hands' : `is holding ${article(held)} ${held}`);

  const sentences = [`${first.join(', ')}.`];
  if (extras.length > 0) sentences.push(`${pronoun} ${listPhrase(extras)}.`);
  return sentences.join(' ');
}
