// The port through which web sessions outlive a restart of the server and are shared by every server of a
// deployment: SQLite under CTGI_HOME, or PostgreSQL when a database is configured.

/** One session as stored: the SHA-256 of its cookie secret, never the secret. */
export interface StoredSession {
  /** SHA-256 (hex) of the cookie value. */
  secretHash: string;
  /** Public session id. */
  id: string;
  /** The thread key of the session's current conversation (`web:<id>:<conversationId>`). */
  thread: string;
  /** Client address key that created it (per-address caps). */
  address: string;
  /** Image ids the session was shown and may fetch. */
  shownImages: number[];
  lastSeenMs: number;
}

/** Where web sessions are kept between starts (and, shared, between servers). */
export interface SessionPersistence {
  /** Every session seen at or after `seenSinceMs`; older ones are deleted. */
  load(seenSinceMs: number): Promise<StoredSession[]>;
  /** The session stored under `secretHash` (saved by this or another server), or undefined. */
  find(secretHash: string): Promise<StoredSession | undefined>;
  /** Inserts or replaces one session; images shown are added to those already stored (another server may have shown some). */
  save(session: StoredSession): Promise<void>;
  /** Deletes the session stored under `secretHash`. */
  remove(secretHash: string): Promise<void>;
  close(): Promise<void>;
}
