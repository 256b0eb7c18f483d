/** A small least-recently-used map: reading or writing a key makes it the newest; the oldest goes first. */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError(`LRU capacity must be a positive integer, not ${capacity}.`);
  }

  get size(): number {
    return this.map.size;
  }

  /** The value for `key` (now the newest entry), or undefined. */
  get(key: K): V | undefined {
    if (!this.map.has(key)) return undefined;
    const value = this.map.get(key) as V;
    // A Map iterates in insertion order, so re-inserting moves the key to the newest end.
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }

  /** Stores `value` as the newest entry, dropping the oldest when over capacity. */
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as K);
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }
}
