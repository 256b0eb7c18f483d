import type { BotEvent, BotEvents, BotUser, GalleryItem, OperatorAction, ThreadKey } from '../../src/conversation/conversation-types.js';
import { GALLERY_OPTIONS, GALLERY_SIZE, type DialogueValues } from '../graph/dialogue-graph.js';
import { describeAction, parseOperatorCommand } from '../operator/operator-commands.js';
import { operatorOptions, orderTiles } from '../operator/gallery-order.js';
import { likeRanking } from '../operator/like-search.js';
import { galleryItems } from '../round/gallery-items.js';
import type { RoundContext } from '../round/round-state.js';

// The operator's requests (OperatorAction), one handler per kind. They change what the dialogue shows —
// the order of the tiles, a "more like #n" view, images left out — by updating the dialogue's checkpointed
// state and re-running the node that waits for the witness, so "#n" always names the tile shown at n.
// They never answer the witness's question and never run a round themselves.

/** One thread's dialogue, read and updated under the thread's lock. */
export interface ThreadAccess {
  values: Partial<DialogueValues>;
  /** The question or gallery waiting for the witness, if any. */
  pendingEvent: BotEvent | undefined;
  /**
   * Applies `update` to the dialogue state and re-runs the waiting node; returns the events to show: the
   * update's own outbox, then what the node says (the gallery again, or the pending question again).
   */
  update(update: Partial<DialogueValues>): Promise<BotEvents>;
}

/** What the handlers need from the conversation service. */
export interface OperatorActionContext {
  round: Pick<RoundContext, 'gallery' | 'textEncoder' | 'options'>;
  /** Runs `fn` on the thread's dialogue under the thread's lock. */
  withThread(thread: ThreadKey, user: BotUser, fn: (access: ThreadAccess) => Promise<BotEvents>): Promise<BotEvents>;
  /** Starts a new search in the thread (the service's own `start`). */
  start(thread: ThreadKey, user: BotUser, text: string): Promise<BotEvents>;
  /** Builds the case export; absent when this build has none. */
  exportCase?: (thread: ThreadKey, user: BotUser) => Promise<BotEvents>;
}

type Handler<K extends OperatorAction['kind']> = (ctx: OperatorActionContext, thread: ThreadKey, user: BotUser, action: Extract<OperatorAction, { kind: K }>) => Promise<BotEvents>;

const say = (text: string, tone: 'info' | 'notice' | 'error' = 'info'): BotEvent => ({ kind: 'text', text, tone });
const NOTHING_SHOWN = 'There is no gallery in this thread to act on. Describe the person you are looking for to start a search.';
const CLOSED = 'This search is closed, so its gallery cannot change. Start a new search ("new search: …") to look again.';

/** The gallery and search actions; `filter` and `timeline` are the where/when actions (where-when-actions.ts). */
export type GalleryAction = Exclude<OperatorAction, { kind: 'filter' | 'timeline' }>;

