import type { BotEvent, BotEvents, BotUser, GalleryItem, OperatorAction, ThreadKey } from '../../src/conversation/conversation-types.js';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import type { ImageFilter } from '../../src/gallery/gallery-store.js';
import { personTimeline } from '../../src/gallery/person-timeline.js';
import { cameraNumber, hasPlaceTime, matchesFilter } from '../../src/gallery/place-time-filter.js';
import { initialDialogue, type DialogueDeps, type DialogueValues } from '../graph/dialogue-graph.js';
import { encodeResume } from '../graph/operator-resume.js';
import { statementOf, type WhereWhenSettings } from './where-when.js';

// The where/when operator actions (ConversationService.act kinds `filter` and `timeline`): the service hands each
// handler the thread's state and the ways to move its dialogue on; handlers never hold state themselves.

/** What a handler may see and do in one thread (the service's lock is held). */
export interface ActionContext {
  thread: ThreadKey;
  user: BotUser;
  deps: DialogueDeps;
  whereWhen: WhereWhenSettings;
  /** The thread's checkpointed state and the question or gallery it waits on. */
  snapshot(): Promise<{ values: Partial<DialogueValues>; pendingEvent: BotEvent | undefined }>;
  /** Resumes the waiting question or gallery with `value`; returns the events the dialogue produced. */
  resume(value: string): Promise<BotEvents>;
  /** Starts the dialogue over from `initial` in the same thread; returns its events. */
  restart(initial: ReturnType<typeof initialDialogue>): Promise<BotEvents>;
}

type Handler<K extends OperatorAction['kind']> = (ctx: ActionContext, action: Extract<OperatorAction, { kind: K }>) => Promise<BotEvents>;

const say = (text: string, tone: 'info' | 'notice' | 'error' = 'info'): BotEvent => ({ kind: 'text', text, tone });

/** Runs a where/when action; user mistakes come back as one `text` event. */
export async function dispatchWhereWhen(ctx: ActionContext, action: Extract<OperatorAction, { kind: 'filter' | 'timeline' }>): Promise<BotEvents> {
  return action.kind === 'filter' ? changeFilter(ctx, action) : showTimeline(ctx, action);
}

/** A filter change: the dialogue searches again within it and posts a new gallery (after a closed search, from its description). */
const changeFilter: Handler<'filter'> = async (ctx, action) => {
  const now = await ctx.snapshot();
  const memory = now.values.memory;
  if (!memory) return [say('There is no search here yet: describe the person (and where or when) to start one.', 'notice')];
  const old = memory.filter ?? {};
  const cameras = action.cameras === undefined ? old.camera : (action.cameras ?? undefined);
  const from = action.from === undefined ? old.from : (action.from ?? undefined);
  const to = action.to === undefined ? old.to : (action.to ?? undefined);
  const known = (await ctx.deps.gallery.cameras()).map((c) => c.camera);
  // "cameras 2,3" from a button, a short command or the agent names cameras by name, number or alias.
  const named = (cameras ?? []).map((c) => ({ asked: c, camera: resolveCamera(c, known, ctx.deps.gallery.manifest.cameraAliases ?? {}) }));
  const unknown = named.filter((n) => n.camera === undefined).map((n) => n.asked);
  if (unknown.length > 0) return [say(`This gallery has no camera ${unknown.join(', ')}; its cameras are ${known.join(', ') || 'none'}.`, 'error')];
  const resolvedCameras = cameras === undefined || cameras === null ? cameras : named.map((n) => n.camera!);
  for (const t of [from, to]) if (t !== undefined && !Number.isFinite(Date.parse(t))) return [say(`"${t.slice(0, 40)}" is not a time; use ISO-8601, e.g. 2026-12-04T14:00:00Z.`, 'error')];
  if (from && to && Date.parse(from) > Date.parse(to)) return [say('The time window ends before it starts; give the earlier time first.', 'error')];
  const filter: ImageFilter = { ...(resolvedCameras && resolvedCameras.length > 0 ? { camera: [...new Set(resolvedCameras)].sort() } : {}), ...(from ? { from } : {}), ...(to ? { to } : {}) };
  const statement = statementOf(ctx.deps.gallery, filter, ctx.whereWhen);
  const active = hasPlaceTime(filter) ? filter : null;
  if (now.pendingEvent && now.values.status !== 'done') {
    // The witness's picks stay pinned only where the new filter still shows them.
    const records = await ctx.deps.gallery.getMany(memory.picked);
    const picked = memory.picked.filter((id) => records.has(id) && matchesFilter(records.get(id)!, active ?? undefined));
    return ctx.resume(encodeResume({ kind: 'filter', filter: active, statement, picked }));
  }
  return ctx.restart(initialDialogue(memory.query, { ...(active ? { filter: active } : {}), statement }));
};

