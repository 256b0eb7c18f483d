import { randomBytes } from 'node:crypto';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import type { PgClient, PgPool } from '../../src/storage/postgres.js';
import { repeatingSelects, repeatOnceOnLostConnection } from '../../src/storage/pg-retry.js';
import type { BotEvents, ThreadKey } from '../../src/conversation/conversation-types.js';
import type { ArmedTimer, BroadcastReceiver, ConversationStore } from './conversation-store.js';

// The shared adapter of ConversationStore: LangGraph's PostgresSaver for the checkpoints and the tables of
// migration 0003 for owners, activity and timers, so that several processes on different hosts serve one
// set of conversations. A turn holds a transaction-scoped advisory lock on the thread (two processes never
// interleave replies) and a timeout is acted on by the one process whose claim UPDATE returns the row.

/** Advisory-lock namespace of ctgi's conversation locks ("ctgi" as an int4). */
const LOCK_NAMESPACE = 0x63746769;
/** Key in that namespace serialising PostgresSaver.setup() between processes starting at once. */
const SETUP_LOCK = 0;
/** The NOTIFY channel announcing a broadcast's row id. */
const EVENTS_CHANNEL = 'ctgi_conversation_events';
/** How soon a lost LISTEN connection is re-opened. */
const RELISTEN_MS = 1000;

interface TimerRow {
  thread: string;
  target: string;
  arm_id: string;
  due_ms: string;
}

