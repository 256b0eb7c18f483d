import type { SqliteDatabase } from '../../src/storage/sqlite.js';
import type { ThreadKey } from '../../src/conversation/conversation-types.js';

// Who started each conversation, kept beside the checkpoints so that ownership survives a restart: a thread
// belongs to the user who started it, and nobody else may restart it as their own.

/** The owner of each thread, in the checkpoint database. */
export class ThreadOwners {
  readonly #get;
  readonly #set;
  readonly #delete;

  constructor(db: SqliteDatabase) {
    db.exec('CREATE TABLE IF NOT EXISTS ctgi_thread_owner (thread TEXT PRIMARY KEY, user_id TEXT NOT NULL)');
    this.#get = db.prepare<[string], { user_id: string }>('SELECT user_id FROM ctgi_thread_owner WHERE thread = ?');
    this.#set = db.prepare<[string, string]>('INSERT INTO ctgi_thread_owner (thread, user_id) VALUES (?, ?) ON CONFLICT(thread) DO UPDATE SET user_id = excluded.user_id');
    this.#delete = db.prepare<[string]>('DELETE FROM ctgi_thread_owner WHERE thread = ?');
  }

  /** The user id that started `thread`, or undefined (never started, or started before owners were kept). */
  get(thread: ThreadKey): string | undefined {
    return this.#get.get(thread)?.user_id;
  }

  set(thread: ThreadKey, userId: string): void {
    this.#set.run(thread, userId);
  }

  /** Forgets the owner of a pruned thread. */
  delete(thread: ThreadKey): void {
    this.#delete.run(thread);
  }
}
