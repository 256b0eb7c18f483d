import { describe, expect, it } from 'vitest';
import { describeFailure, isRetryable, MAX_BACKOFF_MS, retryAfter, retryDelayMs } from '../../src/mllm/retry-policy.js';

const http = (status: number, headers: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({ status, headers: new Headers(headers), ...extra });

describe('describeFailure and isRetryable', () => {
  it.each([
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [422, false],
  ])('HTTP %i → retry %s', (status, retry) => {
    expect(isRetryable(describeFailure(http(status)))).toBe(retry);
  });

  it('does not retry a 429 that says the quota is used up', () => {
    expect(isRetryable(describeFailure(http(429, {}, { code: 'insufficient_quota' })))).toBe(false);
  });

  it('retries timeouts and connection failures, found through the cause chain', () => {
    const timeout = Object.assign(new Error('Request timed out.'), { name: 'TimeoutError' });
    class APIConnectionError extends Error {}
    const refused = new APIConnectionError('Connection error.', { cause: new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) }) });
    const reset = new Error('other', { cause: { code: 'ECONNRESET' } });
    for (const err of [timeout, refused, reset]) expect(isRetryable(describeFailure(err))).toBe(true);
  });

  it('does not retry bugs and other errors without a status', () => {
    expect(isRetryable(describeFailure(new TypeError('x is not a function')))).toBe(false);
    expect(isRetryable(describeFailure(null))).toBe(false);
  });
});

describe('retryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads seconds, an HTTP date, and retry-after-ms, from Headers or a plain object', () => {
    expect(retryAfter(new Headers({ 'retry-after': '2' }), now)).toBe(2000);
    expect(retryAfter({ 'retry-after': '0.5' }, now)).toBe(500);
    expect(retryAfter(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:07 GMT' }), now)).toBe(7000);
    expect(retryAfter(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now)).toBe(250);
  });

  it('ignores absent or unreadable values', () => {
    expect(retryAfter(new Headers(), now)).toBeUndefined();
    expect(retryAfter(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfter(undefined, now)).toBeUndefined();
  });
});

describe('retryDelayMs', () => {
  const plain = describeFailure(http(500));
  it('doubles per attempt from the base, with jitter between half and all of the step', () => {
    expect(retryDelayMs(plain, 1, 100, () => 0)).toBe(50);
    expect(retryDelayMs(plain, 1, 100, () => 1)).toBe(100);
    expect(retryDelayMs(plain, 2, 100, () => 1)).toBe(200);
    expect(retryDelayMs(plain, 3, 100, () => 0.5)).toBe(300);
    expect(retryDelayMs(plain, 30, 100, () => 1)).toBe(MAX_BACKOFF_MS);
  });

  it('follows Retry-After exactly, capped at 30 s', () => {
    expect(retryDelayMs(describeFailure(http(429, { 'retry-after': '3' })), 1, 100, () => 0)).toBe(3000);
    expect(retryDelayMs(describeFailure(http(503, { 'retry-after': '600' })), 1, 100)).toBe(30_000);
  });
});
