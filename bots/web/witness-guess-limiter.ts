// Counts invalid witness-link tokens per client address, so that guessing is throttled long before it could
// matter (a token holds 256 random bits; this mostly keeps scanners out of the logs and the audit trail).

export interface GuessLimits {
  /** Invalid tokens an address may present per window (default 20). */
  maxFailures?: number;
  /** Window length in milliseconds (default 10 minutes). */
  windowMs?: number;
}

/** Per-address failure counts in fixed windows. */
export class GuessLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #counts = new Map<string, { startMs: number; failures: number }>();

  constructor(limits: GuessLimits = {}) {
    this.#max = limits.maxFailures ?? 20;
    this.#windowMs = limits.windowMs ?? 600_000;
  }

  /** Whether `address` is over its limit now. */
  blocked(address: string, nowMs: number): boolean {
    const entry = this.#counts.get(address);
    return entry !== undefined && nowMs - entry.startMs < this.#windowMs && entry.failures >= this.#max;
  }

  /** Records one invalid token from `address`. */
  fail(address: string, nowMs: number): void {
    let entry = this.#counts.get(address);
    if (!entry || nowMs - entry.startMs >= this.#windowMs) {
      entry = { startMs: nowMs, failures: 0 };
      this.#counts.set(address, entry);
    }
    entry.failures++;
    // Old windows are dropped now and then, so the map cannot grow without bound.
    if (this.#counts.size > 10_000) for (const [k, v] of this.#counts) if (nowMs - v.startMs >= this.#windowMs) this.#counts.delete(k);
  }
}