/** ConversationStore in PostgreSQL (the schema migrated by openPostgres). */
export class PostgresConversationStore implements ConversationStore {
  readonly checkpointer: PostgresSaver;
  readonly #pool: PgPool;
  readonly #locks: PgPool;
  #receiver: BroadcastReceiver | undefined;
  #listener: PgClient | undefined;
  /** Resolves once this process listens (a broadcast it sends itself is then heard). */
  #listening: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(pool: PgPool, locks: PgPool) {
    this.#pool = pool;
    this.#locks = locks;
    // Its reads (the first query of a turn) ride out a connection a database restart ended.
    this.checkpointer = new PostgresSaver(repeatingSelects(pool));
  }

  /**
   * Opens the store over `pool` (queries and checkpoints) and `locks` (one client per turn in progress, held
   * for its thread lock: a separate pool, so turns waiting on locks never starve the checkpointer), creating
   * the checkpointer's tables under an advisory lock. Closing the store ends both pools.
   */
  static async open(pool: PgPool, locks: PgPool): Promise<PostgresConversationStore> {
    const store = new PostgresConversationStore(pool, locks);
    const client = await locks.connect();
    try {
      // PostgresSaver's own migrations are not safe to run twice at once; processes starting together wait here.
      await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_NAMESPACE, SETUP_LOCK]);
      try {
        await store.checkpointer.setup();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_NAMESPACE, SETUP_LOCK]);
      }
    } finally {
      client.release();
    }
    return store;
  }

  async ownerOf(thread: ThreadKey): Promise<string | undefined> {
    const r = await repeatOnceOnLostConnection(() => this.#pool.query<{ user_id: string }>('SELECT user_id FROM ctgi_thread_owner WHERE thread = $1', [thread]));
    return r.rows[0]?.user_id;
  }

  async setOwner(thread: ThreadKey, userId: string): Promise<void> {
    await this.#pool.query('INSERT INTO ctgi_thread_owner (thread, user_id) VALUES ($1, $2) ON CONFLICT (thread) DO UPDATE SET user_id = excluded.user_id', [thread, userId]);
  }

  async touch(thread: ThreadKey, at: number): Promise<void> {
    await this.#pool.query(
      'INSERT INTO ctgi_thread_activity (thread, last_active) VALUES ($1, $2) ON CONFLICT (thread) DO UPDATE SET last_active = excluded.last_active',
      [thread, Math.round(at)],
    );
  }

  async lastActive(thread: ThreadKey): Promise<number | undefined> {
    const r = await this.#pool.query<{ last_active: string }>('SELECT last_active FROM ctgi_thread_activity WHERE thread = $1', [thread]);
    return r.rows[0] ? Number(r.rows[0].last_active) : undefined;
  }

  async idleBefore(before: number): Promise<ThreadKey[]> {
    const r = await this.#pool.query<{ thread: string }>('SELECT thread FROM ctgi_thread_activity WHERE last_active < $1 ORDER BY last_active', [Math.round(before)]);
    return r.rows.map((x) => x.thread);
  }

  async adoptUnrecorded(at: number): Promise<void> {
    const ms = Math.round(at);
    await this.#pool.query('INSERT INTO ctgi_thread_activity (thread, last_active) SELECT DISTINCT thread_id, $1::bigint FROM checkpoints ON CONFLICT DO NOTHING', [ms]);
    await this.#pool.query('INSERT INTO ctgi_thread_activity (thread, last_active) SELECT thread, $1::bigint FROM ctgi_thread_owner ON CONFLICT DO NOTHING', [ms]);
  }

  async forget(thread: ThreadKey): Promise<void> {
    await this.checkpointer.deleteThread(thread);
    await this.#pool.query('DELETE FROM ctgi_thread_owner WHERE thread = $1', [thread]);
    await this.#pool.query('DELETE FROM ctgi_thread_activity WHERE thread = $1', [thread]);
    await this.#pool.query('DELETE FROM ctgi_conversation_timers WHERE thread = $1', [thread]);
  }

  async withThreadLock<T>(thread: ThreadKey, fn: () => Promise<T>): Promise<T> {
    // Taking the lock is repeatable: an attempt that failed on a connection a database restart ended did nothing.
    const client = await repeatOnceOnLostConnection(async () => {
      const c: PgClient = await this.#locks.connect();
      try {
        await c.query('BEGIN');
        await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_NAMESPACE, thread]);
        return c;
      } catch (err) {
        c.release(err as Error);
        throw err;
      }
    });
    let broken: Error | undefined;
    const lost = (err: Error) => (broken ??= err);
    client.once('error', lost);
    try {
      return await fn();
    } catch (err) {
      // The lock's own connection may be what failed (a database restart): never hand it back to the pool.
      broken = err as Error;
      throw err;
    } finally {
      // COMMIT releases the lock; a connection lost meanwhile released it already (the server ends the session).
      await client.query('COMMIT').catch((err: unknown) => (broken ??= err as Error));
      client.off('error', lost);
      client.release(broken);
    }
  }

  async armTimer(thread: ThreadKey, target: string, dueMs: number, replace: boolean): Promise<ArmedTimer> {
    const armId = randomBytes(8).toString('hex');
    const keep = replace ? 'FALSE' : 't.target = excluded.target AND t.fired_at IS NULL';
    const r = await this.#pool.query<TimerRow>(
      `INSERT INTO ctgi_conversation_timers AS t (thread, target, arm_id, due_ms) VALUES ($1, $2, $3, $4)
       ON CONFLICT (thread) DO UPDATE SET
         target = CASE WHEN ${keep} THEN t.target ELSE excluded.target END,
         arm_id = CASE WHEN ${keep} THEN t.arm_id ELSE excluded.arm_id END,
         due_ms = CASE WHEN ${keep} THEN t.due_ms ELSE excluded.due_ms END,
         fired_at = CASE WHEN ${keep} THEN t.fired_at ELSE NULL END
       RETURNING thread, target, arm_id, due_ms`,
      [thread, target, armId, Math.round(dueMs)],
    );
    return timerOf(r.rows[0]!);
  }

  async claimTimer(thread: ThreadKey, armId: string): Promise<boolean> {
    const r = await this.#pool.query('UPDATE ctgi_conversation_timers SET fired_at = now() WHERE thread = $1 AND arm_id = $2 AND fired_at IS NULL RETURNING thread', [thread, armId]);
    return (r.rowCount ?? 0) > 0;
  }

  async dueTimers(nowMs: number): Promise<ArmedTimer[]> {
    // The periodic sweep is often the first query after a database restart.
    const r = await repeatOnceOnLostConnection(() =>
      this.#pool.query<TimerRow>('SELECT thread, target, arm_id, due_ms FROM ctgi_conversation_timers WHERE fired_at IS NULL AND due_ms <= $1 ORDER BY due_ms LIMIT 1000', [Math.round(nowMs)]),
    );
    return r.rows.map(timerOf);
  }

  async broadcast(thread: ThreadKey, events: BotEvents): Promise<void> {
    await this.#listening;
    await this.#pool.query(
      `WITH e AS (INSERT INTO ctgi_conversation_events (thread, events) VALUES ($1, $2) RETURNING id)
       SELECT pg_notify('${EVENTS_CHANNEL}', id::text) FROM e`,
      [thread, JSON.stringify(events)],
    );
    await this.#pool.query("DELETE FROM ctgi_conversation_events WHERE created_at < now() - interval '1 hour'");
  }

  onBroadcast(receiver: BroadcastReceiver): void {
    const first = !this.#receiver;
    this.#receiver = receiver;
    if (first) this.#listening = this.#listen();
  }

  /** Holds one connection listening for broadcasts, re-opened after a loss (events announced meanwhile are missed). */
  async #listen(): Promise<void> {
    if (this.#closed) return;
    let client: PgClient;
    try {
      client = await this.#locks.connect();
    } catch {
      setTimeout(() => void this.#listen(), RELISTEN_MS).unref();
      return;
    }
    if (this.#closed) return client.release();
    this.#listener = client;
    client.on('notification', (msg) => void this.#deliver(msg.payload));
    client.once('error', (err) => {
      this.#listener = undefined;
      client.release(err);
      if (!this.#closed) setTimeout(() => void this.#listen(), RELISTEN_MS).unref();
    });
    await client.query(`LISTEN ${EVENTS_CHANNEL}`).catch(() => undefined);
  }

  async #deliver(id: string | undefined): Promise<void> {
    if (!id || !/^\d+$/.test(id)) return;
    const r = await this.#pool.query<{ thread: string; events: string }>('SELECT thread, events FROM ctgi_conversation_events WHERE id = $1', [id]).catch(() => undefined);
    const row = r?.rows[0];
    const claim = async () => ((await this.#pool.query('UPDATE ctgi_conversation_events SET claimed = TRUE WHERE id = $1 AND NOT claimed RETURNING id', [id])).rowCount ?? 0) > 0;
    if (row && !this.#closed) this.#receiver?.(row.thread, JSON.parse(row.events) as BotEvents, claim);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const listener = this.#listener;
    this.#listener = undefined;
    if (listener) {
      listener.removeAllListeners('notification');
      await listener.query(`UNLISTEN ${EVENTS_CHANNEL}`).catch(() => undefined);
      listener.release();
    }
    await Promise.allSettled([this.#pool.end(), this.#locks.end()]);
  }
}

function timerOf(row: TimerRow): ArmedTimer {
  return { thread: row.thread, target: row.target, armId: row.arm_id, dueMs: Number(row.due_ms) };
}
