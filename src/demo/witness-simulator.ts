import { inferSlot } from '../attributes/question-slots.js';
import type { SlotKey } from '../attributes/vocabulary.js';
import { demoSlot, isDemoSlot, type DemoSlotKey, type PersonAttributes } from './attributes.js';
import { Rng } from './rng.js';
import { SLOT_WORDS } from './vocabulary.js';

// A simulated human witness for benchmarks and tests: it remembers the target's true attributes, sometimes
// does not know, sometimes misremembers, and recognises the target in a gallery most of the time.

export interface WitnessOptions {
  /** Share of answers that are "I don't know" (default 0.2). */
  dontKnowRate?: number;
  /** Share of answers that give a wrong value of the slot (default 0.1). */
  errorRate?: number;
  /** Share of galleries showing the target where the witness fails to spot them (default 0.1). */
  missRate?: number;
  seed?: number;
}

export interface WitnessQuestion {
  /** The attribute asked about; parsed from `text` when absent. */
  slot?: SlotKey;
  text: string;
  /** Answer choices offered to the witness; the answer is then one of them when one fits. */
  options?: string[];
}

export const DONT_KNOW = "I don't know";

/** What a witness says when the asked-about item was not there. */
const ABSENT: Readonly<Record<string, string>> = {
  bag: 'no bag',
  bagColour: 'They had no bag.',
  hatColour: 'They had no hat.',
  held: 'nothing',
};

/** Simulates the witness who saw `target`. Deterministic per seed. */
export class WitnessSimulator {
  private readonly rng: Rng;
  private readonly dontKnowRate: number;
  private readonly errorRate: number;
  private readonly missRate: number;

  /** @throws RangeError when a rate is outside [0, 1] or the don't-know and error rates add up to more than 1. */
  constructor(
    private readonly target: PersonAttributes,
    options: WitnessOptions = {},
  ) {
    this.dontKnowRate = options.dontKnowRate ?? 0.2;
    this.errorRate = options.errorRate ?? 0.1;
    this.missRate = options.missRate ?? 0.1;
    for (const [name, rate] of [['dontKnowRate', this.dontKnowRate], ['errorRate', this.errorRate], ['missRate', this.missRate]] as const) {
      if (!(rate >= 0 && rate <= 1)) throw new RangeError(`WitnessSimulator ${name} must be within [0, 1], not ${rate}.`);
    }
    if (this.dontKnowRate + this.errorRate > 1) throw new RangeError('WitnessSimulator dontKnowRate + errorRate must not exceed 1.');
    this.rng = new Rng(options.seed ?? 1);
  }

  /** Answers one question about the target: the true value, a wrong one, or "I don't know". */
  answer(question: WitnessQuestion): string {
    const key = question.slot ?? inferSlot(question.text);
    // The world renders only some of the product's attributes; the witness cannot recall the others.
    if (!key || !isDemoSlot(key)) return DONT_KNOW;
    const roll = this.rng.next();
    if (roll < this.dontKnowRate) return DONT_KNOW;
    const truth = this.target[key];
    const values = demoSlot(key).values;
    let value: string | null = truth;
    if (roll < this.dontKnowRate + this.errorRate) value = this.rng.pick(values.filter((v) => v !== truth));
    if (value === null) return ABSENT[key] ?? DONT_KNOW;
    return this.phrase(key, value, question.options);
  }

  /** "#n is them" when the target is among `items` (unless the witness misses them), else null. */
  pickFromGallery(items: ReadonlyArray<{ rank: number; identity: number }>, targetIdentity: number): string | null {
    const shown = items.find((item) => item.identity === targetIdentity);
    if (!shown) return null;
    if (this.rng.next() < this.missRate) return null;
    return `#${shown.rank} is them`;
  }

  /** The value as one of the offered options when one names it, else in plain words. */
  private phrase(key: DemoSlotKey, value: string, options?: readonly string[]): string {
    const words = [value, ...(SLOT_WORDS[key]?.[value] ?? [])].map((w) => w.toLowerCase());
    const matches = (option: string) => words.some((w) => new RegExp(`(^|[^a-z-])${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^a-z-])`).test(option.toLowerCase()));
    const option = options?.find(matches);
    if (option) return option;
    if (value === 'none') return ABSENT[key] ?? 'none';
    return value;
  }
}
