import { describe, expect, it } from 'vitest';
import { chatLimiters, UserRateLimiter } from '../../bots/common/user-rate-limiter.js';

describe('UserRateLimiter', () => {
  it('admits one request of a user at a time and says to wait for the first', () => {
    let now = 0;
    const limiter = new UserRateLimiter({ concurrent: 1, perWindow: 10 }, 'searches', () => now);
    const first = limiter.tryAcquire('alice');
    expect(first.ok).toBe(true);
    const second = limiter.tryAcquire('alice');
    expect(second).toMatchObject({ ok: false, reason: 'busy' });
    expect(second.ok === false && second.message).toMatch(/^Slow down: your earlier search is still starting/);
    // Other users are not affected.
    expect(limiter.tryAcquire('bob').ok).toBe(true);
    if (first.ok) first.release();
    now += 10;
    expect(limiter.tryAcquire('alice').ok).toBe(true);
  });

  it('allows N per sliding minute per user, with the wait until the oldest leaves the window', () => {
    let now = 1_000_000;
    const limiter = new UserRateLimiter({ concurrent: 5, perWindow: 3 }, 'answers', () => now);
    for (let i = 0; i < 3; i++) {
      const a = limiter.tryAcquire('alice');
      expect(a.ok).toBe(true);
      if (a.ok) a.release();
      now += 10_000;
    }
    const refused = limiter.tryAcquire('alice');
    expect(refused).toMatchObject({ ok: false, reason: 'rate', retryAfterSeconds: 30 });
    expect(refused.ok === false && refused.message).toBe('Slow down: at most 3 answers a minute per person; try again in 30 s.');
    expect(limiter.tryAcquire('bob').ok).toBe(true);
    now += 30_000; // the first request leaves the window
    expect(limiter.tryAcquire('alice').ok).toBe(true);
    expect(limiter.tryAcquire('alice').ok).toBe(false);
  });

  it('does not count refused requests, releases once, and forgets idle users', () => {
    let now = 0;
    const limiter = new UserRateLimiter({ concurrent: 2, perWindow: 2, windowMs: 1000 }, 'answers', () => now);
    const a = limiter.tryAcquire('u');
    const b = limiter.tryAcquire('u');
    expect(limiter.tryAcquire('u').ok).toBe(false);
    if (a.ok) {
      a.release();
      a.release(); // a second release must not free b's slot
    }
    now += 1001;
    expect(limiter.tryAcquire('u').ok).toBe(true);
    expect(limiter.tryAcquire('u').ok).toBe(false); // b still in flight, one admitted now: concurrency 2 reached
    if (b.ok) b.release();
    for (let i = 0; i < 1100; i++) {
      const x = limiter.tryAcquire(`user-${i}`);
      if (x.ok) x.release();
    }
    now += 5000;
    limiter.tryAcquire('late');
    expect(limiter.trackedUsers).toBeLessThan(10);
  });

  it('has separate limiters for starts and answers', () => {
    const limiters = chatLimiters({ starts: { concurrent: 1, perWindow: 1 } }, () => 0);
    expect(limiters.starts.tryAcquire('u').ok).toBe(true);
    expect(limiters.starts.tryAcquire('u').ok).toBe(false);
    expect(limiters.answers.tryAcquire('u').ok).toBe(true);
  });
});
