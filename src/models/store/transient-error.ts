/**
 * A failure worth retrying (connection reset, 5xx, 429, stalled transfer). Its message is already the
 * sentence a user sees once retries run out. Recognised by `name`.
 */
export class TransientError extends Error {
  override readonly name = 'TransientError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** True when `err` is a TransientError. */
export function isTransient(err: unknown): err is TransientError {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'TransientError';
}

/** How often and how patiently to retry transient failures. */
export interface RetryPolicy {
  /** Total tries per operation, the first included. */
  attempts: number;
  /** Wait before retry n (0-based) is `baseDelayMs * 2^n`. */
  baseDelayMs: number;
  /** Injectable so tests need not sleep. */
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 500 };

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `op`, retrying TransientErrors with exponential backoff. When `madeProgress()` says the failed try
 * moved forward, the budget resets (a long download that keeps moving is not abandoned after a few drops).
 * @throws the last error (a TransientError when the budget ran out) or any non-transient error at once.
 */
export async function withRetry<T>(policy: RetryPolicy, op: (attempt: number) => Promise<T>, madeProgress?: () => boolean): Promise<T> {
  const sleep = policy.sleep ?? realSleep;
  let failures = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await op(attempt);
    } catch (err) {
      if (!isTransient(err)) throw err;
      if (madeProgress?.()) failures = 0;
      failures++;
      if (failures >= policy.attempts) {
        throw new TransientError(`${err.message} (gave up after ${failures} attempt${failures === 1 ? '' : 's'})`, { cause: err });
      }
      await sleep(policy.baseDelayMs * 2 ** (failures - 1));
    }
  }
}
