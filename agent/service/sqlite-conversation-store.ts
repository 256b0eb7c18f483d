import { randomBytes } from 'node:crypto';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import { openSqlite, type SqliteDatabase } from '../../src/storage/sqlite.js';
import type { BotEvents, ThreadKey } from '../../src/conversation/conversation-types.js';
import type { ArmedTimer, BroadcastReceiver, ConversationStore } from './conversation-store.js';
import { ThreadActivity } from './thread-activity.js';
import { ThreadOwners } from './thread-owners.js';

// The embedded adapter of ConversationStore: one owner-only SQLite file under CTGI_HOME (checkpoints, owners,
// activity), used by one process. Timers live in memory, as before: after a restart the first look at a
// thread re-arms its timeout.

/** A SqliteSaver over the product's SQLite opener, with its tables created up front. */
class CheckpointStore extends SqliteSaver {
  constructor(db: SqliteDatabase) {
    super(db);
    this.setup();
  }
}

/** ConversationStore in a SQLite file (created when missing; existing conversations resume). */
export class SqliteConversationStore implements ConversationStore {
  readonly checkpointer: CheckpointStore;
  readonly #db: SqliteDatabase;
  readonly #owners: ThreadOwners;
  readonly #activity: ThreadActivity;
  readonly #timers = new Map<ThreadKey, ArmedTimer & { fired: boolean }>();
  #receiver: BroadcastReceiver | undefined;

  private constructor(db: SqliteDatabase) {
    this.#db = db;
    this.checkpointer = new CheckpointStore(db);
    this.#owners = new ThreadOwners(db);
    this.#activity = new ThreadActivity(db);
  }

  /** Opens (creating, owner-only: conversations hold witness descriptions) the checkpoint file. */
  static open(file: string): SqliteConversationStore {
    return new SqliteConversationStore(openSqlite(file, { ownerOnly: true }));
  }

  async ownerOf(thread: ThreadKey): Promise<string | undefined> {
    return this.#owners.get(thread);
  }

  async setOwner(thread: ThreadKey, userId: string): Promise<void> {
    this.#owners.set(thread, userId);
  }

  async touch(thread: ThreadKey, at: number): Promise<void> {
    this.#activity.touch(thread, at);
  }

  async lastActive(thread: ThreadKey): Promise<number | undefined> {
    return this.#activity.lastActive(thread);
  }

  async idleBefore(before: number): Promise<ThreadKey[]> {
    return this.#activity.idleBefore(before);
  }

  async adoptUnrecorded(at: number): Promise<void> {
    this.#activity.adoptUnrecorded(at);
  }

  async forget(thread: ThreadKey): Promise<void> {
    await this.checkpointer.deleteThread(thread);
    this.#owners.delete(thread);
    this.#activity.delete(thread);
    this.#timers.delete(thread);
  }

  /** One process owns the file: the service's own per-thread queue is the whole lock. */
  withThreadLock<T>(_thread: ThreadKey, fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async armTimer(thread: ThreadKey, target: string, dueMs: number, replace: boolean): Promise<ArmedTimer> {
    const current = this.#timers.get(thread);
    if (!replace && current && !current.fired && current.target === target) return strip(current);
    const timer = { thread, target, armId: randomBytes(8).toString('hex'), dueMs, fired: false };
    this.#timers.set(thread, timer);
    return strip(timer);
  }

  async claimTimer(thread: ThreadKey, armId: string): Promise<boolean> {
    const current = this.#timers.get(thread);
    if (!current || current.fired || current.armId !== armId) return false;
    current.fired = true;
    return true;
  }

  async dueTimers(nowMs: number): Promise<ArmedTimer[]> {
    return [...this.#timers.values()].filter((t) => !t.fired && t.dueMs <= nowMs).map(strip);
  }

  /** One process: its own receiver is every receiver. */
  async broadcast(thread: ThreadKey, events: BotEvents): Promise<void> {
    let claimed = false;
    this.#receiver?.(thread, events, async () => !claimed && (claimed = true));
  }

  onBroadcast(receiver: BroadcastReceiver): void {
    this.#receiver = receiver;
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

function strip(t: ArmedTimer): ArmedTimer {
  return { thread: t.thread, target: t.target, armId: t.armId, dueMs: t.dueMs };
}