const HANDLERS: { [K in GalleryAction['kind']]: Handler<K> } = {
  order: (ctx, thread, user, action) =>
    withGallery(ctx, thread, user, async (access, shown) => {
      const tiles = orderTiles(shown, action.by, access.values.ranking);
      const how = action.by === 'time' ? 'by capture time, earliest first' : 'by score, best first';
      const untimed = action.by === 'time' && shown.every((i) => !i.takenAt) ? ' (these images carry no capture time, so the order is unchanged)' : '';
      return access.update({ order: action.by, shown: tiles, outbox: [say(`Gallery ordered ${how}${untimed}; "#n" now names the tile shown at n.`), ...regallery(access, tiles, action.by)] });
    }),

  like: (ctx, thread, user, action) =>
    withGallery(ctx, thread, user, async (access, shown) => {
      const item = shown.find((i) => i.rank === action.rank);
      if (!item) return [say(`There is no #${action.rank} in the gallery; pick a number from 1 to ${shown.length}.`, 'error')];
      const memory = access.values.memory!;
      const ranking = await likeRanking(ctx.round, memory.current, item.imageId, memory.rejected, memory.picked);
      const tiles = orderTiles(await galleryItems(ctx.round.gallery, ranking.slice(0, GALLERY_SIZE), memory.picked), access.values.order, ranking.map((r) => r.id));
      const text = say(`More like #${action.rank}: the images nearest to it, weighed with the description, come first.`);
      return access.update({ ranking: ranking.map((r) => r.id), shown: tiles, outbox: [text, ...regallery(access, tiles, access.values.order)] });
    }),

  exclude: (ctx, thread, user, action) =>
    withGallery(ctx, thread, user, async (access, shown) => {
      const missing = action.ranks.filter((r) => !shown.some((i) => i.rank === r));
      if (action.ranks.length === 0 || missing.length > 0) {
        return [say(`There is no ${missing.map((r) => `#${r}`).join(', ') || 'rank'} in the gallery; name ranks from 1 to ${shown.length}.`, 'error')];
      }
      const ids = shown.filter((i) => action.ranks.includes(i.rank)).map((i) => i.imageId);
      const memory = access.values.memory!;
      const kept = shown.filter((i) => !ids.includes(i.imageId));
      const tiles = orderTiles(kept, access.values.order, access.values.ranking);
      const text = say(`Left out ${action.ranks.map((r) => `#${r}`).join(', ')} from now on; ${tiles.length} image${tiles.length === 1 ? '' : 's'} remain in this gallery.`);
      return access.update({
        memory: { ...memory, rejected: [...new Set([...memory.rejected, ...ids])], picked: memory.picked.filter((id) => !ids.includes(id)) },
        ranking: (access.values.ranking ?? []).filter((id) => !ids.includes(id)),
        shown: tiles,
        outbox: [text, ...regallery(access, tiles, access.values.order)],
      });
    }),

  'new-search': async (ctx, thread, user, action) =>
    // start() reads a short command as one; a description must describe someone.
    parseOperatorCommand(action.description) ? [say('After "new search:" describe the person, e.g. "new search: a woman in a green coat".', 'error')] : ctx.start(thread, user, action.description),

  export: async (ctx, thread, user) => (ctx.exportCase ? ctx.exportCase(thread, user) : [say('Case export is not configured in this build, so nothing was exported.', 'notice')]),
};

/** Carries out one operator action on a thread (the caller has checked that `user` owns it). */
export function dispatchOperatorAction(ctx: OperatorActionContext, thread: ThreadKey, user: BotUser, action: GalleryAction): Promise<BotEvents> {
  const handler = HANDLERS[action.kind] as Handler<GalleryAction['kind']> | undefined;
  if (!handler) return Promise.resolve([say(`"${describeAction(action)}" is not something this build can do.`, 'error')]);
  return handler(ctx, thread, user, action);
}

/** Runs `fn` when the thread's search is open and shows a gallery; otherwise says why not. */
function withGallery(ctx: OperatorActionContext, thread: ThreadKey, user: BotUser, fn: (access: ThreadAccess, shown: GalleryItem[]) => Promise<BotEvents>): Promise<BotEvents> {
  return ctx.withThread(thread, user, async (access) => {
    const shown = access.values.shown ?? [];
    if (!access.pendingEvent) return [say(access.values.status === 'done' ? CLOSED : NOTHING_SHOWN, 'notice')];
    if (shown.length === 0 || !access.values.memory) return [say(NOTHING_SHOWN, 'notice')];
    return fn(access, shown);
  });
}

/**
 * The gallery event to post when a question is pending: the question's node re-asks it, and the gallery
 * above it must show the new tiles. A pending gallery is re-posted by its own node.
 */
function regallery(access: ThreadAccess, tiles: GalleryItem[], order: DialogueValues['order']): BotEvent[] {
  if (access.pendingEvent?.kind !== 'question') return [];
  const last = [...(access.values.outbox ?? [])].reverse().find((e): e is Extract<BotEvent, { kind: 'gallery' }> => e.kind === 'gallery');
  if (!last) return [];
  return [{ ...last, items: tiles, options: [...GALLERY_OPTIONS, ...operatorOptions(order)] }];
}
