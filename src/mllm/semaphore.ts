/** Counts permits for work in flight: `run` waits for a free permit, first come first served. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly permits: number) {
    if (!(Number.isInteger(permits) && permits > 0)) throw new RangeError(`A semaphore needs a positive whole number of permits, not ${permits}.`);
  }

  /** Tasks holding a permit now. */
  get inFlight(): number {
    return this.active;
  }

  /** Runs `task` once a permit is free and releases the permit when it settles. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.permits) {
      this.active++;
      return Promise.resolve();
    }
    // The releasing task hands its permit straight to the next waiter, so `active` stays put.
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
