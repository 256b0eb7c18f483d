import type { BaseCheckpointSaver } from '@langchain/langgraph';
import type { BotEvents, ThreadKey } from '../../src/conversation/conversation-types.js';

// The port through which the conversation service keeps everything about a conversation that must outlive
// the process or be shared between processes: the dialogue checkpoints, the thread's owner and last human
// activity, its armed timeout, and the lock that lets one process at a time run a turn of a thread.
// Adapters: SQLite under CTGI_HOME (one process), PostgreSQL (several `ctgi serve` / bot processes as one).

/** A timeout armed on a thread's pending question or gallery. */
export interface ArmedTimer {
  thread: ThreadKey;
  /** The reply target it times out (`q:<id>` or `g:<round>`). */
  target: string;
  /** Names this arming: a later arming of the same thread invalidates it. */
  armId: string;
  /** When it is due (milliseconds since the epoch). */
  dueMs: number;
}

/** Receives a broadcast; `claim()` resolves true for exactly one caller over all processes. */
export type BroadcastReceiver = (thread: ThreadKey, events: BotEvents, claim: () => Promise<boolean>) => void;

/** Conversation state shared by every process of a deployment. */
export interface ConversationStore {
  /** LangGraph checkpoints, one thread per conversation. */
  readonly checkpointer: BaseCheckpointSaver;
  /** The user id that started `thread`, or undefined. */
  ownerOf(thread: ThreadKey): Promise<string | undefined>;
  setOwner(thread: ThreadKey, userId: string): Promise<void>;
  /** Records human activity on `thread` at `at` (ms). */
  touch(thread: ThreadKey, at: number): Promise<void>;
  lastActive(thread: ThreadKey): Promise<number | undefined>;
  /** Threads with no human activity since `before`, oldest first. */
  idleBefore(before: number): Promise<ThreadKey[]>;
  /** Gives every checkpointed or owned thread without an activity record one, dated `at`. */
  adoptUnrecorded(at: number): Promise<void>;
  /** Deletes the thread's checkpoints, owner, activity and timer. */
  forget(thread: ThreadKey): Promise<void>;
  /** Runs `fn` while no other process runs a turn of `thread` (calls within one process are serialised by the caller). */
  withThreadLock<T>(thread: ThreadKey, fn: () => Promise<T>): Promise<T>;
  /**
   * Arms the thread's timeout on `target`, due at `dueMs`. With `replace` false an unfired timer already armed
   * on the same target is kept (another process armed it); returns the timer now armed.
   */
  armTimer(thread: ThreadKey, target: string, dueMs: number, replace: boolean): Promise<ArmedTimer>;
  /** Claims an armed timer: true for exactly one caller over all processes, false once fired or re-armed. */
  claimTimer(thread: ThreadKey, armId: string): Promise<boolean>;
  /** Unfired timers due at or before `nowMs` (armed by any process). */
  dueTimers(nowMs: number): Promise<ArmedTimer[]>;
  /** Delivers events no user call returned (a timeout's) to the `onBroadcast` receiver of every process sharing the store. */
  broadcast(thread: ThreadKey, events: BotEvents): Promise<void>;
  /** Sets this process's receiver of broadcasts (its own included); `claim` is true for one caller over all processes. */
  onBroadcast(receiver: BroadcastReceiver): void;
  close(): Promise<void>;
}
