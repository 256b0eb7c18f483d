import { NOT_VISIBLE, type QaPair } from '../mllm/prompts.js';
import { slot, SLOTS, type AttributeEvidence, type SlotKey } from '../attributes/vocabulary.js';
import { article, decisive, describeEvidence, DECISIVE, topValue } from '../attributes/phrasing.js';
import { interpretAnswer } from '../attributes/answer-reading.js';
import { isYesNoQuestion, questionSlots } from '../attributes/question-slots.js';
import { parseDescription } from '../attributes/description-parser.js';

// The demo MLLM's answers, computed from attribute evidence: the image's (read from its pixels) and the
// text's (parsed). `wrong()` draws whether this answer is one of the configured share of wrong ones.

/** Per-request chance draws: `wrong()` is true with the configured error rate; `pick` chooses uniformly. */
export interface Chance {
  wrong(): boolean;
  pick<T>(items: readonly T[]): T;
}

/** Below this agreement a slot the description is sure about counts as a contradiction. */
const SLOT_FLOOR = 0.3;
/** Weighted mean agreement needed for "Yes". */
const MEAN_FLOOR = 0.5;
/** Description slots at least this sure can contradict the image. */
const SURE = 0.6;
/** Slots this heavy (gender, top and bottom colour, bag) are never overlooked when contradicted. */
const SALIENT = 1.0;
/** A long description survives one small contradiction, as a person judging it would overlook one detail. */
const LONG_DESCRIPTION = 6;

/** How an image's evidence agrees with a description's, slot by slot. */
export interface MatchAgreement {
  /**
   * Mean over the shared slots of the chance both name the same value (relative to the description's
   * surest value), weighted by slot weight × sureness.
   */
  mean: number;
  /** Slots the description is sure about that the image contradicts. */
  contradictions: number;
  /** Whether one of them is salient. */
  salientContradiction: boolean;
  /** Slots the description is sure about. */
  sure: number;
  /** Slots both have evidence for. */
  shared: number;
}

/** Compares a description's evidence with an image's. */
export function matchAgreement(query: AttributeEvidence, image: AttributeEvidence): MatchAgreement {
  const m: MatchAgreement = { mean: 0, contradictions: 0, salientContradiction: false, sure: 0, shared: 0 };
  let weights = 0;
  for (const s of SLOTS) {
    const q = query[s.key];
    const v = image[s.key];
    // An image slot read as near-uniform says "can't tell", which neither supports nor contradicts.
    if (!q || !v || Math.max(...s.values.map((value) => v[value] ?? 0)) < Math.min(0.6, 2 / s.values.length)) continue;
    const sureness = Math.max(...s.values.map((value) => q[value] ?? 0));
    // Agreement relative to the best a vague query allows: "a bag" fully agrees with a clear backpack.
    let agree = 0;
    for (const value of s.values) agree += (q[value] ?? 0) * (v[value] ?? 0);
    agree = Math.min(1, agree / sureness);
    m.mean += s.weight * sureness * agree;
    weights += s.weight * sureness;
    m.shared++;
    if (sureness < SURE) continue;
    m.sure++;
    if (agree < SLOT_FLOOR) {
      m.contradictions++;
      if (s.weight >= SALIENT) m.salientContradiction = true;
    }
  }
  m.mean = weights > 0 ? m.mean / weights : 0;
  return m;
}

/** Whether an image matches a description: no salient contradiction, few others, and good agreement overall. */
export function judgeMatch(query: AttributeEvidence, image: AttributeEvidence): boolean {
  const m = matchAgreement(query, image);
  const allowed = m.sure >= LONG_DESCRIPTION ? 1 : 0;
  return m.shared > 0 && m.mean >= MEAN_FLOOR && !m.salientContradiction && m.contradictions <= allowed;
}

/** Anchor verification: "Yes." when the image agrees with the description, else "No." (flipped when wrong). */
export function answerMatch(description: string, image: AttributeEvidence, chance: Chance): string {
  const yes = judgeMatch(parseDescription(description), image);
  return yes !== chance.wrong() ? 'Yes.' : 'No.';
}

/**
 * The combined anchor check: the verdict as in answerMatch and each question answered as in answerQuestion
 * ("not visible" where the image cannot tell), each with its own chance of being wrong.
 */
export function answerAnchorCheck(description: string, questions: readonly string[], image: AttributeEvidence, chance: Chance): { match: 'yes' | 'no'; answers: string[] } {
  const yes = judgeMatch(parseDescription(description), image) !== chance.wrong();
  const answers = questions.map((q) => {
    const a = answerQuestion(q, image, chance);
    return a === "I can't tell." ? NOT_VISIBLE : a;
  });
  return { match: yes ? 'yes' : 'no', answers };
}

