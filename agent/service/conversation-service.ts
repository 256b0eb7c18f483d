import { join } from 'node:path';
import { Command } from '@langchain/langgraph';
import { DEFAULT_CONVERSATION_RETENTION_DAYS } from '../../src/config/config.js';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { compileDialogue, initialDialogue, TIMED_OUT, type DialogueDeps, type DialogueGraph, type DialogueValues } from '../graph/dialogue-graph.js';
import type { AttributedReply } from '../graph/transcript.js';
import { writeCaseZip } from '../case/case-export.js';
import { caseExporter } from '../case/case-action.js';
import { describeDescription } from './description-check.js';
import {
  replyTargetOf,
  type AuditRecord,
  type AuditSink,
  type BotEvent,
  type BotEvents,
  type BotUser,
  type CaseExport,
  type ConversationService,
  type EventListener,
  type OperatorAction,
  type ThreadKey,
} from '../../src/conversation/conversation-types.js';
import type { ArmedTimer, ConversationStore } from './conversation-store.js';
import { SqliteConversationStore } from './sqlite-conversation-store.js';
import { dispatchOperatorAction, type OperatorActionContext } from './operator-actions.js';
import { classifyOperatorText, describeAction } from '../operator/operator-commands.js';
import type { OperatorAgent } from '../operator/operator-agent.js';
import { dispatchWhereWhen, type ActionContext } from './where-when-actions.js';
import { filterChangeOf, timelineRequestOf } from './filter-change-text.js';
import { describedSearch, whereWhenSettings, type WhereWhenSettings } from './where-when.js';

// The front-end-neutral MTI conversation service: start/answer → bot events, over the LangGraph dialogue
// with its checkpoints in a ConversationStore. Calls on one thread are serialised, across processes too when
// the store is shared; different threads run concurrently.
// Failures never reach the user as a stack trace: they get one sentence and the conversation is kept.

