import { describe, expect, it } from 'vitest';
import { LruCache } from '../../src/mllm/lru-cache.js';
import { Semaphore } from '../../src/mllm/semaphore.js';

describe('LruCache', () => {
  it('drops the least recently used entry when full; reading refreshes an entry', () => {
    const lru = new LruCache<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1);
    lru.set('c', 3);
    expect(lru.get('b')).toBeUndefined();
    expect([lru.get('a'), lru.get('c'), lru.size]).toEqual([1, 3, 2]);
    lru.set('a', 10);
    lru.set('d', 4);
    expect([lru.get('a'), lru.get('c'), lru.get('d')]).toEqual([10, undefined, 4]);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new LruCache(0)).toThrow(RangeError);
    expect(() => new LruCache(1.5)).toThrow(RangeError);
  });
});

describe('Semaphore', () => {
  it('runs at most `permits` tasks at once, in arrival order, and frees permits on failure', async () => {
    const sem = new Semaphore(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const gates: Array<() => void> = [];
    const task = (i: number) =>
      sem.run(async () => {
        started.push(i);
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => gates.push(resolve));
        running--;
        if (i === 1) throw new Error('boom');
        return i;
      });
    const all = Promise.allSettled([0, 1, 2, 3, 4].map(task));
    const tick = () => new Promise((r) => setImmediate(r));
    await tick();
    expect(started).toEqual([0, 1]);
    expect(sem.inFlight).toBe(2);
    while (started.length < 5 || gates.length > 0) {
      gates.shift()?.();
      await tick();
    }
    const results = await all;
    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(sem.inFlight).toBe(0);
  });
});
