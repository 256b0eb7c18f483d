// The port through which web sessions outlive a restart of the server (SQLite in the product).

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

/** Where web sessions are kept between starts. */
export interface SessionPersistence {
  /** Every session seen at or after `seenSinceMs`; older ones are deleted. */
  load(seenSinceMs: number): StoredSession[];
  /** Inserts or replaces one session. */
  save(session: StoredSession): void;
  /** Deletes the session stored under `secretHash`. */
  remove(secretHash: string): void;
  close(): void;
}
