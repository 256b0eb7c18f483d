// Per-session fairness of the web chat: how many searches and answers one browser may have in flight and how
// fast it may send them, so one session cannot take the service's capacity from everybody else.
import { HttpError } from './http-io.js';
import type { WebSession } from './web-sessions.js';

/** Per-session limits on /api/start, /api/answer and /api/new. */
export interface CallLimits {
  /** Calls of one session admitted and not yet answered: one running plus one queued (default 2). */
  maxInFlight?: number;
  /** Calls one session may send in a burst (default 10). */
  burst?: number;
  /** Sustained calls per minute per session (default 30). */
  perMinute?: number;
}

/**
 * Admits one call of `session` and returns the function that marks it finished.
 * @throws HttpError 429 with a "slow down" sentence when the session has too many calls in flight or sends
 * them faster than its rate.
 */
export function admitCall(session: WebSession, limits: CallLimits, nowMs: number): () => void {
  const maxInFlight = limits.maxInFlight ?? 2;
  const burst = limits.burst ?? 10;
  const perMs = (limits.perMinute ?? 30) / 60_000;
  const calls = session.calls;
  if (calls.inFlight >= maxInFlight) {
    throw new HttpError(429, 'Slow down: your previous request is still being worked on; wait for its answer before sending another.', { 'Retry-After': '2' });
  }
  // Token bucket: `burst` calls at once, refilled at `perMinute`.
  const tokens = Number.isNaN(calls.tokens) ? burst : Math.min(burst, calls.tokens + (nowMs - calls.atMs) * perMs);
  if (tokens < 1) {
    const wait = Math.max(1, Math.ceil((1 - tokens) / perMs / 1000));
    calls.tokens = tokens;
    calls.atMs = nowMs;
    throw new HttpError(429, `Slow down: too many searches and answers from this browser in a short time; try again in ${wait} seconds.`, { 'Retry-After': String(wait) });
  }
  calls.tokens = tokens - 1;
  calls.atMs = nowMs;
  calls.inFlight++;
  let done = false;
  return () => {
    if (!done) calls.inFlight--;
    done = true;
  };
}
