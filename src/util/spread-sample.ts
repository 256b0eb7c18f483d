/** `n` items spread evenly over `items` (all of them when `n` is unset or not smaller), in order. */
export function spreadSample<T>(items: readonly T[], n?: number): T[] {
  if (n === undefined || n >= items.length) return [...items];
  return Array.from({ length: n }, (_, k) => items[Math.floor((k * items.length) / n)]);
}
