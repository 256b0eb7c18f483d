// When and how long to wait before re-sending a failed MLLM request: rate limits (429), server errors (5xx),
// dropped connections and timeouts are worth another try; other 4xx answers will not change.

/** Longest wait a server's Retry-After can impose; anything longer is cut to this. */
export const MAX_RETRY_AFTER_MS = 30_000;
/** Longest exponential back-off step. */
export const MAX_BACKOFF_MS = 8_000;

/** The parts of a failed request the policy looks at. */
export interface FailureInfo {
  /** HTTP status when the server answered. */
  status: number | undefined;
  /** True when the request timed out or the connection failed or dropped. */
  transport: boolean;
  /** Wait the server asked for (Retry-After / retry-after-ms), in ms. */
  retryAfterMs: number | undefined;
  /** A 429 that says the account is out of quota: waiting will not help. */
  quotaExhausted: boolean;
}

/** Reads status, transport failure and Retry-After from an error thrown by the OpenAI client. */
export function describeFailure(err: unknown): FailureInfo {
  const e = err as { status?: unknown; headers?: unknown; code?: unknown; error?: { code?: unknown } } | null;
  const status = typeof e?.status === 'number' ? e.status : undefined;
  return {
    status,
    transport: status === undefined && isTransportError(err),
    retryAfterMs: status === undefined ? undefined : retryAfter(e?.headers),
    quotaExhausted: status === 429 && (e?.code === 'insufficient_quota' || e?.error?.code === 'insufficient_quota'),
  };
}

/** Whether a failure is worth another attempt. */
export function isRetryable(f: FailureInfo): boolean {
  if (f.status !== undefined) return (f.status === 429 && !f.quotaExhausted) || f.status >= 500;
  return f.transport;
}

/**
 * The wait before attempt `attempt + 1` (attempt counts from 1): the server's Retry-After (capped at
 * MAX_RETRY_AFTER_MS) when given, else exponential back-off `baseMs · 2^(attempt−1)` capped at MAX_BACKOFF_MS,
 * with jitter in [50 %, 100 %] so clients that failed together do not retry together.
 */
export function retryDelayMs(f: FailureInfo, attempt: number, baseMs: number, random: () => number = Math.random): number {
  if (f.retryAfterMs !== undefined) return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, f.retryAfterMs));
  const step = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step * (0.5 + 0.5 * random()));
}

/** Retry-After as seconds or an HTTP date, or retry-after-ms; undefined when absent or unreadable. */
export function retryAfter(headers: unknown, now = Date.now()): number | undefined {
  const get = (name: string): string | undefined => {
    if (!headers || typeof headers !== 'object') return undefined;
    const h = headers as { get?: unknown } & Record<string, unknown>;
    const value = typeof h.get === 'function' ? (h.get as (n: string) => unknown).call(headers, name) : h[name];
    return typeof value === 'string' && value.trim() ? value.trim() : undefined;
  };
  const ms = get('retry-after-ms');
  if (ms !== undefined && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const raw = get('retry-after');
  if (raw === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw) * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Timeouts and connection failures, recognised by the OpenAI client's error classes or a socket error code. */
function isTransportError(err: unknown): boolean {
  for (let e = err as { name?: unknown; code?: unknown; cause?: unknown; constructor?: { name?: string } } | undefined, depth = 0; e && depth < 6; depth++) {
    const names = `${String(e.name ?? '')} ${e.constructor?.name ?? ''}`;
    if (/TimeoutError|APIConnection(Timeout)?Error|FetchError/.test(names)) return true;
    if (typeof e.code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(e.code)) return true;
    e = e.cause as typeof e;
  }
  return false;
}