/** The confirmed (or named) person's sightings: own track first, then other cameras, each by time. */
const showTimeline: Handler<'timeline'> = async (ctx, action) => {
  const { values } = await ctx.snapshot();
  let imageId = action.imageId;
  if (imageId === undefined && action.rank !== undefined) {
    imageId = values.shown?.find((i) => i.rank === action.rank)?.imageId;
    if (imageId === undefined) return [say(`There is no #${action.rank} in the gallery shown here.`, 'error')];
  }
  imageId ??= confirmedImage(values);
  if (imageId === undefined) return [say('Confirm a person first ("#n is them", then "done"), or name a tile ("timeline of #3").', 'notice')];
  let entries;
  try {
    entries = await personTimeline(ctx.deps.gallery, imageId, { minCosine: ctx.whereWhen.timelineMinCosine });
  } catch (err) {
    if (isCtgiError(err, 'NOT_FOUND')) return [say(err.message, 'error')];
    throw err;
  }
  const items: GalleryItem[] = entries.map((e, i) => ({
    rank: i + 1,
    imageId: e.record.id,
    path: e.record.path,
    score: e.cosine,
    cosine: e.cosine,
    anchor: e.record.id === imageId,
    ...(e.record.id === imageId ? { mark: 'picked' as const } : {}),
    ...(e.record.camera ? { camera: e.record.camera } : {}),
    ...(e.record.capturedAt ? { takenAt: e.record.capturedAt } : {}),
  }));
  const own = entries.filter((e) => e.sameTrack).length;
  const others = entries.length - own;
  const min = ctx.whereWhen.timelineMinCosine.toFixed(2);
  const text =
    `Timeline of image ${imageId}: ${own} crop${own === 1 ? '' : 's'} from its own track, then ${others} likely sighting${others === 1 ? '' : 's'} on other cameras ` +
    `(similarity ≥ ${min}), each in time order.${others === 0 ? ' Nothing on other cameras looked alike enough.' : ' Sightings on other cameras are look-alikes: check them.'}`;
  return [{ kind: 'timeline', imageId, items, text, demo: ctx.deps.demo }];
};

/** The image the conversation confirmed (its `done` event), else the witness's latest pick. */
function confirmedImage(values: Partial<DialogueValues>): number | undefined {
  const done = [...(values.outbox ?? [])].reverse().find((e) => e.kind === 'done' && e.imageId !== undefined);
  if (done?.kind === 'done' && done.imageId !== undefined) return done.imageId;
  return values.memory?.picked[0];
}

/** The gallery camera a name, alias or number means ("2" → cam2 when exactly one camera ends in 2), if any. */
function resolveCamera(asked: string, known: readonly string[], aliases: Record<string, readonly string[]>): string | undefined {
  const want = asked.trim().toLowerCase();
  const exact = known.find((c) => c.toLowerCase() === want);
  if (exact) return exact;
  const aliased = known.filter((c) => (aliases[c] ?? []).some((a) => a.toLowerCase() === want));
  if (aliased.length === 1) return aliased[0];
  const n = cameraNumber(asked);
  const numbered = n === undefined ? [] : known.filter((c) => cameraNumber(c) === n || new RegExp(`\\D0*${n}$`).test(c));
  return numbered.length === 1 ? numbered[0] : undefined;
}
