import { z } from 'zod';
import type { Mllm } from './mllm.js';
import { anchorCheckPrompt, NOT_VISIBLE } from './prompts.js';
import { parseJsonLoose } from './json-loose.js';
import { parseYesNo, type YesNo } from './yes-no.js';

// One MLLM call per top-K candidate that carries both the paper's yes/no anchor verification and the
// round's visual questions, so an anchor's answers arrive with its "yes" and a round needs one wave of calls.

/** Loose spellings models use for the verdict ("Yes.", true, "NO") read as yes/no before validation. */
function verdict(value: unknown): unknown {
  if (value === true) return 'yes';
  if (value === false) return 'no';
  if (typeof value !== 'string') return value;
  const v = parseYesNo(value);
  return v === 'unsure' ? value : v;
}

/** One answer: text as given; numbers and booleans as text; empty or missing as "not visible". */
function answer(value: unknown): string {
  if (typeof value === 'string') return value.trim() || NOT_VISIBLE;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return NOT_VISIBLE;
}

/** The JSON an anchor check asks for: `{"match": "yes"|"no", "answers": [string, …]}`. */
export const ANCHOR_CHECK_SCHEMA = z.object({
  match: z.preprocess(verdict, z.enum(['yes', 'no'])),
  answers: z.preprocess((v) => (Array.isArray(v) ? v.map(answer) : v === undefined || v === null ? [] : v), z.array(z.string())),
});

/** A validated anchor-check answer. */
export type AnchorCheck = z.infer<typeof ANCHOR_CHECK_SCHEMA>;

/** An anchor check's outcome: the verdict and one answer per question, in question order. */
export interface AnchorCheckResult {
  match: YesNo;
  answers: string[];
}

/**
 * Asks whether `image` shows the person `description` describes and, in the same call, the visual
 * `questions` about it. A plain-text "Yes."/"No." from a server that ignores the JSON request is accepted
 * with no answers; answers are padded with "not visible" or cut to the number of questions.
 * @throws CtgiError UPSTREAM_FAILED when the server fails or its answer is neither the JSON nor a yes/no.
 */
export async function checkAnchor(mllm: Mllm, description: string, questions: readonly string[], image: Buffer): Promise<AnchorCheckResult> {
  const reply = await mllm.askJson<AnchorCheckResult>(anchorCheckPrompt(description, questions), ANCHOR_CHECK_SCHEMA, [image], {
    name: 'anchor_check',
    fallback: plainYesNo,
  });
  return { match: reply.match, answers: fitAnswers(reply.answers, questions.length) };
}

/** A verdict from an answer with no JSON in it at all ("Yes, that is them."); undefined otherwise. */
function plainYesNo(text: string): AnchorCheckResult | undefined {
  if (parseJsonLoose(text) !== undefined) return undefined;
  const v = parseYesNo(text);
  return v === 'unsure' ? undefined : { match: v, answers: [] };
}

function fitAnswers(answers: readonly string[], n: number): string[] {
  return Array.from({ length: n }, (_, i) => answers[i] ?? NOT_VISIBLE);
}
