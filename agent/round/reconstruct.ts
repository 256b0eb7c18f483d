import type { Mllm } from '../../src/mllm/mllm.js';
import { queryAggregationPrompt, type QaPair } from '../../src/mllm/prompts.js';
import type { MergedAnswers } from '../core/answers.js';
import { MAX_REFINED_WORDS, templateReconstruct } from '../core/template-reconstructor.js';
import { rewriteContradictions, type RewriteContradiction } from './rewrite-check.js';

// MTI step 5, the Reconstructor (Eq. 6): the MLLM's query aggregation when one is configured, the
// deterministic template merge otherwise, when the MLLM fails, or when its q̂ contradicts q or the answers
// (rewrite-check.ts): the LLM's text is never trusted over what the witness said.

/** The notice when the LLM's rewrite was set aside. */
export const CONTRADICTED_REWRITE = 'The rewritten description contradicted what you said, so I merged your answers myself.';

export interface Reconstruction {
  text: string;
  source: 'unchanged' | 'mllm' | 'template';
  mllmCalls: number;
  notice?: string;
  /** Why the LLM's rewrite was set aside, when it was. */
  contradictions?: RewriteContradiction[];
}

/** The settled answers as question/answer pairs for the aggregation prompt. */
export function answerPairs(merged: MergedAnswers): QaPair[] {
  return [...merged.bySlot.values(), ...merged.freeText].map((a) => ({ question: a.question, answer: a.text }));
}

/** Merges q and the answers into q̂; q unchanged when nothing is settled (no call is made then). */
export async function reconstruct(query: string, merged: MergedAnswers, mllm: Mllm | undefined): Promise<Reconstruction> {
  const pairs = answerPairs(merged);
  if (pairs.length === 0) return { text: query, source: 'unchanged', mllmCalls: 0 };
  if (mllm) {
    try {
      const text = capWords((await mllm.ask(queryAggregationPrompt(query, pairs))).replace(/\s+/g, ' ').trim());
      if (text) {
        const contradictions = rewriteContradictions(query, merged, text);
        if (contradictions.length === 0) return { text, source: 'mllm', mllmCalls: 1 };
        return { ...template(query, merged), mllmCalls: 1, notice: CONTRADICTED_REWRITE, contradictions };
      }
      return { ...template(query, merged), mllmCalls: 1, notice: 'The query rewriter (MLLM) gave an empty answer; the answers were merged by template.' };
    } catch {
      return { ...template(query, merged), mllmCalls: 1, notice: 'The query rewriter (MLLM) could not be reached; the answers were merged by template.' };
    }
  }
  return { ...template(query, merged), mllmCalls: 0 };
}

function template(query: string, merged: MergedAnswers): { text: string; source: 'template' } {
  return { text: templateReconstruct(query, merged).text, source: 'template' };
}

/** The refined query must fit the (stretched) text model: about 248 tokens. */
function capWords(text: string): string {
  const words = text.split(' ');
  return words.length <= MAX_REFINED_WORDS ? text : words.slice(0, MAX_REFINED_WORDS).join(' ');
}
