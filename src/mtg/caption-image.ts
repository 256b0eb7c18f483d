import type { AttributeEvidence, SlotKey } from '../attributes/vocabulary.js';
import { DECISIVE, topValue } from '../attributes/phrasing.js';
import { parseDescription } from '../attributes/description-parser.js';
import type { Mllm } from '../mllm/mllm.js';
import type { QaPair } from '../mllm/prompts.js';
import { isRefusal, isUnanswerable, judgeAnswer, withFacts, type AnswerFact, type DropReason } from './answer-filter.js';
import { CallMeter, type CallCost, type CallTokens } from './call-meter.js';
import type { MtgPrompts } from './mtg-prompts.js';
import { nextQuestion, type PoolQuestion, type QuestionSource } from './question-pool.js';

// One image through MTG (§3.1): T_s = MLLM(I, P_init) (Eq. 1); N rounds of visual questions from the
// dynamic pool, each answer kept or dropped with a reason; the Reconstructor, text only, rewrites T_s with
// the kept answers (Eq. 3). Upstream failures throw; a refused or empty caption is an expected outcome.

/** One MLLM call of an image's dialogue, as the turn log records it. */
export interface MtgTurn {
  kind: 'caption' | 'question' | 'reconstruct';
  /** 0 for the caption, 1…N for the questions, N + 1 for the rewrite. */
  round: number;
  question: string | null;
  source: QuestionSource | null;
  /** Attribute slots the question asks about. */
  attributes: SlotKey[];
  answer: string;
  kept: boolean;
  reason: DropReason | null;
  /** Attribute values the answer states. */
  facts: AnswerFact[];
  latencyMs: number;
  tokens: CallTokens | null;
}

/** One per-attribute answer for the gallery's answer cache (MTI reads these instead of asking again). */
export interface AttributeAnswer {
  attribute: SlotKey;
  question: string;
  answer: string;
  /** `mtg` for a kept visual answer, `mtg-caption` for a value the initial caption already stated. */
  source: 'mtg' | 'mtg-caption';
  confidence: number;
}

/** The outcome of one image: a caption, or the reason none could be written. */
export type ImageCaptionResult =
  | { ok: true; initialCaption: string; caption: string; turns: MtgTurn[]; answers: AttributeAnswer[] }
  | { ok: false; reason: string; turns: MtgTurn[] };

/** What MTG needs for an image: the two models, the prompts, the pool and the number of rounds. */
export interface MtgPipeline {
  /** Answers about the image (caption and visual questions). */
  mllm: Mllm;
  /** Rewrites text only (Eq. 3); may be the same server as `mllm`. */
  reconstructor: Mllm;
  prompts: MtgPrompts;
  pool: readonly PoolQuestion[];
  /** Question rounds N (the paper uses 6); dropped answers count as rounds. */
  rounds: number;
  meter?: CallMeter;
}

/**
 * Runs MTG on one encoded image.
 * @throws CtgiError UPSTREAM_FAILED when the MLLM or the Reconstructor cannot be reached.
 */
export async function captionImage(image: Buffer, pipeline: MtgPipeline): Promise<ImageCaptionResult> {
  const meter = pipeline.meter ?? new CallMeter();
  const turns: MtgTurn[] = [];
  const captionPrompt = pipeline.prompts.initialCaption();
  const first = await meter.measure(() => pipeline.mllm.ask(captionPrompt, [image]));
  const initialCaption = oneLine(first.value);
  const captionProblem: DropReason | null = isRefusal(initialCaption) ? 'refused' : initialCaption === '' || isUnanswerable(initialCaption) ? 'unanswerable' : null;
  const stated = captionProblem ? {} : parseDescription(initialCaption);
  turns.push(turn('caption', 0, null, null, [], initialCaption, !captionProblem, captionProblem, factsOf(stated), first.cost));
  if (captionProblem) return { ok: false, reason: captionProblem === 'refused' ? 'the MLLM refused to describe the image' : 'the MLLM gave no description of the image', turns };

  let known: AttributeEvidence = stated;
  const asked = new Set<string>();
  const kept: Array<QaPair & { facts: AnswerFact[] }> = [];
  for (let round = 1; round <= pipeline.rounds; round++) {
    const question = nextQuestion(pipeline.pool, known, asked);
    if (!question) break;
    asked.add(question.text);
    const reply = await meter.measure(() => pipeline.mllm.ask(pipeline.prompts.visualQuestion(question.text), [image]));
    const answer = oneLine(reply.value);
    const verdict = judgeAnswer(question, answer, known);
    turns.push(turn('question', round, question.text, question.source, [...question.slots], answer, verdict.kept, verdict.kept ? null : verdict.reason, verdict.facts, reply.cost));
    if (verdict.kept) {
      kept.push({ question: question.text, answer, facts: verdict.facts });
      known = withFacts(known, verdict.facts);
    }
  }

  let caption = initialCaption;
  if (kept.length > 0) {
    const rewrite = await meter.measure(() => pipeline.reconstructor.ask(pipeline.prompts.reconstruction(initialCaption, kept)));
    const text = cleanCaption(rewrite.value);
    const problem: DropReason | null = isRefusal(text) ? 'refused' : text === '' ? 'unanswerable' : null;
    turns.push(turn('reconstruct', pipeline.rounds + 1, null, null, [], text, !problem, problem, [], rewrite.cost));
    // A refused rewrite keeps T_s: the caption is poorer, but the image is not lost.
    if (!problem) caption = text;
  }
  return { ok: true, initialCaption, caption, turns, answers: attributeAnswers(captionPrompt, initialCaption, stated, kept) };
}

/** Per-attribute rows: values T_s states (unless a kept answer restates them), then each kept answer's values. */
function attributeAnswers(prompt: string, initialCaption: string, stated: AttributeEvidence, kept: ReadonlyArray<QaPair & { facts: AnswerFact[] }>): AttributeAnswer[] {
  const rows: AttributeAnswer[] = factsOf(stated).map((f) => ({ attribute: f.attribute, question: prompt, answer: initialCaption, source: 'mtg-caption' as const, confidence: f.confidence }));
  for (const k of kept) {
    for (const f of k.facts) rows.push({ attribute: f.attribute, question: k.question, answer: k.answer, source: 'mtg', confidence: f.confidence });
  }
  return rows;
}

function factsOf(evidence: AttributeEvidence): AnswerFact[] {
  return (Object.keys(evidence) as SlotKey[]).flatMap((attribute) => {
    const top = topValue(evidence, attribute);
    return top && top.p >= DECISIVE ? [{ attribute, value: top.value, confidence: Math.round(top.p * 1000) / 1000 }] : [];
  });
}

function turn(
  kind: MtgTurn['kind'],
  round: number,
  question: string | null,
  source: QuestionSource | null,
  attributes: SlotKey[],
  answer: string,
  kept: boolean,
  reason: DropReason | null,
  facts: AnswerFact[],
  cost: CallCost,
): MtgTurn {
  return { kind, round, question, source, attributes, answer, kept, reason, facts, latencyMs: cost.latencyMs, tokens: cost.tokens };
}

/** Collapses line breaks and runs of spaces: dataset captions are one line. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The Reconstructor's text as a caption: one line, without a leading label ("New description:") or
 * quotes around the whole.
 */
export function cleanCaption(text: string): string {
  let t = oneLine(text).replace(/^(new |final |rewritten |refined )?(description|caption)\s*:\s*/i, '');
  if (t.length >= 2 && /^["“'].*["”']$/.test(t)) t = t.slice(1, -1).trim();
  return t;
}
