import { Command } from '@langchain/langgraph';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import { DEFAULT_CONVERSATION_RETENTION_DAYS } from '../../src/config/config.js';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { openSqlite, type SqliteDatabase } from '../../src/storage/sqlite.js';
import { compileDialogue, initialDialogue, TIMED_OUT, type DialogueDeps, type DialogueGraph, type DialogueValues } from '../graph/dialogue-graph.js';
import { describeDescription } from './description-check.js';
import { replyTargetOf, type AuditRecord, type AuditSink, type BotEvent, type BotEvents, type BotUser, type ConversationService, type EventListener, type ThreadKey } from '../../src/conversation/conversation-types.js';
import { ThreadActivity } from './thread-activity.js';
import { ThreadOwners } from './thread-owners.js';
import { dispatchAction, type ActionContext } from './operator-actions.js';
import { filterChangeOf, timelineRequestOf } from './filter-change-text.js';
import { describedSearch, whereWhenSettings, type WhereWhenSettings } from './where-when.js';
import type { OperatorAction } from '../../src/conversation/conversation-types.js';

// The front-end-neutral MTI conversation service: start/answer → bot events, over the LangGraph dialogue
// with its SQLite checkpoints. Calls on one thread are serialised; different threads run concurrently.
// Failures never reach the user as a stack trace: they get one sentence and the conversation is kept.

export interface ConversationServiceOptions {
  deps: DialogueDeps;
  /** SQLite file for the dialogue checkpoints (one LangGraph thread per conversation). */
  checkpointFile: string;
  audit?: AuditSink;
  /** Where unexpected errors are reported (never shown to users); default stderr. */
  logError?: (message: string) => void;
  /** Runs on close after the checkpoints are closed (encoders, gallery, demo server). */
  onClose?: () => Promise<void>;
  /** Days after the last human reply before a thread's checkpoints and owner are deleted; default 30. */
  retentionDays?: number;
  /** How often pruning runs besides at start; default hourly. */
  pruneIntervalMs?: number;
  /** The clock pruning and activity use (milliseconds since the epoch); default Date.now. */
  now?: () => number;
  /** Time zone and clock a description's "2 pm" is read in, and the timeline threshold; defaults: the server's zone, `now`. */
  whereWhen?: Partial<WhereWhenSettings>;
}

/** The conversation service, plus pruning on demand (it also runs at start and periodically). */
export interface PrunableConversationService extends ConversationService {
  /** Deletes threads idle for longer than the retention; returns how many. */
  prune(): Promise<number>;
}

const DAY_MS = 86_400_000;
const TIMEOUT_USER: BotUser = { id: 'ctgi', name: 'timeout' };

/** Longest reply accepted; longer replies are cut (a witness's answer is a few words). */
export const MAX_REPLY_CHARS = 1000;
const THREAD_KEY = /^[a-z][a-z0-9-]{0,19}:[^\s:]{1,100}:[^\s]{1,100}$/;

const STALE_REPLY = 'That button belongs to an earlier question; answer the current one.';
const CLOSED_REPLY = 'This search is closed, so its buttons answer nothing. Describe the person you are looking for to start a new search.';
const NOT_OWNER = 'This search belongs to the person who started it; start your own search outside this thread.';

/** Reply targets that may be answered now: the pending event, and the gallery still shown above a pending question. */
function answerable(now: { values: Partial<DialogueValues>; pendingEvent: BotEvent | undefined }): string[] {
  if (!now.pendingEvent) return [];
  const targets = [replyTargetOf(now.pendingEvent)!];
  if (now.pendingEvent.kind === 'question') {
    const shown = [...(now.values.outbox ?? [])].reverse().find((e) => e.kind === 'gallery');
    if (shown) targets.push(replyTargetOf(shown)!);
  }
  return targets;
}

/** A SqliteSaver over the product's SQLite opener, with its tables created up front. */
class CheckpointStore extends SqliteSaver {
  constructor(db: SqliteDatabase) {
    super(db);
    this.setup();
  }
}

