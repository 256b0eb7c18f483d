import { AsyncLocalStorageProviderSingleton } from '@langchain/core/singletons';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import type { BotEvents, OperatorAction } from '../../src/conversation/conversation-types.js';
import { GALLERY_SIZE } from '../graph/dialogue-graph.js';

// The operator agent's tools: one per OperatorAction, each a zod schema the model's arguments must pass
// (ranks 1…10, the gallery's own camera names, ISO 8601 times) and a call of the conversation service's
// `act` for this thread. None deletes data or reads anything beyond the thread's own search.

/** What the tools act on: one thread, through the service. */
export interface OperatorToolContext {
  /** The gallery's camera names (the only values `cameras` accepts). */
  cameras: readonly string[];
  /** Carries out an action on the thread and returns what to show. */
  act(action: OperatorAction): Promise<BotEvents>;
}

const rank = z
  .number({ error: 'A rank is a whole number from 1 to 10, the tile number shown in the gallery.' })
  .int('A rank is a whole number from 1 to 10, the tile number shown in the gallery.')
  .min(1, `Ranks run from 1 to ${GALLERY_SIZE}; there is no rank below 1.`)
  .max(GALLERY_SIZE, `Ranks run from 1 to ${GALLERY_SIZE}; the gallery shows ${GALLERY_SIZE} tiles.`)
  .describe(`Gallery rank, 1 to ${GALLERY_SIZE}`);
const instant = z.iso.datetime({ offset: true, error: 'Times must be ISO 8601 with a time zone, e.g. 2026-12-04T10:00:00Z.' });

/** The tools for one request; `onCall` sees each action before it runs (for "→ like #4" in the thread). */
export function createOperatorTools(ctx: OperatorToolContext, onCall: (action: OperatorAction, events: BotEvents) => void) {
  const run = async (action: OperatorAction): Promise<string> => {
    // The action runs the dialogue graph: as a root run of its own, not as a child of the agent's graph,
    // whose ambient config (checkpoint namespace, signal) would otherwise be inherited.
    const events = await AsyncLocalStorageProviderSingleton.getInstance().run(undefined, () => ctx.act(action));
    onCall(action, events);
    const said = events.flatMap((e) => (e.kind === 'text' ? [e.text] : e.kind === 'gallery' ? [`(gallery of ${e.items.length} shown)`] : e.kind === 'done' ? [e.text] : []));
    return said.join(' ').slice(0, 1000) || 'Done.';
  };
  const cameraNames = ctx.cameras.length > 0 ? z.enum(ctx.cameras as [string, ...string[]], { error: `Camera names are exactly: ${ctx.cameras.join(', ')}.` }) : z.never({ error: 'This gallery records no cameras.' });

  return [
    tool(async ({ cameras, from, to }) => run({ kind: 'filter', ...(cameras !== undefined ? { cameras } : {}), ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) }), {
      name: 'filter_footage',
      description: 'Keeps only images from these cameras and/or captured between these times; null clears that part of the filter.',
      schema: z.object({ cameras: z.array(cameraNames).min(1).max(50).nullable().optional(), from: instant.nullable().optional(), to: instant.nullable().optional() }),
    }),
    tool(async ({ by }) => run({ kind: 'order', by }), {
      name: 'order_gallery',
      description: 'Orders the gallery tiles by capture time (earliest first) or by score (best match first).',
      schema: z.object({ by: z.enum(['time', 'score'], { error: 'Order "by" is either "time" or "score".' }) }),
    }),
    tool(async ({ rank: r }) => run({ kind: 'like', rank: r }), {
      name: 'more_like',
      description: 'Shows the images most like gallery tile #rank (its picture, weighed with the description).',
      schema: z.object({ rank }),
    }),
    tool(async ({ ranks }) => run({ kind: 'exclude', ranks: [...new Set(ranks)] }), {
      name: 'exclude_images',
      description: 'Leaves these gallery tiles out of this search from now on.',
      schema: z.object({ ranks: z.array(rank).min(1, 'Name at least one rank to exclude.').max(GALLERY_SIZE) }),
    }),
    tool(async ({ rank: r }) => run({ kind: 'timeline', rank: r }), {
      name: 'show_timeline',
      description: 'Shows where and when the person in gallery tile #rank was seen.',
      schema: z.object({ rank }),
    }),
    tool(async ({ description }) => run({ kind: 'new-search', description }), {
      name: 'new_search',
      description: "Starts a new search in this thread with the operator's new description of the person.",
      schema: z.object({ description: z.string().trim().min(3, 'A new search needs a description of the person.').max(1000, 'A description is at most 1000 characters.') }),
    }),
    tool(async () => run({ kind: 'export' }), {
      name: 'export_case',
      description: "Exports this thread's case (transcript, galleries, images, audit rows) for a report.",
      schema: z.object({}),
    }),
  ];
}
