// Browser sessions of the web chat. The cookie holds a secret that only its SHA-256 is kept of; the session's
// public id (a different random value) goes into thread keys and the audit trail, so neither the audit trail
// nor the session table holds a usable credential.
import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { BotEvents, ThreadKey } from '../../src/conversation/conversation-types.js';
import type { SessionPersistence, StoredSession } from './web-session-persistence.js';

/** One browser session: its current conversation, the images it was shown, its live event streams. */
export interface WebSession {
  /** SHA-256 (hex) of the cookie value: the key sessions are found and stored under. */
  readonly secretHash: string;
  /** Public id: thread keys are `web:<id>:<conversationId>`. */
  readonly id: string;
  conversationId: string;
  /** The client address (its limits key) that created the session: per-address caps count it there. */
  readonly address: string;
  /** Image ids shown in this session's conversations: the only ones it may fetch. */
  readonly shownImages: Set<number>;
  readonly streams: Set<ServerResponse>;
  lastSeenMs: number;
  /** Service calls of one session run one at a time (a double click must not answer twice in parallel). */
  queue: Promise<unknown>;
  /** Per-session fairness (web-call-limits.ts): calls admitted and not finished, and the rate bucket. */
  calls: { inFlight: number; tokens: number; atMs: number };
}

export const SESSION_COOKIE = 'ctgi_session';

const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** lastSeen is written back at most this often: reads must not turn into a write per request. */
const PERSIST_SEEN_EVERY_MS = 60_000;

export interface SessionStoreOptions {
  /** Sessions kept over all addresses (default 1000). */
  maxSessions?: number;
  /** Sessions one client address (an IPv6 /64) may hold; its own oldest go first (default 50). */
  maxPerAddress?: number;
  /** A session unseen for this long ends (default 12 h). */
  idleMs?: number;
  now?: () => number;
  /** Where sessions outlive a restart (and are shared with other servers); none keeps them in memory only. */
  persistence?: SessionPersistence;
  /** Where a failed write to the persistence is reported (the session lives on in memory). */
  onPersistError?: (err: unknown) => void;
}

/** Sessions with idle expiry, a global and a per-address cap, and optional persistence. */
export class SessionStore {
  readonly #byHash = new Map<string, WebSession>();
  readonly #byId = new Map<string, WebSession>();
  readonly #byAddress = new Map<string, Set<WebSession>>();
  readonly #persistedSeen = new Map<WebSession, number>();
  readonly #maxSessions: number;
  readonly #maxPerAddress: number;
  readonly #idleMs: number;
  readonly #now: () => number;
  readonly #db: SessionPersistence | undefined;
  readonly #onPersistError: (err: unknown) => void;
  /** The last write of each session still in flight: writes of one session are applied in order. */
  readonly #writes = new Map<string, Promise<void>>();
  readonly #loaded: Promise<void>;

