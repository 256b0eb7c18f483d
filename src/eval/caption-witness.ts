import { normalise, SETTLED_P } from '../attributes/answer-reading.js';
import { parseDescription } from '../attributes/description-parser.js';
import { decisive } from '../attributes/phrasing.js';
import { inferSlot } from '../attributes/question-slots.js';
import { slot, SLOTS, type SlotKey } from '../attributes/vocabulary.js';

// The simulated witness of `ctgi eval --mti` (the ChatIR/PlugIR protocol): it knows the target person only
// through that person's ground-truth captions, read with the product's own description parser, and says
// "I don't know" to anything the captions do not settle. No hidden labels, no gallery access.

/** A question as the witness sees it. */
export interface WitnessQuestion {
  slot?: SlotKey;
  text: string;
  options?: readonly string[];
}

/** Answers a dialogue's questions about one target person; null means no answer (silence). */
export interface SimulatedWitness {
  answer(question: WitnessQuestion): Promise<string | null>;
}

export const DONT_KNOW = "I don't know";

/** Share of a person's captions that must agree on a value before the witness states it. */
const AGREEMENT = 0.6;

/**
 * The attribute values a person's captions settle: per slot, the value most captions state decisively,
 * when at least 60% of the captions that mention the slot agree on it.
 */
export function captionFacts(captions: readonly string[]): Map<SlotKey, string> {
  const votes = new Map<SlotKey, Map<string, number>>();
  for (const caption of captions) {
    const e = parseDescription(caption);
    for (const s of SLOTS) {
      const v = decisive(e, s.key, SETTLED_P);
      if (v === undefined) continue;
      const m = votes.get(s.key) ?? new Map<string, number>();
      m.set(v, (m.get(v) ?? 0) + 1);
      votes.set(s.key, m);
    }
  }
  const facts = new Map<SlotKey, string>();
  for (const [key, m] of votes) {
    const total = [...m.values()].reduce((a, b) => a + b, 0);
    const [value, n] = [...m].sort((a, b) => b[1] - a[1])[0];
    if (n / total >= AGREEMENT) facts.set(key, value);
  }
  return facts;
}

/** A witness that answers from captions alone. */
export class CaptionWitness implements SimulatedWitness {
  private readonly facts: Map<SlotKey, string>;

  constructor(readonly captions: readonly string[]) {
    this.facts = captionFacts(captions);
  }

  /** @returns an offered option naming the value when one does, else the value in words, else "I don't know". */
  async answer(question: WitnessQuestion): Promise<string | null> {
    const key = question.slot ?? inferSlot(question.text);
    if (!key) return DONT_KNOW;
    const s = slot(key);
    // "What colour is the bag?" about someone the captions say carries none.
    if (s.requires && this.facts.get(s.requires.key) === s.requires.notValue) return `There was no ${s.requires.key === 'bag' ? 'bag' : 'hat'}.`;
    const value = this.facts.get(key);
    if (value === undefined) return DONT_KNOW;
    return question.options?.find((o) => normalise(o) === normalise(value)) ?? value;
  }
}
