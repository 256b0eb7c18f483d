import { SLOTS, slot, type AttributeEvidence, type AttributeSlot, type SlotKey } from '../../src/attributes/vocabulary.js';
import { normalise } from '../../src/attributes/answer-reading.js';
import { inferSlot } from '../../src/attributes/question-slots.js';

// MTI step 3 (DESIGN.md flow 3.3–3.4): the candidate questions, minus what is settled, de-duplicated and
// ranked by how much the answer would tell the current candidates apart.

/** The option every question offers besides the slot's values. */
export const NOT_SURE = 'Not sure';

/** One question ready to ask; `slot` is absent for free-text follow-ups that match no attribute. */
export interface RankedQuestion {
  slot?: SlotKey;
  text: string;
  /** The slot's values plus "Not sure"; just "Not sure" for free-text questions (the reply is typed). */
  options: string[];
  /** Expected information gain in bits about which candidate is the person (0 for free-text questions). */
  gain: number;
}

/** Inputs of question selection. */
export interface QuestionSelectionInput<Id> {
  /** Current candidates and their scores; negative scores count as 0, all-zero as uniform. */
  candidates: ReadonlyMap<Id, number>;
  /** Per-candidate attribute evidence (cached MTG answers, a pixel reader); candidates without it are skipped. */
  evidence: ReadonlyMap<Id, AttributeEvidence>;
  /** Slots the description or earlier answers already settle; never asked. */
  known: ReadonlySet<SlotKey>;
  /** Follow-up questions as free text (MLLM proposals, the paper's pool). */
  followUps?: readonly string[];
  /** Questions asked in earlier rounds: neither they nor other questions about their slots are asked again. */
  asked?: readonly string[];
  /**
   * The candidates' own answers to free-text follow-ups (keyed by `questionKey` of the question, answers
   * already normalised by `answerKey`): such a follow-up is ranked by how its answers split the candidates,
   * and its distinct answers become its options.
   */
  textAnswers?: ReadonlyMap<string, ReadonlyMap<Id, string>>;
}

/**
 * The ranked questions, best first: every unsettled slot of SLOTS plus the follow-ups. A follow-up that
 * clearly asks about one slot ("What colour is the jacket?") counts as that slot's question; duplicates by
 * slot or by text (case, punctuation and colour/color insensitive) are dropped, the first kept. Ties keep
 * SLOTS order, then follow-up order.
 */
export function selectQuestions<Id>(input: QuestionSelectionInput<Id>): RankedQuestion[] {
  const weights = candidateWeights(input.candidates);
  const seenText = new Set((input.asked ?? []).map(questionKey));
  const seenSlot = new Set<SlotKey>(input.known);
  const out: RankedQuestion[] = [];
  const push = (q: RankedQuestion) => {
    const key = questionKey(q.text);
    if (seenText.has(key) || (q.slot && seenSlot.has(q.slot))) return;
    seenText.add(key);
    if (q.slot) seenSlot.add(q.slot);
    out.push(q);
  };
  for (const text of input.asked ?? []) {
    const key = SLOTS.find((s) => questionKey(s.question) === questionKey(text))?.key ?? inferSlot(text);
    if (key) seenSlot.add(key);
  }
  for (const s of SLOTS) push(slotQuestion(s, s.question, weights, input.evidence));
  for (const text of input.followUps ?? []) {
    const clean = text.replace(/\s+/g, ' ').trim();
    if (!clean) continue;
    const key = inferSlot(clean);
    push(key ? slotQuestion(slot(key), clean, weights, input.evidence) : freeTextQuestion(clean, weights, input.textAnswers?.get(questionKey(clean))));
  }
  // Stable sort: equal gains keep their pool order.
  return out.sort((a, b) => b.gain - a.gain);
}

/** Which questions go to the witness and which the MLLM answers about the anchors this round. */
export interface QuestionRouting {
  witness: RankedQuestion[];
  mllm: RankedQuestion[];
}

/** Routing options; `mllmAvailable: false` when there is no MLLM or no anchor (witness-only MTI). */
export interface RoutingOptions {
  witnessPerRound?: number;
  mllmPerRound?: number;
  mllmAvailable?: boolean;
}

/**
 * The `witnessPerRound` most discriminative questions with a positive gain go to the witness; the MLLM
 * answers up to `mllmPerRound` of the ranked questions about the anchors, including the witness's ones,
 * so a "don't know" from the witness still leaves an answer (the witness's known answer wins on merge).
 */
