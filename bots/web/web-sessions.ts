// Browser sessions of the web chat. The cookie holds a secret; the session's public id (a different random
// value) goes into thread keys and the audit trail, so the audit trail never contains a usable credential.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { BotEvents, ThreadKey } from '../../agent/service/conversation-types.js';

/** One browser session: its current conversation, the images it was shown, its live event streams. */
export interface WebSession {
  /** The cookie value (never logged or stored). */
  readonly secret: string;
  /** Public id: thread keys are `web:<id>:<conversationId>`. */
  readonly id: string;
  conversationId: string;
  /** Image ids shown in this session's conversations: the only ones it may fetch. */
  readonly shownImages: Set<number>;
  readonly streams: Set<ServerResponse>;
  lastSeenMs: number;
  /** Service calls of one session run one at a time (a double click must not answer twice in parallel). */
  queue: Promise<unknown>;
}

export const SESSION_COOKIE = 'ctgi_session';

const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** In-memory sessions with a size cap and idle expiry. */
export class SessionStore {
  readonly #bySecret = new Map<string, WebSession>();
  readonly #byId = new Map<string, WebSession>();
  readonly #maxSessions: number;
  readonly #idleMs: number;
  readonly #now: () => number;

  constructor(options: { maxSessions?: number; idleMs?: number; now?: () => number } = {}) {
    this.#maxSessions = options.maxSessions ?? 1000;
    this.#idleMs = options.idleMs ?? 12 * 3600_000;
    this.#now = options.now ?? Date.now;
  }

  /** The live session whose cookie value is `secret`, touched; undefined when unknown or expired. */
  get(secret: string | undefined): WebSession | undefined {
    if (secret === undefined || !SECRET_PATTERN.test(secret)) return undefined;
    const session = this.#bySecret.get(secret);
    if (!session) return undefined;
    if (this.#now() - session.lastSeenMs > this.#idleMs && session.streams.size === 0) {
      this.#remove(session);
      return undefined;
    }
    session.lastSeenMs = this.#now();
    return session;
  }

  /** The session with public id `id` (for routing asynchronous events). */
  byId(id: string): WebSession | undefined {
    return this.#byId.get(id);
  }

  /** A new session; the least recently seen one without open streams is dropped when the store is full. */
  create(): WebSession {
    if (this.#bySecret.size >= this.#maxSessions) this.#evictOne();
    const session: WebSession = {
      secret: randomBytes(32).toString('base64url'),
      id: randomBytes(9).toString('base64url'),
      conversationId: newConversationId(),
      shownImages: new Set(),
      streams: new Set(),
      lastSeenMs: this.#now(),
      queue: Promise.resolve(),
    };
    this.#bySecret.set(session.secret, session);
    this.#byId.set(session.id, session);
    return session;
  }

  get size(): number {
    return this.#bySecret.size;
  }

  /** Every session (for closing their streams at shutdown). */
  all(): WebSession[] {
    return [...this.#bySecret.values()];
  }

  #evictOne(): void {
    let idle: WebSession | undefined;
    let oldest: WebSession | undefined;
    for (const s of this.#bySecret.values()) {
      if (s.streams.size === 0 && (!idle || s.lastSeenMs < idle.lastSeenMs)) idle = s;
      if (!oldest || s.lastSeenMs < oldest.lastSeenMs) oldest = s;
    }
    // Sessions with a live page are kept while any other can go; the cap holds either way.
    const victim = idle ?? oldest;
    if (!victim) return;
    for (const stream of victim.streams) stream.end();
    victim.streams.clear();
    this.#remove(victim);
  }

  #remove(session: WebSession): void {
    this.#bySecret.delete(session.secret);
    this.#byId.delete(session.id);
  }
}

/** A fresh conversation id (12 random characters). */
export function newConversationId(): string {
  return randomBytes(9).toString('base64url');
}

/** The thread key of the session's current conversation. */
export function threadOf(session: WebSession): ThreadKey {
  return `web:${session.id}:${session.conversationId}`;
}

/** Splits a web thread key into session id and conversation id; undefined for other platforms. */
export function parseWebThread(thread: ThreadKey): { sessionId: string; conversationId: string } | undefined {
  const m = /^web:([A-Za-z0-9_-]+):([A-Za-z0-9_-]+)$/.exec(thread);
  return m ? { sessionId: m[1]!, conversationId: m[2]! } : undefined;
}

/** Adds every gallery image id in `events` to the session's allowed images. */
export function rememberShownImages(session: WebSession, events: BotEvents): void {
  for (const e of events) if (e.kind === 'gallery') for (const item of e.items) session.shownImages.add(item.imageId);
}

/** Runs `task` after the session's earlier calls have finished. */
export function runInSession<T>(session: WebSession, task: () => Promise<T>): Promise<T> {
  const result = session.queue.then(task, task);
  session.queue = result.catch(() => undefined);
  return result;
}
