import { SLOTS, slot, type AttributeEvidence, type SlotKey } from '../attributes/vocabulary.js';
import { decisive } from '../attributes/phrasing.js';
import { questionSlots } from '../attributes/question-slots.js';
import { MTG_REFINEMENT_QUESTIONS } from '../mllm/prompts.js';
import type { MtgPrompts } from './mtg-prompts.js';

// MTG's dynamic question pool (§3.4): the paper's refinement questions (appendix D.1) and one template
// per attribute of the schema. Each round asks the question that would settle the most still-unknown
// attribute weight; questions about attributes the caption or a kept answer already states are skipped.

/** Where a pool question comes from. */
export type QuestionSource = 'paper' | 'attribute' | 'user';

/** One question of the pool and the attributes its answer can settle. */
export interface PoolQuestion {
  text: string;
  source: QuestionSource;
  /** Attribute slots it asks about; empty for context questions (background, action). */
  slots: readonly SlotKey[];
}

/** What a context question (no attribute) is worth against attribute weights: asked once the attributes run out. */
export const CONTEXT_QUESTION_WEIGHT = 0.2;

/**
 * The pool for a run: the prompt set's questions (the paper's D.1 pool by default, or the user's) first,
 * then the attribute templates unless turned off; repeats are dropped.
 */
export function buildQuestionPool(prompts: Pick<MtgPrompts, 'questions' | 'attributeQuestions'>): PoolQuestion[] {
  const paper = new Set(MTG_REFINEMENT_QUESTIONS.map(normalise));
  const pool: PoolQuestion[] = [];
  const seen = new Set<string>();
  const add = (text: string, source: QuestionSource, slots: readonly SlotKey[]) => {
    const key = normalise(text);
    if (seen.has(key)) return;
    seen.add(key);
    pool.push({ text: text.trim(), source, slots });
  };
  for (const text of prompts.questions) add(text, paper.has(normalise(text)) ? 'paper' : 'user', questionSlots(text));
  if (prompts.attributeQuestions) for (const s of SLOTS) add(s.question, 'attribute', [s.key]);
  return pool;
}

function normalise(text: string): string {
  return text.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** True when the known evidence states the slot (a decisive value). */
export function isKnown(known: AttributeEvidence, key: SlotKey): boolean {
  return decisive(known, key) !== undefined;
}

/**
 * Whether a slot is worth asking about: not yet known, and its precondition (a bag before the bag's
 * colour) known to hold.
 */
export function isOpen(known: AttributeEvidence, key: SlotKey): boolean {
  if (isKnown(known, key)) return false;
  const requires = slot(key).requires;
  if (!requires) return true;
  const parent = decisive(known, requires.key);
  return parent !== undefined && parent !== requires.notValue;
}

/** The attribute weight a question could still settle (CONTEXT_QUESTION_WEIGHT for context questions). */
export function questionValue(question: PoolQuestion, known: AttributeEvidence): number {
  if (question.slots.length === 0) return CONTEXT_QUESTION_WEIGHT;
  return question.slots.filter((k) => isOpen(known, k)).reduce((sum, k) => sum + slot(k).weight, 0);
}

/**
 * The next question: not asked yet, worth most by questionValue, the earlier one in the pool on ties;
 * undefined when every remaining question is about attributes already known.
 */
export function nextQuestion(pool: readonly PoolQuestion[], known: AttributeEvidence, asked: ReadonlySet<string>): PoolQuestion | undefined {
  let best: PoolQuestion | undefined;
  let bestValue = 0;
  for (const q of pool) {
    if (asked.has(q.text)) continue;
    const value = questionValue(q, known);
    if (value > bestValue) {
      best = q;
      bestValue = value;
    }
  }
  return best;
}
