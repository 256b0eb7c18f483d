import type { SqliteDatabase } from '../../src/storage/sqlite.js';
import type { ThreadKey } from '../../src/conversation/conversation-types.js';

// When a human last started or answered each conversation, kept beside the checkpoints: what pruning reads
// to find closed and abandoned threads (a checkpoint is ~60 KB and LangGraph never deletes one by itself).

/** The last human activity of each thread, in the checkpoint database (milliseconds since the epoch). */
export class ThreadActivity {
  readonly #touch;
  readonly #lastActive;
  readonly #idle;
  readonly #delete;
  readonly #adoptCheckpoints;
  readonly #adoptOwners;

  constructor(db: SqliteDatabase) {
    db.exec('CREATE TABLE IF NOT EXISTS ctgi_thread_activity (thread TEXT PRIMARY KEY, last_active INTEGER NOT NULL)');
    db.exec('CREATE INDEX IF NOT EXISTS ctgi_thread_activity_last ON ctgi_thread_activity (last_active)');
    this.#touch = db.prepare<[string, number]>('INSERT INTO ctgi_thread_activity (thread, last_active) VALUES (?, ?) ON CONFLICT(thread) DO UPDATE SET last_active = excluded.last_active');
    this.#lastActive = db.prepare<[string], { last_active: number }>('SELECT last_active FROM ctgi_thread_activity WHERE thread = ?');
    this.#idle = db.prepare<[number], { thread: string }>('SELECT thread FROM ctgi_thread_activity WHERE last_active < ? ORDER BY last_active');
    this.#delete = db.prepare<[string]>('DELETE FROM ctgi_thread_activity WHERE thread = ?');
    // Threads from before activity was kept (the checkpointer's and the owners' tables) start their clock now.
    this.#adoptCheckpoints = db.prepare<[number]>('INSERT OR IGNORE INTO ctgi_thread_activity (thread, last_active) SELECT DISTINCT thread_id, ? FROM checkpoints');
    this.#adoptOwners = db.prepare<[number]>('INSERT OR IGNORE INTO ctgi_thread_activity (thread, last_active) SELECT thread, ? FROM ctgi_thread_owner');
  }

  /** Records human activity on `thread` at `at`. */
  touch(thread: ThreadKey, at: number): void {
    this.#touch.run(thread, at);
  }

  /** When a human last started or answered `thread`, or undefined. */
  lastActive(thread: ThreadKey): number | undefined {
    return this.#lastActive.get(thread)?.last_active;
  }

  /** Threads with no human activity since `before`, oldest first. */
  idleBefore(before: number): ThreadKey[] {
    return this.#idle.all(before).map((r) => r.thread);
  }

  /** Gives every checkpointed or owned thread without a record one, dated `at`. */
  adoptUnrecorded(at: number): void {
    this.#adoptCheckpoints.run(at);
    this.#adoptOwners.run(at);
  }

  delete(thread: ThreadKey): void {
    this.#delete.run(thread);
  }
}
