import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { CtgiError } from '../errors/ctgi-error.js';
import {
  initialCaptionPrompt,
  MTG_REFINEMENT_QUESTIONS,
  PROMPT_LABELS,
  quoteData,
  reconstructionPrompt,
  visualQuestionPrompt,
  type QaPair,
} from '../mllm/prompts.js';

// MTG's prompts in one place: the defaults are the paper's (appendix D.1, via src/mllm/prompts.ts, whose
// fixed sentences the demo MLLM recognises); a user JSON file may replace any of them.

/** The prompts of one MTG run. */
export interface MtgPrompts {
  /** P_init (Eq. 1). */
  initialCaption(): string;
  /** One refinement round's visual question. */
  visualQuestion(question: string): string;
  /** The Reconstructor's rewrite of T_s with the kept answers (Eq. 3). */
  reconstruction(initialDescription: string, answers: readonly QaPair[]): string;
  /** Refinement questions asked before the attribute templates (default: the paper's D.1 pool). */
  questions: readonly string[];
  /** Whether the attribute schema's questions join the pool (default true). */
  attributeQuestions: boolean;
  /** A stable text of everything above, so a resumed job can check it runs with the same prompts. */
  signature: string;
}

/** The paper's prompts (appendix D.1). */
export const DEFAULT_MTG_PROMPTS: MtgPrompts = {
  initialCaption: initialCaptionPrompt,
  visualQuestion: visualQuestionPrompt,
  reconstruction: reconstructionPrompt,
  questions: MTG_REFINEMENT_QUESTIONS,
  attributeQuestions: true,
  signature: 'default',
};

const promptFileSchema = z
  .object({
    initialCaption: z.string().trim().min(1).optional(),
    visualQuestion: z.string().includes('{question}', { message: 'must contain {question}' }).optional(),
    reconstruction: z
      .string()
      .includes('{description}', { message: 'must contain {description}' })
      .includes('{answers}', { message: 'must contain {answers}' })
      .optional(),
    questions: z.array(z.string().trim().min(1)).optional(),
    attributeQuestions: z.boolean().optional(),
  })
  .strict();

/** What a prompt file may hold; every key is optional and falls back to the paper's default. */
export type MtgPromptFile = z.infer<typeof promptFileSchema>;

/** An example prompt file, quoted in error messages. */
export const PROMPT_FILE_EXAMPLE =
  '{"initialCaption": "Describe the person.", "visualQuestion": "Answer about the image: {question}", "reconstruction": "Caption: {description}\\nFacts:\\n{answers}\\nRewrite the caption.", "questions": ["What is the person wearing?"], "attributeQuestions": true}';

/**
 * Prompts from parsed file contents: templates get `{question}`, `{description}` and `{answers}` filled
 * with quoted data (see quoteData), so text from the image's answers can never end the template's quote.
 */
export function promptsFromFile(file: MtgPromptFile): MtgPrompts {
  const { initialCaption, visualQuestion, reconstruction } = file;
  return {
    initialCaption: initialCaption ? () => initialCaption : DEFAULT_MTG_PROMPTS.initialCaption,
    visualQuestion: visualQuestion ? (q) => fill(visualQuestion, { question: quoteData(q) }) : DEFAULT_MTG_PROMPTS.visualQuestion,
    reconstruction: reconstruction
      ? (description, answers) => fill(reconstruction, { description: quoteData(description), answers: formatAnswers(answers) })
      : DEFAULT_MTG_PROMPTS.reconstruction,
    questions: file.questions ?? DEFAULT_MTG_PROMPTS.questions,
    attributeQuestions: file.attributeQuestions ?? true,
    signature: JSON.stringify(file),
  };
}

/**
 * Reads a user prompt file (JSON; see PROMPT_FILE_EXAMPLE).
 * @throws CtgiError NOT_FOUND when it cannot be read, BAD_INPUT when it is not such a file.
 */
export async function loadMtgPrompts(path: string): Promise<MtgPrompts> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CtgiError('NOT_FOUND', `Cannot read the prompt file ${path} (${(err as NodeJS.ErrnoException).code ?? 'read error'}); check the path.`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CtgiError('BAD_INPUT', `The prompt file ${path} is not valid JSON; write an object such as ${PROMPT_FILE_EXAMPLE}.`, { cause: err });
  }
  const parsed = promptFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? `"${issue.path.join('.')}" ` : '';
    throw new CtgiError('BAD_INPUT', `The prompt file ${path} is not usable: ${where}${issue.message}; write an object such as ${PROMPT_FILE_EXAMPLE}.`, {
      cause: parsed.error,
    });
  }
  return promptsFromFile(parsed.data);
}

function fill(template: string, values: Record<string, string>): string {
  // One pass, so a value that happens to contain "{answers}" is not filled again.
  return template.replace(/\{(question|description|answers)\}/g, (whole, key: string) => values[key] ?? whole);
}

function formatAnswers(answers: readonly QaPair[]): string {
  if (answers.length === 0) return '(none)';
  return answers.map((p, i) => `${i + 1}. ${PROMPT_LABELS.question} ${quoteData(p.question)} ${PROMPT_LABELS.answer} ${quoteData(p.answer)}`).join('\n');
}
