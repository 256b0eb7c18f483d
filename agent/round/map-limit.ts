// Bounded-concurrency mapping for MLLM calls: at most `limit` calls in flight, results in input order.

/** One settled call: its value, or the error it threw. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Runs `fn` over `items` with at most `limit` calls at once; never throws, each result is settled. */
export async function mapSettledLimit<I, T>(items: readonly I[], limit: number, fn: (item: I, index: number) => Promise<T>): Promise<Array<Settled<T>>> {
  const results = new Array<Settled<T>>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { ok: true, value: await fn(items[i], i) };
      } catch (error) {
        results[i] = { ok: false, error };
      }
    }
  };
  const workers = Math.max(1, Math.min(Math.floor(limit) || 1, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