/** Visual question answering: a short answer from the image evidence, or "I can't tell." */
export function answerQuestion(question: string, image: AttributeEvidence, chance: Chance): string {
  const asked = questionSlots(question);
  if (asked.length === 0) return /background|scene/i.test(question) ? 'A plain street background.' : /action|doing/i.test(question) ? 'The person is standing.' : "I can't tell.";
  if (asked.length === 3 && asked.includes('glasses')) {
    const parts = (['hat', 'bag', 'glasses'] as const).map((k) => (decisive(image, k) ? accessory(k, image) : undefined)).filter(Boolean);
    return parts.length > 0 ? `${capital(parts.join('; '))}.` : "I can't tell.";
  }
  const key = asked[0];
  const evidence = chance.wrong() ? corrupt(image, key, chance) : image;
  const top = topValue(evidence, key);
  if (!top || top.p < DECISIVE) return "I can't tell.";
  const yesNo = isYesNoQuestion(question);
  switch (key) {
    case 'gender':
      return top.value === 'man' ? 'A man.' : 'A woman.';
    case 'hairLength':
    case 'hairColour':
    case 'upperColour':
    case 'lowerColour':
    case 'shoeColour':
      return `${capital(top.value)}.`;
    case 'upperType':
      return `${capital(article(top.value))} ${top.value}.`;
    case 'lowerType':
      return top.value === 'skirt' ? 'A skirt.' : `${capital(top.value)}.`;
    case 'bagColour':
    case 'hatColour': {
      const owner = key === 'bagColour' ? 'bag' : 'hat';
      const has = key === 'bagColour' ? decisive(evidence, 'bag') : decisive(evidence, 'hat');
      if (has === 'none' || has === 'no') return `The person has no ${owner}.`;
      return `${capital(top.value)}.`;
    }
    case 'bag':
    case 'hat':
    case 'glasses':
    case 'held': {
      const present = top.value !== 'none' && top.value !== 'no';
      const text = accessory(key, evidence);
      return yesNo ? `${present ? 'Yes' : 'No'}, ${text}.` : `${capital(text)}.`;
    }
    default:
      return `${capital(top.value)}.`;
  }
}

/** A phrase for an accessory slot: "a black backpack", "no hat", "glasses", "an umbrella", "nothing". */
function accessory(key: 'bag' | 'hat' | 'glasses' | 'held', e: AttributeEvidence): string {
  const v = decisive(e, key);
  if (key === 'bag') {
    if (v === 'none') return 'no bag';
    const words = [decisive(e, 'bagColour'), v ?? 'bag'].filter(Boolean).join(' ');
    return `${article(words)} ${words}`;
  }
  if (key === 'hat') {
    if (v === 'no') return 'no hat';
    const words = [decisive(e, 'hatColour'), 'hat'].filter(Boolean).join(' ');
    return `${article(words)} ${words}`;
  }
  if (key === 'glasses') return v === 'no' ? 'no glasses' : 'glasses';
  return v === 'none' ? 'nothing in the hands' : `${article(v ?? 'object')} ${v ?? 'object'}`;
}

/** A wrong answer: the slot's evidence moved to a value other than the image's best one. */
function corrupt(image: AttributeEvidence, key: SlotKey, chance: Chance): AttributeEvidence {
  const truth = topValue(image, key)?.value;
  const others = slot(key).values.filter((v) => v !== truth);
  return { ...image, [key]: { [chance.pick(others)]: 1 } };
}

/**
 * Follow-up proposals: questions about the slots the query leaves open, salient ones first, the ones the
 * image can answer clearly ahead of the rest; at most `max`, as a numbered list.
 */
export function proposeFollowUps(query: string, image: AttributeEvidence | undefined, max: number): string {
  const known = parseDescription(query);
  const open = SLOTS.filter((s) => !known[s.key] && !(s.requires && decisive(known, s.requires.key) === s.requires.notValue));
  const clarity = (key: SlotKey) => (image ? (topValue(image, key)?.p ?? 0) : 1);
  const ranked = open
    .filter((s) => !s.requires || known[s.requires.key] || (image && decisive(image, s.requires.key) && decisive(image, s.requires.key) !== s.requires.notValue))
    .sort((a, b) => b.weight * clarity(b.key) - a.weight * clarity(a.key));
  const questions = ranked.slice(0, Math.max(1, max)).map((s) => s.question);
  if (questions.length === 0) return '1. Is there anything else distinctive about the person?';
  return questions.map((q, i) => `${i + 1}. ${q}`).join('\n');
}

/**
 * Reconstructor / query aggregation: the description's attributes with each answer's attributes laid
 * over them (later answers win), written as one fluent description.
 */
export function mergeDescription(base: string, answers: readonly QaPair[]): string {
  const merged: AttributeEvidence = { ...parseDescription(base) };
  for (const { question, answer } of answers) {
    for (const [key, probs] of Object.entries(interpretAnswer(question, answer)) as Array<[SlotKey, Record<string, number>]>) {
      // A vague answer ("Yes." to "Is there a bag?") keeps a sharper earlier value it allows.
      const before = topValue(merged, key);
      const vague = (topValue({ [key]: probs }, key)?.p ?? 0) < DECISIVE;
      if (vague && before && before.p >= DECISIVE && (probs[before.value] ?? 0) > 0) continue;
      merged[key] = probs;
    }
  }
  return describeEvidence(merged);
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
