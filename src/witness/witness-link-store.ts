import type { BotEvents, ThreadKey } from '../conversation/conversation-types.js';

// The witness-link store port: links (only the SHA-256 of their secret), the browser each one is bound to,
// and the relay outbox that carries a witness's answers to whichever process renders the operator's thread.
// Async throughout so that a PostgreSQL adapter can stand beside the SQLite one.

/** One witness link as stored (the secret itself is never stored). */
export interface WitnessLink {
  /** Public id (16 hex characters), the first half of the token. */
  id: string;
  /** Hex SHA-256 of the token's secret half. */
  secretHash: string;
  thread: ThreadKey;
  /** The operator who created it (platform user id). */
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  revokedAt?: number;
  /** Hex SHA-256 of the cookie secret of the first browser that opened it. */
  browserHash?: string;
  /** Whether the operator chose to show the gallery to the witness (off by default). */
  showGallery: boolean;
}

/**
 * A stored link row as either adapter reads it: the same columns, with times as numbers (SQLite) or as the
 * text PostgreSQL returns for bigint, and the gallery flag as 0/1 (SQLite) or a boolean.
 */
export interface WitnessLinkRow {
  id: string;
  secret_hash: string;
  thread: string;
  created_by: string;
  created_at: number | string;
  expires_at: number | string;
  revoked_at: number | string | null;
  browser_hash: string | null;
  show_gallery: boolean | number;
}

/** The link a stored row holds. */
export function witnessLinkOf(row: WitnessLinkRow): WitnessLink {
  return {
    id: row.id,
    secretHash: row.secret_hash,
    thread: row.thread,
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    ...(row.revoked_at !== null ? { revokedAt: Number(row.revoked_at) } : {}),
    ...(row.browser_hash !== null ? { browserHash: row.browser_hash } : {}),
    showGallery: row.show_gallery === true || row.show_gallery === 1,
  };
}

/** Events a witness's answer produced, waiting for the front end that owns the thread. */
export interface RelayedEvents {
  id: number;
  thread: ThreadKey;
  events: BotEvents;
}

/** Where witness links and relayed answers live (SQLite under CTGI_HOME in the embedded deployment). */
export interface WitnessLinkStore {
  insert(link: WitnessLink): Promise<void>;
  get(id: string): Promise<WitnessLink | undefined>;
  /** Links of `thread` that are neither revoked nor expired at `now`. */
  activeFor(thread: ThreadKey, now: number): Promise<WitnessLink[]>;
  /** Binds the link to a browser unless one is bound already; true when this call bound it. */
  bindBrowser(id: string, browserHash: string): Promise<boolean>;
  revoke(id: string, at: number): Promise<void>;
  setShowGallery(id: string, show: boolean): Promise<void>;
  /** Queues events for the front end of `thread` (another process, perhaps). */
  enqueueRelay(thread: ThreadKey, events: BotEvents, at: number): Promise<void>;
  /** Takes (and removes) the queued events of threads starting with `prefix`, oldest first. */
  takeRelay(prefix: string): Promise<RelayedEvents[]>;
  close(): Promise<void>;
}
