// Fairness between chat users: one member starting searches in a loop, or hammering buttons, must not
// crowd out everyone else's searches (each start and answer can cost several model calls).

/** Limits for one kind of request, per user. */
export interface RateLimits {
  /** Requests of one user in flight at once. */
  concurrent: number;
  /** Requests of one user accepted in any `windowMs`. */
  perWindow: number;
  /** Length of the sliding window (default one minute). */
  windowMs?: number;
}

/** The outcome of `tryAcquire`: a slot to release when done, or the sentence to show the user. */
export type Admission = { ok: true; release: () => void } | { ok: false; reason: 'busy' | 'rate'; retryAfterSeconds: number; message: string };

/** Per-user concurrency and sliding-window rate limits; `now` is injectable so tests need no real time. */
export class UserRateLimiter {
  readonly #limits: Required<RateLimits>;
  readonly #now: () => number;
  readonly #what: string;
  readonly #inFlight = new Map<string, number>();
  readonly #recent = new Map<string, number[]>();

  /** `what` names the request in the "slow down" sentence, e.g. "searches" or "answers". */
  constructor(limits: RateLimits, what: string, now: () => number = Date.now) {
    this.#limits = { windowMs: 60_000, ...limits };
    this.#now = now;
    this.#what = what;
  }

  /** Admits one request of `user`, or says why not. */
  tryAcquire(user: string): Admission {
    const now = this.#now();
    const recent = (this.#recent.get(user) ?? []).filter((t) => t > now - this.#limits.windowMs);
    const inFlight = this.#inFlight.get(user) ?? 0;
    if (inFlight >= this.#limits.concurrent) {
      this.#store(user, recent);
      return { ok: false, reason: 'busy', retryAfterSeconds: 1, message: `Slow down: your earlier ${this.#what === 'searches' ? 'search is still starting' : 'reply is still being handled'}; wait for it to finish.` };
    }
    if (recent.length >= this.#limits.perWindow) {
      this.#store(user, recent);
      const retryAfterSeconds = Math.max(1, Math.ceil((recent[0] + this.#limits.windowMs - now) / 1000));
      return { ok: false, reason: 'rate', retryAfterSeconds, message: `Slow down: at most ${this.#limits.perWindow} ${this.#what} a minute per person; try again in ${retryAfterSeconds} s.` };
    }
    recent.push(now);
    this.#store(user, recent);
    this.#inFlight.set(user, inFlight + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        const left = (this.#inFlight.get(user) ?? 1) - 1;
        if (left > 0) this.#inFlight.set(user, left);
        else this.#inFlight.delete(user);
      },
    };
  }

  /** Users with any state kept (bounded by the users active within one window). */
  get trackedUsers(): number {
    return new Set([...this.#inFlight.keys(), ...this.#recent.keys()]).size;
  }

  #store(user: string, recent: number[]): void {
    if (recent.length > 0) this.#recent.set(user, recent);
    else this.#recent.delete(user);
    // Forget users whose window has passed, so the map does not grow with every member ever seen.
    if (this.#recent.size > 1000) {
      const cutoff = this.#now() - this.#limits.windowMs;
      for (const [u, times] of this.#recent) if (times[times.length - 1]! <= cutoff) this.#recent.delete(u);
    }
  }
}

/** Default limits: one search starting at a time and 5 a minute; answers 2 at once and 30 a minute. */
export const DEFAULT_START_LIMITS: RateLimits = { concurrent: 1, perWindow: 5 };
export const DEFAULT_ANSWER_LIMITS: RateLimits = { concurrent: 2, perWindow: 30 };

/** The start and answer limiters a chat front end uses. */
export interface ChatLimiters {
  starts: UserRateLimiter;
  answers: UserRateLimiter;
}

/** Limiters with the given (or default) limits. */
export function chatLimiters(limits: { starts?: RateLimits; answers?: RateLimits } = {}, now: () => number = Date.now): ChatLimiters {
  return { starts: new UserRateLimiter(limits.starts ?? DEFAULT_START_LIMITS, 'searches', now), answers: new UserRateLimiter(limits.answers ?? DEFAULT_ANSWER_LIMITS, 'answers', now) };
}
