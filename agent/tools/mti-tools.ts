import { tool } from '@langchain/core/tools';
import { interrupt } from '@langchain/langgraph';
import { z } from 'zod';
import { CtgiError } from '../../src/errors/ctgi-error.js';
import { searchText } from '../../src/gallery/text-search.js';
import { checkAnchor } from '../../src/mllm/anchor-check.js';
import { followUpQuestionsPrompt, visualQuestionPrompt } from '../../src/mllm/prompts.js';
import { mergeAnswers, recordAnswer } from '../core/answers.js';
import type { BotEvent } from '../../src/conversation/conversation-types.js';
import { parseQuestionList } from '../round/candidate-checks.js';
import { reconstruct } from '../round/reconstruct.js';
import { readResume } from '../graph/transcript.js';
import { fusedRanking } from '../round/fused-ranking.js';
import { type RoundContext } from '../round/round-state.js';

// The MTI agent's LangChain tools (DESIGN.md: agent/): search the gallery, verify an anchor, ask the MLLM
// about an image, propose follow-up questions, ask the witness, refine the query, re-rank. Each has a zod
// schema and returns plain JSON. The dialogue graph calls them; an LLM agent could bind them as they are.

/** What the tools need besides the round context: reading a gallery image by id. */
export interface ToolContext extends RoundContext {
  readImage: (imageId: number) => Promise<Buffer>;
}

const imageId = z.number().int().nonnegative().describe('Gallery image id');
const answerSchema = z.object({ question: z.string(), answer: z.string(), source: z.enum(['witness', 'mllm']) });

/** Builds the seven MTI tools over one gallery and its models. */
export function createMtiTools(ctx: ToolContext) {
  const needMllm = () => {
    if (!ctx.mllm) throw new CtgiError('UPSTREAM_FAILED', 'No MLLM is configured; set CTGI_MLLM_BASE_URL and CTGI_MLLM_MODEL to let the bot look at images.');
    return ctx.mllm;
  };

  const searchGallery = tool(
    async ({ query, top, exclude }) => {
      const hits = await searchText(ctx.gallery, ctx.textEncoder, query, { top, exact: true, exclude: exclude ?? [] });
      return hits.map((h) => ({ id: h.id, path: h.path, score: h.score, cosine: h.cosine }));
    },
    {
      name: 'search_gallery',
      description: 'CLIP text-to-image search of the person gallery: the best matches for a description, with calibrated scores.',
      schema: z.object({ query: z.string().min(1).max(5000), top: z.number().int().min(1).max(1000).default(20), exclude: z.array(imageId).optional() }),
    },
  );

  const verifyAnchor = tool(
    async ({ description, imageId: id, questions }) => checkAnchor(needMllm(), description, questions ?? [], await ctx.readImage(id)),
    {
      name: 'verify_anchor',
      description: 'Asks the MLLM whether a gallery image matches the description (yes/no), answering optional visual questions about it in the same call.',
      schema: z.object({ description: z.string().min(1), imageId, questions: z.array(z.string().min(1)).max(12).optional() }),
    },
  );

  const askMllm = tool(
    async ({ imageId: id, question }) => ({ answer: await needMllm().ask(visualQuestionPrompt(question), [await ctx.readImage(id)]) }),
    {
      name: 'ask_mllm_about_image',
      description: 'Visual question answering: asks the MLLM one question about one gallery image.',
      schema: z.object({ imageId, question: z.string().min(1).max(500) }),
    },
  );

  const proposeFollowUps = tool(
    async ({ description, imageId: id, max }) => ({ questions: parseQuestionList(await needMllm().ask(followUpQuestionsPrompt(description, max), [await ctx.readImage(id)])).slice(0, max) }),
    {
      name: 'propose_follow_up_questions',
      description: 'Asks the MLLM for follow-up questions about visible attributes the description leaves open, looking at a candidate image.',
      schema: z.object({ description: z.string().min(1), imageId, max: z.number().int().min(1).max(10).default(3) }),
    },
  );

  const askWitness = tool(
    // A LangGraph interrupt: the dialogue pauses (checkpointed) until the witness replies; null = no reply in time.
    async ({ id, text, options, slot, timeoutSeconds }) => {
      const event: BotEvent = { kind: 'question', id, text, options: options.map((o) => ({ label: o, value: o })), freeText: true, timeoutSeconds };
      // Anything but text (the service's timeout marker) is no reply; `by` says who sent it (transcript.ts).
      const { text: reply, by } = readResume(interrupt<BotEvent, unknown>(event));
      return { reply, by, ...(slot ? { slot } : {}) };
    },
    {
      name: 'ask_witness',
      description: 'Asks the human witness a question in the conversation thread and waits for the reply (or silence).',
      schema: z.object({ id: z.string(), text: z.string().min(1), options: z.array(z.string()), slot: z.string().optional(), timeoutSeconds: z.number().positive() }),
    },
  );

  const refineQuery = tool(
    async ({ query, answers }) => {
      const recorded = answers.map((a) => recordAnswer({ question: a.question, source: a.source, reply: a.answer }));
      const rec = await reconstruct(query, mergeAnswers(recorded), ctx.reconstructor);
      return { refined: rec.text, by: rec.source, ...(rec.notice ? { notice: rec.notice } : {}) };
    },
    {
      name: 'refine_query',
      description: 'The Reconstructor: merges the original description and the answers into one refined description (LLM, or a template without one).',
      schema: z.object({ query: z.string().min(1), answers: z.array(answerSchema) }),
    },
  );

  const rerank = tool(
    async ({ query, refined, anchors, rejected, lambda, top }) =>
      (await fusedRanking(ctx, query, refined, anchors, rejected, lambda ?? ctx.options.lambda)).slice(0, top).map(({ id, score, leading }) => ({ id, score, leading })),
    {
      name: 'rerank',
      description: 'Eq. 7 re-ranking: λ·S(q,v) + (1−λ)·S(q̂,v); anchors lead (leading: true); rejected images removed; scores calibrated in [0, 1].',
      schema: z.object({
        query: z.string().min(1),
        refined: z.string().min(1),
        anchors: z.array(imageId).default([]),
        rejected: z.array(imageId).default([]),
        lambda: z.number().min(0).max(1).optional(),
        top: z.number().int().min(1).max(1000).default(10),
      }),
    },
  );

  return { searchGallery, verifyAnchor, askMllm, proposeFollowUps, askWitness, refineQuery, rerank };
}

/** The tools as one object, e.g. for binding to a tool-calling model. */
export type MtiTools = ReturnType<typeof createMtiTools>;