export interface ConversationServiceOptions {
  deps: DialogueDeps;
  /** Where conversations are kept (checkpoints, owners, activity, timers); closed with the service. */
  store?: ConversationStore;
  /** Without `store`: the SQLite file for them (one LangGraph thread per conversation). */
  checkpointFile?: string;
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
  /** Folder case exports go to when no file is named (`<CTGI_HOME>/cases` in the product). */
  caseDir?: string;
  /** How often timeouts armed by any process (one that stopped, with a shared store) are looked for; default 10 s. */
  timerSweepMs?: number;
  /** Builds the case export of a thread (the `export` action); absent: export says it is not configured. */
  exportCase?: (thread: ThreadKey, user: BotUser) => Promise<BotEvents>;
  /** Handles the owner's free-form requests (an LLM agent); absent: only short commands and buttons act. */
  operatorAgent?: OperatorAgent;
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

const OUR_SIDE = 'Something went wrong on our side; your conversation is kept, so please try that again.';
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

/** Creates the service. A checkpoint file is created when missing; existing conversations resume. */
export function createConversationService(options: ConversationServiceOptions): PrunableConversationService {
  if (!options.store && !options.checkpointFile) throw new Error('createConversationService needs a store or a checkpoint file');
  const store = options.store ?? SqliteConversationStore.open(options.checkpointFile!);
  const saver = store.checkpointer;
  const graph: DialogueGraph = compileDialogue(options.deps, saver);
  const clock = options.now ?? Date.now;
  const whereWhen = whereWhenSettings(options.whereWhen, clock);
  const retentionMs = (options.retentionDays ?? DEFAULT_CONVERSATION_RETENTION_DAYS) * DAY_MS;
  const listeners = new Set<EventListener>();
  const locks = new Map<ThreadKey, Promise<unknown>>();
  const timers = new Map<ThreadKey, NodeJS.Timeout>();
  const logError = options.logError ?? ((m: string) => process.stderr.write(`${m}\n`));
  let closed = false;
  const deliver = (thread: ThreadKey, events: BotEvents, claim?: () => Promise<boolean>): void => {
    let claimed = false;
    // One claim per batch in this process too: only one front end handles a thread's platform.
    const delivery = {
      claim: async (): Promise<boolean> => {
        if (claimed) return false;
        claimed = true;
        return claim ? claim() : true;
      },
    };
    for (const l of listeners) l(thread, events, delivery);
  };
  store.onBroadcast(deliver);

  const config = (thread: ThreadKey) => ({ configurable: { thread_id: thread } });
  const audit = async (thread: ThreadKey, user: BotUser, kind: AuditRecord['kind'], extra: Partial<AuditRecord> = {}): Promise<void> => {
    try {
      await options.audit?.record({ at: new Date().toISOString(), thread, userId: user.id, ...(user.name ? { userName: user.name } : {}), kind, ...extra });
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
  /** Serialises calls per thread in this process, and (with a shared store) with every other process. */
  const exclusive = <T>(thread: ThreadKey, fn: () => Promise<T>): Promise<T> => locked(thread, () => store.withThreadLock(thread, fn));
  /** A user's call: when the store fails (a database out of reach), one sentence instead of a rejection. */
  const turn = (thread: ThreadKey, fn: () => Promise<BotEvents>): Promise<BotEvents> =>
    exclusive(thread, fn).catch((err: unknown): BotEvents => {
      logError(`ctgi: conversation ${thread} failed: ${(err as Error)?.stack ?? String(err)}`);
      return [{ kind: 'text', text: OUR_SIDE, tone: 'error' }];
    });

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
      const sentence = isCtgiError(err) ? err.message : OUR_SIDE;
      return [{ kind: 'text', text: sentence, tone: 'error' }];
    }
    const after = await snapshot(thread);
    const events = [...(after.values.outbox ?? []).slice(before)];
    if (after.pendingEvent && resendPending) events.push(after.pendingEvent);
    for (const e of events) await auditEvent(thread, user, e);
    await schedule(thread, after, true);
    return events;
  };

  const auditEvent = async (thread: ThreadKey, user: BotUser, e: BotEvent): Promise<void> => {
    if (e.kind === 'question') await audit(thread, user, 'question', { text: e.text });
    else if (e.kind === 'gallery') await audit(thread, user, 'gallery', { text: e.query, imageIds: e.items.map((i) => i.imageId) });
    else if (e.kind === 'timeline') await audit(thread, user, 'gallery', { text: e.text, imageIds: e.items.map((i) => i.imageId) });
    else if (e.kind === 'done') await audit(thread, user, 'done', { text: e.text, ...(e.imageId !== undefined ? { imageIds: [e.imageId] } : {}) });
  };

  /**
   * A pending question times out into "no answer" (skipped; the round goes on to its gallery). A pending
   * gallery times out once into a reminder and then waits for a human: no round runs without one. The timer is
   * armed in the store (`fresh`: a turn just ran, so it replaces any other) and acted on by whichever process
   * claims it first, so it fires once however many processes armed it.
   */
  const schedule = (thread: ThreadKey, state: Pick<Snapshot, 'pendingEvent' | 'values'>, fresh: boolean): Promise<void> =>
    arm(thread, state, fresh).catch((err: unknown) => logError(`ctgi: arming the timeout of conversation ${thread} failed: ${(err as Error)?.message ?? String(err)}`));
  const arm = async (thread: ThreadKey, state: Pick<Snapshot, 'pendingEvent' | 'values'>, fresh: boolean): Promise<void> => {
    clearTimeout(timers.get(thread));
    timers.delete(thread);
    const pending = state.pendingEvent;
    if (closed || !pending || (pending.kind !== 'question' && pending.kind !== 'gallery')) return;
    if (pending.kind === 'gallery' && state.values.reminded) return;
    const seconds = pending.kind === 'question' ? pending.timeoutSeconds : options.deps.witnessTimeoutSeconds;
    const armed = await store.armTimer(thread, replyTargetOf(pending)!, clock() + seconds * 1000, fresh);
    if (closed) return;
    clearTimeout(timers.get(thread));
    const timer = setTimeout(() => {
      timers.delete(thread);
      fire(armed);
    }, Math.max(0, armed.dueMs - clock()));
    timer.unref();
    timers.set(thread, timer);
  };

  /** Acts on a due timer if this process wins its claim and the thread still waits on its target. */
  const fire = (armed: ArmedTimer): void => {
    const { thread, target } = armed;
    void exclusive(thread, async () => {
      if (closed || !(await store.claimTimer(thread, armed.armId))) return;
      const current = await snapshot(thread);
      if (closed || !current.pendingEvent || replyTargetOf(current.pendingEvent) !== target) return;
      const events = await run(thread, TIMEOUT_USER, new Command({ resume: TIMED_OUT }), current.pendingEvent.kind === 'question');
      // Through the store: the user's live page may be served by another process.
      if (events.length > 0) await store.broadcast(thread, events).catch((err: unknown) => {
        logError(`ctgi: sharing the events of conversation ${thread} failed: ${(err as Error)?.message ?? String(err)}`);
        deliver(thread, events);
      });
    }).catch((err: unknown) => logError(`ctgi: timeout of conversation ${thread} failed: ${String(err)}`));
  };

  /** Fires the timers due that no timer of this process covers (armed by a process that stopped, or another host). */
  const sweep = async (): Promise<void> => {
    if (closed) return;
    for (const armed of await store.dueTimers(clock())) if (!timers.has(armed.thread) && !locks.has(armed.thread)) fire(armed);
  };
  const sweeper = setInterval(() => void sweep().catch((err: unknown) => logError(`ctgi: looking for due timeouts failed: ${(err as Error)?.message ?? String(err)}`)), options.timerSweepMs ?? 10_000);
  sweeper.unref();

  /** Deletes the checkpoints, owner and activity of threads no human touched within the retention. */
  const prune = async (): Promise<number> => {
    if (closed) return 0;
    const cutoff = clock() - retentionMs;
    await store.adoptUnrecorded(clock());
    let pruned = 0;
    for (const thread of await store.idleBefore(cutoff)) {
      // A thread in use is not abandoned; its activity is re-read in case a reply came in meanwhile.
      if (closed || locks.has(thread)) continue;
      await exclusive(thread, async () => {
        if (closed || ((await store.lastActive(thread)) ?? 0) >= cutoff) return;
        clearTimeout(timers.get(thread));
        timers.delete(thread);
        await store.forget(thread);
        pruned++;
      });
    }
    return pruned;
  };
  const pruneLogged = () => void prune().catch((err: unknown) => logError(`ctgi: pruning old conversations failed: ${(err as Error)?.message ?? String(err)}`));
  pruneLogged();
  const pruner = setInterval(pruneLogged, options.pruneIntervalMs ?? 3_600_000);
  pruner.unref();

  const badThread = (thread: ThreadKey): BotEvents | undefined =>
    THREAD_KEY.test(thread) ? undefined : [{ kind: 'text', tone: 'error', text: 'This conversation id is not valid (expected platform:channel:thread).' }];

  // Operator actions change what the waiting node shows: the state is updated as that node and the node
  // re-run, so it interrupts again with the new gallery (or the same question).
  const operatorContext: OperatorActionContext = {
    round: options.deps,
    withThread: (thread, user, fn) =>
      exclusive(thread, async () => {
        const now = await snapshot(thread);
        const node = now.next[0];
        return fn({
          values: now.values,
          pendingEvent: now.pendingEvent,
          update: async (update) => {
            await graph.updateState(config(thread), new Command({ update, goto: node }) as never, node);
            const own = update.outbox ?? [];
            for (const e of own) await auditEvent(thread, user, e);
            return [...own, ...(await run(thread, user, null))];
          },
        });
      }),
    start: (thread, user, text) => service.start(thread, user, text),
    // Without an injected exporter, `export` writes the case under the service's case folder.
    exportCase: options.exportCase ?? ((thread, user) => caseExporter(service)(thread, user)),
  };

  /** Typed text that is a where/when action on an existing conversation ("any camera", "timeline"), if it is one. */
  const typedAction = async (text: string): Promise<OperatorAction | undefined> => timelineRequestOf(text) ?? (await filterChangeOf(text, options.deps.gallery, whereWhen));

  /** A filter change or a timeline (the thread's lock held): the dialogue searches again, or the strip is posted. */
  const whereWhenAction = async (thread: ThreadKey, user: BotUser, action: Extract<OperatorAction, { kind: 'filter' | 'timeline' }>): Promise<BotEvents> => {
    const ctx: ActionContext = {
      thread,
      user,
      deps: options.deps,
      whereWhen,
      snapshot: () => snapshot(thread),
      resume: (value) => run(thread, user, new Command({ resume: value })),
      restart: async (initial) => {
        clearTimeout(timers.get(thread));
        timers.delete(thread);
        await saver.deleteThread(thread);
        return run(thread, user, initial);
      },
    };
    const events = await dispatchWhereWhen(ctx, action);
    for (const e of events) if (e.kind === 'timeline') await auditEvent(thread, user, e);
    return events;
  };

  const act = async (thread: ThreadKey, user: BotUser, action: OperatorAction): Promise<BotEvents> => {
    const bad = badThread(thread);
    if (bad) return bad;
    // A new search checks ownership itself (and may start a thread nobody owns yet).
    const owner = action.kind === 'new-search' ? undefined : await store.ownerOf(thread);
    if (action.kind !== 'new-search' && owner !== user.id) {
      await audit(thread, user, 'refusal', { text: `operator action by someone else: ${describeAction(action)}` });
      return [{ kind: 'text', tone: 'notice', code: 'not-owner', text: owner === undefined ? 'There is no search in this thread to act on. Describe the person you are looking for to start one.' : NOT_OWNER }];
    }
    await audit(thread, user, 'answer', { text: `operator action: ${describeAction(action)}` });
    await store.touch(thread, clock());
    try {
      if (action.kind === 'filter' || action.kind === 'timeline') return await exclusive(thread, () => whereWhenAction(thread, user, action));
      return await dispatchOperatorAction(operatorContext, thread, user, action);
    } catch (err) {
      logError(`ctgi: operator action in ${thread} failed: ${(err as Error)?.stack ?? String(err)}`);
      return [{ kind: 'text', tone: 'error', text: isCtgiError(err) ? err.message : 'That request failed on our side; the search is kept, so please try it again.' }];
    }
  };

  /**
   * The owner's typed text that is a short command (or a button's command value) is an action; their typed
   * free-form request goes to the agent when one is configured. Anyone else's text, and anything that reads
   * as an answer, is left to the dialogue: the witness's words never reach the agent.
   */
  const operatorText = async (thread: ThreadKey, user: BotUser, text: string, button: boolean): Promise<BotEvents | undefined> => {
    if (badThread(thread)) return undefined;
    const owner = await store.ownerOf(thread);
    // Typed "any camera", "after 15:00" or "timeline" from the owner: an operator action, not an answer.
    if (!button && owner === user.id && (await snapshot(thread)).values.memory) {
      const typed = await typedAction(text);
      if (typed) {
        await audit(thread, user, 'answer', { text: text.slice(0, 1000) });
        return act(thread, user, typed);
      }
    }
    const kind = classifyOperatorText(text);
    if (kind.kind === 'answer') return undefined;
    if (kind.kind === 'command') {
      if (owner === undefined) return undefined;
      const events = await act(thread, user, kind.action);
      // Front ends retire a pressed button's message; when the action (an export) posted nothing new to
      // answer, what is pending is posted again so its buttons stay usable.
      if (!button || events.some((e) => e.kind === 'gallery' || e.kind === 'question' || e.kind === 'done')) return events;
      return [...events, ...(await service.pending(thread))];
    }
    if (button || owner !== user.id || !options.operatorAgent) return undefined;
    await audit(thread, user, 'answer', { text: `operator request: ${text.slice(0, 1000)}` });
    const shown = (await snapshot(thread)).values.shown?.length ?? 0;
    const cameras = (await options.deps.gallery.cameras()).map((c) => c.camera);
    return options.operatorAgent.handle({ text, cameras, shown, act: (action) => act(thread, user, action) });
  };

  /** The owner's "any camera", "timeline" or short command typed where a description goes, acted on; else undefined. */
  const startAsAction = async (thread: ThreadKey, user: BotUser, text: string): Promise<BotEvents | undefined> => {
    if (badThread(thread) || (await store.ownerOf(thread)) !== user.id) return undefined;
    const typed = (await snapshot(thread)).values.memory ? await typedAction(text) : undefined;
    if (typed) {
      await audit(thread, user, 'answer', { text: text.slice(0, 1000) });
      return act(thread, user, typed);
    }
    return classifyOperatorText(text).kind === 'command' ? operatorText(thread, user, text, false) : undefined;
  };

  const service: PrunableConversationService = {
    demo: options.deps.demo,

    async start(thread, user, text) {
      // A short command typed where a description may go (a closed search's thread) acts instead.
      const routed = await startAsAction(thread, user, text).catch(() => undefined);
      if (routed) return routed;
      return turn(thread, async () => {
        const bad = badThread(thread);
        if (bad) return bad;
        // A thread belongs to its starter: someone else's description must not restart it as theirs.
        const owner = await store.ownerOf(thread);
        if (owner !== undefined && owner !== user.id) {
          await audit(thread, user, 'refusal', { text: `not the owner of this search — ${text.slice(0, 500)}` });
          return [{ kind: 'text', tone: 'notice', code: 'not-owner', text: NOT_OWNER }];
        }
        const checked = describeDescription(text, options.deps.textEncoder);
        await audit(thread, user, 'description', { text: text.slice(0, 5000) });
        if (!checked.ok) return [{ kind: 'text', tone: 'error', text: checked.reason }];
        const search = await describedSearch(options.deps.gallery, checked.text, whereWhen);
        if (!search.ok) return [{ kind: 'text', tone: 'error', text: search.reason }];
        await store.setOwner(thread, user.id);
        await store.touch(thread, clock());
        clearTimeout(timers.get(thread));
        // A new description in the same thread starts over.
        await saver.deleteThread(thread);
        const notices: BotEvents = [...checked.notices, ...search.notices].map((n) => ({ kind: 'text', tone: 'notice', text: n }));
        const where = { ...(search.filter ? { filter: search.filter } : {}), ...(search.statement ? { statement: search.statement } : {}) };
        return [...notices, ...(await run(thread, user, initialDialogue(search.text, where)))];
      });
    },

    async answer(thread, user, reply, inReplyTo) {
      // A store failure while routing falls through to the dialogue's turn, which says so in one sentence.
      const routed = await operatorText(thread, user, reply.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim().slice(0, MAX_REPLY_CHARS), inReplyTo !== undefined).catch(() => undefined);
      if (routed) return routed;
      return turn(thread, async () => {
        const bad = badThread(thread);
        if (bad) return bad;
        const clean = reply.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim().slice(0, MAX_REPLY_CHARS);
        const now = await snapshot(thread);
        if (inReplyTo !== undefined && !answerable(now).includes(inReplyTo)) {
          await audit(thread, user, 'refusal', { text: `stale reply to ${inReplyTo.slice(0, 100)}: ${clean}` });
          const closed = !now.pendingEvent && now.values.status === 'done';
          return [{ kind: 'text', tone: 'notice', code: 'stale-reply', text: closed ? CLOSED_REPLY : STALE_REPLY }];
        }
        await audit(thread, user, 'answer', { text: clean });
        if (!now.pendingEvent) {
          // A process stopped in the middle of a step: carry on from the last checkpoint.
          if (now.next.length > 0 && now.values.status === 'active') {
            await store.touch(thread, clock());
            return run(thread, user, null);
          }
          const hint = now.values.status === 'done' ? 'This search is closed.' : 'Nothing here is waiting for an answer.';
          return [{ kind: 'text', tone: 'info', text: `${hint} Describe the person you are looking for to start a search.` }];
        }
        if (!clean) return [{ kind: 'text', tone: 'error', text: 'That reply is empty; pick an option or type an answer.' }, now.pendingEvent];
        await store.touch(thread, clock());
        // Who sent it goes into the transcript: the witness through their link, or someone in the thread.
        const attributed: AttributedReply = { text: clean, by: user.via === 'witness-link' ? 'witness-link' : 'operator' };
        return run(thread, user, new Command({ resume: attributed }));
      });
    },

    async pending(thread) {
      if (badThread(thread)) return [];
      const now = await snapshot(thread);
      if (!now.pendingEvent) return [];
      // After a restart (or in another process) nothing here times the pending question out yet: the first look
      // at the thread arms it here too, keeping the due time of a timer already armed.
      if (!timers.has(thread)) await schedule(thread, now, false);
      if (now.pendingEvent.kind === 'gallery') return [now.pendingEvent];
      const lastGallery = [...(now.values.outbox ?? [])].reverse().find((e) => e.kind === 'gallery');
      return lastGallery ? [lastGallery, now.pendingEvent] : [now.pendingEvent];
    },

    act,

    prune,

    async status(thread) {
      if (badThread(thread)) return 'none';
      const now = await snapshot(thread);
      return now.values.status ?? 'none';
    },

    async owner(thread) {
      return store.ownerOf(thread);
    },

    async exportCase(thread, user, exportOptions = {}): Promise<CaseExport> {
      const refuse = async (why: string, text: string): Promise<CaseExport> => {
        await audit(thread, user, 'refusal', { text: `case export refused: ${why}` });
        return { ok: false, text };
      };
      if (badThread(thread)) return refuse('not a conversation id', 'This conversation id is not valid (expected platform:channel:thread).');
      const { now, owner } = await locked(thread, async () => ({ now: await snapshot(thread), owner: await store.ownerOf(thread) }));
      if (!now.values.memory) return refuse('unknown conversation', `There is no conversation ${thread} to export.`);
      if (!exportOptions.anyOwner && owner !== user.id) return refuse('not the owner', 'Only the person who started this search can export it.');
      const exportedAt = new Date(clock()).toISOString();
      const out = exportOptions.out ?? (options.caseDir ? join(options.caseDir, caseFileName(thread, exportedAt)) : undefined);
      if (!out) return { ok: false, text: 'Case export has no folder to write to here; name a file (ctgi case export THREAD --out case.zip).' };
      try {
        const written = await writeCaseZip(
          {
            thread,
            ...(owner !== undefined ? { owner } : {}),
            exportedAt,
            exportedBy: user.name ? `${user.name} (${user.id})` : user.id,
            demo: options.deps.demo,
            values: now.values,
            ...(now.pendingEvent ? { pendingEvent: now.pendingEvent } : {}),
            audit: (await options.audit?.threadRecords?.(thread)) ?? [],
            readImage: options.deps.readImage,
          },
          out,
        );
        return { ok: true, ...written };
      } catch (err) {
        logError(`ctgi: case export of ${thread} failed: ${(err as Error)?.stack ?? String(err)}`);
        return { ok: false, text: `The case could not be written to ${out}: ${(err as NodeJS.ErrnoException).code ?? 'unexpected error'}.` };
      }
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
      clearInterval(sweeper);
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      await Promise.allSettled([...locks.values()]);
      await store.close();
      await options.onClose?.();
    },
  };
  return service;
}

/** The file name of a case export: the thread and the instant, safe on every file system. */
function caseFileName(thread: ThreadKey, at: string): string {
  return `case-${thread.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 120)}-${at.replace(/[:.]/g, '-')}.zip`;
}
