import { CtgiError } from '../errors/ctgi-error.js';
import type { PgPool } from './postgres.js';

// Riding out a PostgreSQL restart or a dropped connection: long-running writers (shared index builds, gallery
// migration) retry an operation while the server is away instead of failing the whole run. Only connection
// failures are retried; a constraint violation or a bad query fails at once.

/** SQLSTATE classes and socket codes that mean "the server went away", not "the statement is wrong". */
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006', '40001', '40P01']);
const TRANSIENT_MESSAGES = /Connection terminated|connection error|not queryable|terminating connection|the database system is (starting up|shutting down)|timeout exceeded when trying to connect|Cannot reach the database/i;

/** True when `err` (or an error in its `cause` chain) is a lost or refused connection, a server restart or a serialization retry. */
export function isTransientPgError(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 6; e = e.cause as typeof e, depth++) {
    if (typeof e !== 'object') return false;
    if (typeof e.code === 'string' && TRANSIENT_CODES.has(e.code)) return true;
    if (typeof e.message === 'string' && TRANSIENT_MESSAGES.test(e.message)) return true;
  }
  return false;
}

/**
 * Runs an operation that is safe to repeat (a read, or a step that failed before doing anything), once more
 * when it failed on a lost connection: right after a database restart a pooled connection the server already
 * ended fails its next query, and the pool drops it with that error, so the repeat runs on a fresh one. A
 * server that is still away fails the repeat too.
 */
export async function repeatOnceOnLostConnection<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!isTransientPgError(err)) throw err;
    return run();
  }
}

/**
 * The pool, with each plain `SELECT` sent through `pool.query` repeated once on a lost connection (for code
 * that is not ours, e.g. the LangGraph checkpointer, whose reads go through `query` and writes through
 * `connect`). Anything else passes through untouched.
 */
export function repeatingSelects(pool: PgPool): PgPool {
  return new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop !== 'query') {
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (...args: unknown[]) => {
        const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: unknown } | undefined)?.text;
        const run = () => (target.query as (...a: unknown[]) => Promise<unknown>)(...args);
        // Callback-style calls and anything but a SELECT go as they are.
        if (typeof args.at(-1) === 'function' || typeof text !== 'string' || !/^\s*SELECT\b/i.test(text)) return run();
        return repeatOnceOnLostConnection(run);
      };
    },
  });
}

export interface PgRetryOptions {
  /** Give up after the server has been away this long (default 120 s). */
  patienceMs?: number;
  /** Told before each wait, e.g. to print "database unreachable, retrying". */
  onRetry?: (err: unknown, attempt: number) => void;
  /** Further errors worth one more try (e.g. a unique violation a dedupe resolves on the next attempt). */
  alsoRetry?: (err: unknown) => boolean;
}

/** True when `err` or an error in its `cause` chain has this SQLSTATE. */
export function hasPgCode(err: unknown, code: string): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && typeof e === 'object' && depth < 6; e = e.cause as typeof e, depth++) {
    if (e.code === code) return true;
  }
  return false;
}

/**
 * Runs `fn`, again after a growing pause (0.25 s … 2 s) whenever it fails with a transient connection error,
 * for at most `patienceMs`. `fn` must be safe to repeat (idempotent, or checked by its own dedupe).
 * @throws CtgiError UPSTREAM_FAILED when the server stays away; other errors unchanged.
 */
export async function withPgRetry<T>(what: string, fn: () => Promise<T>, options: PgRetryOptions = {}): Promise<T> {
  const patience = options.patienceMs ?? 120_000;
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransientPgError(err) && !(options.alsoRetry?.(err) && attempt <= 3)) throw err;
      if (Date.now() - started >= patience) {
        throw new CtgiError('UPSTREAM_FAILED', `The database stayed unreachable for ${Math.round(patience / 1000)} s while ${what}; run the same command again to resume.`, { cause: err });
      }
      options.onRetry?.(err, attempt);
      await new Promise((r) => setTimeout(r, Math.min(2000, 250 * 2 ** Math.min(attempt - 1, 3))));
    }
  }
}