/** Creates the service. The checkpoint file is created when missing; existing conversations resume. */
export function createConversationService(options: ConversationServiceOptions): PrunableConversationService {
  // Conversations hold witness descriptions: owner-only, like the audit trail.
  const db = openSqlite(options.checkpointFile, { ownerOnly: true });
  const saver = new CheckpointStore(db);
  const graph: DialogueGraph = compileDialogue(options.deps, saver);
  const owners = new ThreadOwners(db);
  const activity = new ThreadActivity(db);
  const clock = options.now ?? Date.now;
  const retentionMs = (options.retentionDays ?? DEFAULT_CONVERSATION_RETENTION_DAYS) * DAY_MS;
  const listeners = new Set<EventListener>();
  const locks = new Map<ThreadKey, Promise<unknown>>();
  const timers = new Map<ThreadKey, NodeJS.Timeout>();
  const logError = options.logError ?? ((m: string) => process.stderr.write(`${m}\n`));
  const whereWhen = whereWhenSettings(options.whereWhen, clock);
  let closed = false;

  const config = (thread: ThreadKey) => ({ configurable: { thread_id: thread } });
  const audit = (thread: ThreadKey, user: BotUser, kind: AuditRecord['kind'], extra: Partial<AuditRecord> = {}) => {
    try {
      options.audit?.record({ at: new Date().toISOString(), thread, userId: user.id, ...(user.name ? { userName: user.name } : {}), kind, ...extra });
    } catch (err) {
      logError(`ctgi: could not write the audit trail: ${(err as Error).message}`);
    }
  };

  /** Serialises calls per thread. */
  const locked = <T>(thread: ThreadKey, fn: () => Promise<T>): Promise<T> => {
    const prev = locks.get(thread) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    locks.set(thread, tail);
    void tail.then(() => {
      if (locks.get(thread) === tail) locks.delete(thread);
    });
    return run;
  };

  const snapshot = async (thread: ThreadKey) => {
    const s = await graph.getState(config(thread));
    const values = (s.values ?? {}) as Partial<DialogueValues>;
    const interrupts = s.tasks.flatMap((t) => t.interrupts ?? []);
    return { values, next: s.next, pendingEvent: interrupts[0]?.value as BotEvent | undefined };
  };
  type Snapshot = Awaited<ReturnType<typeof snapshot>>;

  /**
   * Runs the graph from `input` and returns the events it produced: the outbox tail plus the pending question
   * or gallery (unless `resendPending` is false: a gallery timeout only adds its reminder).
   */
  const run = async (thread: ThreadKey, user: BotUser, input: Parameters<DialogueGraph['invoke']>[0], resendPending = true): Promise<BotEvents> => {
    const before = (await snapshot(thread)).values.outbox?.length ?? 0;
    try {
      await graph.invoke(input, config(thread));
    } catch (err) {
      logError(`ctgi: conversation ${thread} failed: ${(err as Error)?.stack ?? String(err)}`);
      const sentence = isCtgiError(err) ? err.message : 'Something went wrong on our side; your conversation is kept, so please try that again.';
      return [{ kind: 'text', text: sentence, tone: 'error' }];
    }
    const after = await snapshot(thread);
    const events = [...(after.values.outbox ?? []).slice(before)];
    if (after.pendingEvent && resendPending) events.push(after.pendingEvent);
    for (const e of events) auditEvent(thread, user, e);
    schedule(thread, after);
    return events;
  };

  const auditEvent = (thread: ThreadKey, user: BotUser, e: BotEvent) => {
    if (e.kind === 'question') audit(thread, user, 'question', { text: e.text });
    else if (e.kind === 'gallery') audit(thread, user, 'gallery', { text: e.query, imageIds: e.items.map((i) => i.imageId) });
    else if (e.kind === 'timeline') audit(thread, user, 'gallery', { text: e.text, imageIds: e.items.map((i) => i.imageId) });
    else if (e.kind === 'done') audit(thread, user, 'done', { text: e.text, ...(e.imageId !== undefined ? { imageIds: [e.imageId] } : {}) });
  };

  /**
   * A pending question times out into "no answer" (skipped; the round goes on to its gallery). A pending
   * gallery times out once into a reminder and then waits for a human: no round runs without one.
   */
  const schedule = (thread: ThreadKey, state: Pick<Snapshot, 'pendingEvent' | 'values'>) => {
    clearTimeout(timers.get(thread));
    timers.delete(thread);
    const pending = state.pendingEvent;
    if (closed || !pending || (pending.kind !== 'question' && pending.kind !== 'gallery')) return;
    if (pending.kind === 'gallery' && state.values.reminded) return;
    const target = replyTargetOf(pending);
    const seconds = pending.kind === 'question' ? pending.timeoutSeconds : options.deps.witnessTimeoutSeconds;
    const timer = setTimeout(() => {
      timers.delete(thread);
      void locked(thread, async () => {
        const current = await snapshot(thread);
        if (closed || !current.pendingEvent || replyTargetOf(current.pendingEvent) !== target) return;
        const events = await run(thread, TIMEOUT_USER, new Command({ resume: TIMED_OUT }), pending.kind === 'question');
        if (events.length > 0) for (const l of listeners) l(thread, events);
      }).catch((err: unknown) => logError(`ctgi: timeout of conversation ${thread} failed: ${String(err)}`));
    }, seconds * 1000);
    timer.unref();
    timers.set(thread, timer);
  };

  /** Deletes the checkpoints, owner and activity of threads no human touched within the retention. */
  const prune = async (): Promise<number> => {
    if (closed) return 0;
    const cutoff = clock() - retentionMs;
    activity.adoptUnrecorded(clock());
    let pruned = 0;
    for (const thread of activity.idleBefore(cutoff)) {
      // A thread in use is not abandoned; its activity is re-read in case a reply came in meanwhile.
      if (closed || locks.has(thread)) continue;
      await locked(thread, async () => {
        if (closed || (activity.lastActive(thread) ?? 0) >= cutoff) return;
        clearTimeout(timers.get(thread));
        timers.delete(thread);
        await saver.deleteThread(thread);
        owners.delete(thread);
        activity.delete(thread);
        pruned++;
      });
    }
    return pruned;
  };
  const pruneLogged = () => void prune().catch((err: unknown) => logError(`ctgi: pruning old conversations failed: ${(err as Error)?.message ?? String(err)}`));
  pruneLogged();
  const pruner = setInterval(pruneLogged, options.pruneIntervalMs ?? 3_600_000);
  pruner.unref();

  /** Runs an operator action (the thread's lock held). */
  const act = async (thread: ThreadKey, user: BotUser, action: OperatorAction): Promise<BotEvents> => {
    const ctx: ActionContext = {
      thread,
      user,
      deps: options.deps,
      whereWhen,
      snapshot: () => snapshot(thread),
      resume: (value) => run(thread, user, new Command({ resume: value })),
      restart: async (initial) => {
        clearTimeout(timers.get(thread));
        await saver.deleteThread(thread);
        return run(thread, user, initial);
      },
    };
    activity.touch(thread, clock());
    try {
      const events = await dispatchAction(ctx, action);
      for (const e of events) if (e.kind === 'timeline') auditEvent(thread, user, e);
      return events;
    } catch (err) {
      logError(`ctgi: ${action.kind} in conversation ${thread} failed: ${(err as Error)?.stack ?? String(err)}`);
      return [{ kind: 'text', tone: 'error', text: isCtgiError(err) ? err.message : 'Something went wrong on our side; your conversation is kept, so please try that again.' }];
    }
  };

  /** Typed text that is an operator action on an existing conversation ("any camera", "timeline"), if it is one. */
  const typedAction = async (text: string): Promise<OperatorAction | undefined> =>
    timelineRequestOf(text) ?? (await filterChangeOf(text, options.deps.gallery, whereWhen));

  const badThread = (thread: ThreadKey): BotEvents | undefined =>
    THREAD_KEY.test(thread) ? undefined : [{ kind: 'text', tone: 'error', text: 'This conversation id is not valid (expected platform:channel:thread).' }];

  return {
    demo: options.deps.demo,

    start(thread, user, text) {
      return locked(thread, async () => {
        const bad = badThread(thread);
        if (bad) return bad;
        // A thread belongs to its starter: someone else's description must not restart it as theirs.
        const owner = owners.get(thread);
        if (owner !== undefined && owner !== user.id) {
          audit(thread, user, 'refusal', { text: `not the owner of this search — ${text.slice(0, 500)}` });
          return [{ kind: 'text', tone: 'notice', code: 'not-owner', text: NOT_OWNER }];
        }
        const checked = describeDescription(text, options.deps.textEncoder);
        // "any camera" or "timeline" typed where a description goes acts on the search already in the thread.
        if (checked.ok && owner === user.id && (await snapshot(thread)).values.memory) {
          const action = await typedAction(checked.text);
          if (action) {
            audit(thread, user, 'answer', { text: checked.text });
            return act(thread, user, action);
          }
        }
        audit(thread, user, 'description', { text: text.slice(0, 5000) });
        if (!checked.ok) return [{ kind: 'text', tone: 'error', text: checked.reason }];
        const search = await describedSearch(options.deps.gallery, checked.text, whereWhen);
        if (!search.ok) return [{ kind: 'text', tone: 'error', text: search.reason }];
        owners.set(thread, user.id);
        activity.touch(thread, clock());
        clearTimeout(timers.get(thread));
        // A new description in the same thread starts over.
        await saver.deleteThread(thread);
        const notices: BotEvents = [...checked.notices, ...search.notices].map((n) => ({ kind: 'text', tone: 'notice', text: n }));
        const where = { ...(search.filter ? { filter: search.filter } : {}), ...(search.statement ? { statement: search.statement } : {}) };
        return [...notices, ...(await run(thread, user, initialDialogue(search.text, where)))];
      });
    },

    answer(thread, user, reply, inReplyTo) {
      return locked(thread, async () => {
        const bad = badThread(thread);
        if (bad) return bad;
        const clean = reply.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim().slice(0, MAX_REPLY_CHARS);
        const now = await snapshot(thread);
        if (inReplyTo !== undefined && !answerable(now).includes(inReplyTo)) {
          audit(thread, user, 'refusal', { text: `stale reply to ${inReplyTo.slice(0, 100)}: ${clean}` });
          const closed = !now.pendingEvent && now.values.status === 'done';
          return [{ kind: 'text', tone: 'notice', code: 'stale-reply', text: closed ? CLOSED_REPLY : STALE_REPLY }];
        }
        audit(thread, user, 'answer', { text: clean });
        // Typed "any camera", "after 15:00" or "timeline": an operator action, not an answer.
        const action = inReplyTo === undefined && now.values.memory ? await typedAction(clean) : undefined;
        if (action) return act(thread, user, action);
        if (!now.pendingEvent) {
          // A process stopped in the middle of a step: carry on from the last checkpoint.
          if (now.next.length > 0 && now.values.status === 'active') {
            activity.touch(thread, clock());
            return run(thread, user, null);
          }
          const hint = now.values.status === 'done' ? 'This search is closed.' : 'Nothing here is waiting for an answer.';
          return [{ kind: 'text', tone: 'info', text: `${hint} Describe the person you are looking for to start a search.` }];
        }
        if (!clean) return [{ kind: 'text', tone: 'error', text: 'That reply is empty; pick an option or type an answer.' }, now.pendingEvent];
        activity.touch(thread, clock());
        return run(thread, user, new Command({ resume: clean }));
      });
    },

    act(thread, user, action) {
      return locked(thread, async () => {
        const bad = badThread(thread);
        if (bad) return bad;
        const owner = owners.get(thread);
        if (owner !== undefined && owner !== user.id) {
          audit(thread, user, 'refusal', { text: `not the owner of this search — ${action.kind}` });
          return [{ kind: 'text', tone: 'notice', code: 'not-owner', text: NOT_OWNER }];
        }
        audit(thread, user, 'answer', { text: `[${action.kind}] ${JSON.stringify(action).slice(0, 300)}` });
        return act(thread, user, action);
      });
    },

    async pending(thread) {
      if (badThread(thread)) return [];
      const now = await snapshot(thread);
      if (!now.pendingEvent) return [];
      // After a restart nothing times the pending question out yet: the first look at the thread re-arms it.
      if (!timers.has(thread)) schedule(thread, now);
      if (now.pendingEvent.kind === 'gallery') return [now.pendingEvent];
      const lastGallery = [...(now.values.outbox ?? [])].reverse().find((e) => e.kind === 'gallery');
      return lastGallery ? [lastGallery, now.pendingEvent] : [now.pendingEvent];
    },

    prune,

    async owner(thread) {
      return owners.get(thread);
    },

    readImage(imageId) {
      return options.deps.readImage(imageId);
    },

    onEvents(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(pruner);
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      await Promise.allSettled([...locks.values()]);
      db.close();
      await options.onClose?.();
    },
  };
}