export function routeQuestions(ranked: readonly RankedQuestion[], options: RoutingOptions = {}): QuestionRouting {
  const { witnessPerRound = 2, mllmPerRound = 6, mllmAvailable = true } = options;
  const witness = ranked.filter((q) => q.gain > 0).slice(0, Math.max(0, witnessPerRound));
  const mllm = mllmAvailable ? ranked.slice(0, Math.max(0, mllmPerRound)) : [];
  return { witness, mllm };
}

/**
 * Expected information gain of asking about `key`: the mutual information between the candidate (drawn by
 * weight) and the answer, I = H(Σ w·p) − Σ w·H(p), times the share of weight it applies to. Candidates
 * without evidence for the slot are left out; for a slot with `requires`, a candidate counts by the
 * probability that the requirement holds (no evidence on it: holds).
 */
export function slotGain<Id>(key: SlotKey, weights: ReadonlyMap<Id, number>, evidence: ReadonlyMap<Id, AttributeEvidence>): number {
  const s = slot(key);
  const mix = new Map<string, number>();
  let covered = 0;
  let total = 0;
  let condEntropy = 0;
  for (const [id, w0] of weights) {
    total += w0;
    const e = evidence.get(id);
    const dist = e ? distribution(s, e[key]) : undefined;
    if (!e || !dist) continue;
    let w = w0;
    if (s.requires) {
      const req = distribution(slot(s.requires.key), e[s.requires.key]);
      if (req) w *= 1 - (req.get(s.requires.notValue) ?? 0);
    }
    if (w <= 0) continue;
    covered += w;
    condEntropy += w * entropy(dist.values());
    for (const [v, p] of dist) mix.set(v, (mix.get(v) ?? 0) + w * p);
  }
  if (covered <= 0 || total <= 0) return 0;
  const mixed = [...mix.values()].map((x) => x / covered);
  const gain = entropy(mixed) - condEntropy / covered;
  return Math.max(0, gain) * (covered / total);
}

/** Text identity for de-duplication: case, punctuation, spacing and colour/color do not matter. */
export function questionKey(text: string): string {
  return normalise(text).replace(/\bcolor\b/g, 'colour').replace(/'/g, '');
}

function slotQuestion<Id>(s: AttributeSlot, text: string, weights: ReadonlyMap<Id, number>, evidence: ReadonlyMap<Id, AttributeEvidence>): RankedQuestion {
  return { slot: s.key, text, options: [...s.values, NOT_SURE], gain: slotGain(s.key, weights, evidence) };
}

/** Options offered for a free-text question besides typing: its most common candidate answers. */
const MAX_FREE_OPTIONS = 4;

/**
 * A free-text follow-up, ranked by how the candidates' own answers to it split them: the entropy of the
 * weighted answer distribution (each candidate's answer is one value) times the share of weight that
 * answered — the same mutual information as `slotGain`, with the answers as the values.
 */
function freeTextQuestion<Id>(text: string, weights: ReadonlyMap<Id, number>, answers: ReadonlyMap<Id, string> | undefined): RankedQuestion {
  if (!answers || answers.size === 0) return { text, options: [NOT_SURE], gain: 0 };
  const mass = new Map<string, number>();
  let covered = 0;
  let total = 0;
  for (const [id, w] of weights) {
    total += w;
    const a = answers.get(id);
    if (a === undefined || w <= 0) continue;
    covered += w;
    mass.set(a, (mass.get(a) ?? 0) + w);
  }
  if (covered <= 0 || total <= 0) return { text, options: [NOT_SURE], gain: 0 };
  const gain = entropy([...mass.values()].map((m) => m / covered)) * (covered / total);
  const options = [...mass].sort((a, b) => b[1] - a[1]).slice(0, MAX_FREE_OPTIONS).map(([a]) => a.charAt(0).toUpperCase() + a.slice(1));
  return { text, options: [...options, NOT_SURE], gain };
}

function candidateWeights<Id>(scores: ReadonlyMap<Id, number>): Map<Id, number> {
  const w = new Map<Id, number>();
  for (const [id, s] of scores) w.set(id, Number.isFinite(s) && s > 0 ? s : 0);
  if ([...w.values()].every((x) => x === 0)) for (const id of w.keys()) w.set(id, 1);
  return w;
}

/** A slot's evidence as a normalised distribution over its values, or undefined without any mass. */
function distribution(s: AttributeSlot, probs: Partial<Record<string, number>> | undefined): Map<string, number> | undefined {
  if (!probs) return undefined;
  let sum = 0;
  for (const v of s.values) sum += Math.max(0, probs[v] ?? 0);
  if (sum <= 0) return undefined;
  return new Map(s.values.map((v) => [v, Math.max(0, probs[v] ?? 0) / sum]));
}

function entropy(ps: Iterable<number>): number {
  let h = 0;
  for (const p of ps) if (p > 0) h -= p * Math.log2(p);
  return h;
}