  constructor(options: SessionStoreOptions = {}) {
    this.#maxSessions = options.maxSessions ?? 1000;
    this.#maxPerAddress = options.maxPerAddress ?? 50;
    this.#idleMs = options.idleMs ?? 12 * 3600_000;
    this.#now = options.now ?? Date.now;
    this.#db = options.persistence;
    this.#onPersistError = options.onPersistError ?? (() => undefined);
    this.#loaded = (this.#db?.load(this.#now() - this.#idleMs) ?? Promise.resolve([]))
      .then((stored) => {
        for (const s of stored) if (!this.#byHash.has(s.secretHash)) this.#add(restore(s), false);
      })
      .catch((err: unknown) => this.#onPersistError(err));
  }

  /**
   * The session whose cookie value is `secret`, as `get` does, after reading it from the persistence: a
   * session created or moved on by another server (a new conversation, images shown) is seen here too, and
   * one ended elsewhere ends here.
   */
  async resolve(secret: string | undefined): Promise<WebSession | undefined> {
    if (secret === undefined || !SECRET_PATTERN.test(secret)) return undefined;
    await this.#loaded;
    if (!this.#db) return this.get(secret);
    const hash = hashSecret(secret);
    await this.#writes.get(hash);
    let stored: StoredSession | undefined;
    try {
      stored = await this.#db.find(hash);
    } catch (err) {
      // The database is unreachable for a moment: the session as this server knows it serves.
      this.#onPersistError(err);
      return this.get(secret);
    }
    const known = this.#byHash.get(hash);
    if (!stored) {
      if (known) this.#remove(known);
      return undefined;
    }
    if (!known) this.#add(restore(stored), false);
    else merge(known, stored);
    return this.get(secret);
  }

  /** Re-reads a live session from the persistence (another server may have moved it to a new conversation). */
  async refresh(session: WebSession): Promise<void> {
    if (!this.#db) return;
    await this.#writes.get(session.secretHash);
    const stored = await this.#db.find(session.secretHash).catch((err: unknown) => void this.#onPersistError(err));
    if (stored) merge(session, stored);
  }

  /** Resolves once the session's writes so far are stored (a new session before its cookie is handed out). */
  async settled(session: WebSession): Promise<void> {
    await this.#writes.get(session.secretHash);
  }

  /** The live session whose cookie value is `secret`, touched; undefined when unknown or expired. */
  get(secret: string | undefined): WebSession | undefined {
    if (secret === undefined || !SECRET_PATTERN.test(secret)) return undefined;
    const session = this.#byHash.get(hashSecret(secret));
    if (!session) return undefined;
    const now = this.#now();
    if (now - session.lastSeenMs > this.#idleMs) {
      this.#remove(session);
      return undefined;
    }
    session.lastSeenMs = now;
    if (now - (this.#persistedSeen.get(session) ?? 0) > PERSIST_SEEN_EVERY_MS) this.save(session);
    return session;
  }

  /** The session with public id `id` (for routing asynchronous events). */
  byId(id: string): WebSession | undefined {
    return this.#byId.get(id);
  }

  /**
   * A new session for a client at `address` and its cookie value (returned once, kept nowhere). A full
   * address first gives up its own least recently seen session; a full store takes one from the address
   * holding the most, so a flood from one place only ever evicts its own sessions.
   */
  create(address = 'unknown'): { session: WebSession; secret: string } {
    const own = this.#byAddress.get(address);
    if (own && own.size >= this.#maxPerAddress) this.#evictFrom(own);
    else if (this.#byHash.size >= this.#maxSessions) this.#evictFrom(this.#largestAddress());
    const secret = randomBytes(32).toString('base64url');
    const session: WebSession = {
      secretHash: hashSecret(secret),
      id: randomBytes(9).toString('base64url'),
      conversationId: newConversationId(),
      address,
      shownImages: new Set(),
      streams: new Set(),
      lastSeenMs: this.#now(),
      queue: Promise.resolve(),
      calls: { inFlight: 0, tokens: Number.NaN, atMs: 0 },
    };
    this.#add(session, true);
    return { session, secret };
  }

  /** Starts a new conversation in `session` (kept across restarts). */
  newConversation(session: WebSession): void {
    session.conversationId = newConversationId();
    this.save(session);
  }

  /** Adds every gallery image id in `events` to the session's allowed images (kept across restarts). */
  rememberShownImages(session: WebSession, events: BotEvents): void {
    const before = session.shownImages.size;
    for (const e of events) if (e.kind === 'gallery') for (const item of e.items) session.shownImages.add(item.imageId);
    if (session.shownImages.size !== before) this.save(session);
  }

  /** Writes the session through to persistence, if any. */
  save(session: WebSession): void {
    if (!this.#db || !this.#byHash.has(session.secretHash)) return;
    this.#persistedSeen.set(session, session.lastSeenMs);
    const stored = toStored(session);
    this.#write(session.secretHash, (db) => db.save(stored));
  }

  /** Queues a write after the session's earlier ones; failures are reported, never thrown at a request. */
  #write(hash: string, op: (db: SessionPersistence) => Promise<void>): void {
    const db = this.#db;
    if (!db) return;
    const next = (this.#writes.get(hash) ?? Promise.resolve()).then(() => op(db)).catch((err: unknown) => this.#onPersistError(err));
    this.#writes.set(hash, next);
    void next.then(() => {
      if (this.#writes.get(hash) === next) this.#writes.delete(hash);
    });
  }

  /**
   * Ends every session unseen here for longer than the idle time (their streams close with them). Their stored
   * copies stay: another server may have seen them since, and `resolve` ends a stored one that is idle.
   */
  sweep(): void {
    const now = this.#now();
    for (const s of [...this.#byHash.values()]) if (now - s.lastSeenMs > this.#idleMs) this.#remove(s, false);
  }

  get size(): number {
    return this.#byHash.size;
  }

  /** Every session (for closing their streams at shutdown). */
  all(): WebSession[] {
    return [...this.#byHash.values()];
  }

  /** Waits for pending writes and closes the persistence (sessions stay there for the next start). */
  async close(): Promise<void> {
    await this.#loaded;
    await Promise.allSettled([...this.#writes.values()]);
    await this.#db?.close();
  }

  #add(session: WebSession, persist: boolean): void {
    this.#byHash.set(session.secretHash, session);
    this.#byId.set(session.id, session);
    let own = this.#byAddress.get(session.address);
    if (!own) this.#byAddress.set(session.address, (own = new Set()));
    own.add(session);
    if (persist) this.save(session);
    else this.#persistedSeen.set(session, session.lastSeenMs);
  }

  #largestAddress(): Set<WebSession> {
    let largest = new Set<WebSession>();
    for (const own of this.#byAddress.values()) if (own.size > largest.size) largest = own;
    return largest;
  }

  /** Drops the least recently seen session of `sessions`, preferring one without a live page. */
  #evictFrom(sessions: Set<WebSession>): void {
    let idle: WebSession | undefined;
    let oldest: WebSession | undefined;
    for (const s of sessions) {
      if (s.streams.size === 0 && (!idle || s.lastSeenMs < idle.lastSeenMs)) idle = s;
      if (!oldest || s.lastSeenMs < oldest.lastSeenMs) oldest = s;
    }
    const victim = idle ?? oldest;
    if (victim) this.#remove(victim);
  }

  #remove(session: WebSession, stored = true): void {
    // A session's event streams end with it.
    for (const stream of session.streams) stream.end();
    session.streams.clear();
    this.#byHash.delete(session.secretHash);
    this.#byId.delete(session.id);
    this.#persistedSeen.delete(session);
    const own = this.#byAddress.get(session.address);
    own?.delete(session);
    if (own?.size === 0) this.#byAddress.delete(session.address);
    if (stored) this.#write(session.secretHash, (db) => db.remove(session.secretHash));
  }
}

/** SHA-256 of a cookie secret, hex: what the store keeps instead of the secret. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
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

/** Runs `task` after the session's earlier calls have finished. */
export function runInSession<T>(session: WebSession, task: () => Promise<T>): Promise<T> {
  const result = session.queue.then(task, task);
  session.queue = result.catch(() => undefined);
  return result;
}

function toStored(s: WebSession): StoredSession {
  return { secretHash: s.secretHash, id: s.id, thread: threadOf(s), address: s.address, shownImages: [...s.shownImages], lastSeenMs: s.lastSeenMs };
}

/** Takes in what another server stored: its current conversation and the images it showed. */
function merge(session: WebSession, stored: StoredSession): void {
  const parsed = parseWebThread(stored.thread);
  if (parsed?.sessionId === session.id) session.conversationId = parsed.conversationId;
  for (const id of stored.shownImages) session.shownImages.add(id);
  session.lastSeenMs = Math.max(session.lastSeenMs, stored.lastSeenMs);
}

function restore(stored: StoredSession): WebSession {
  const parsed = parseWebThread(stored.thread);
  return {
    secretHash: stored.secretHash,
    id: stored.id,
    conversationId: parsed?.sessionId === stored.id ? parsed.conversationId : newConversationId(),
    address: stored.address,
    shownImages: new Set(stored.shownImages),
    streams: new Set(),
    lastSeenMs: stored.lastSeenMs,
    queue: Promise.resolve(),
    calls: { inFlight: 0, tokens: Number.NaN, atMs: 0 },
  };
}
