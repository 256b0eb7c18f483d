// Two quick clicks in one thread must reach the service, and their replies the thread, in order; different
// threads proceed independently.

/** Runs tasks one after another per key. */
export class ThreadQueue {
  readonly #tails = new Map<string, Promise<void>>();
  readonly #onError: (err: unknown) => void;

  /** `onError` receives what a task throws (tasks are expected to report their own failures). */
  constructor(onError: (err: unknown) => void) {
    this.#onError = onError;
  }

  /** Queues `task` behind the earlier tasks of `key`; resolves when it has run. */
  run(key: string, task: () => Promise<void>): Promise<void> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const next = previous.then(task).catch(this.#onError);
    this.#tails.set(key, next);
    void next.then(() => {
      if (this.#tails.get(key) === next) this.#tails.delete(key);
    });
    return next;
  }

  /** Resolves when every queued task has finished. */
  async idle(): Promise<void> {
    while (this.#tails.size > 0) await Promise.all([...this.#tails.values()]);
  }
}
