import type { z } from 'zod';
import type { AskJsonOptions, Mllm } from '../mllm/mllm.js';
import type { YesNo } from '../mllm/yes-no.js';

// An optional requests-per-minute cap for hosted endpoints with a quota: calls start at least 60/rpm
// seconds apart, so a long job stays under the quota instead of living on 429 retries.

/** Hands out start times at most `rpm` per minute, shared by every client it paces. */
export class RequestPacer {
  private readonly intervalMs: number;
  private nextAt = 0;

  constructor(
    rpm: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.intervalMs = 60_000 / rpm;
  }

  /** Resolves when the caller may start its request. */
  async wait(): Promise<void> {
    const now = this.now();
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + this.intervalMs;
    if (at > now) await this.sleep(at - now);
  }
}

/** An Mllm whose calls wait for the pacer first. */
export class PacedMllm implements Mllm {
  constructor(
    private readonly inner: Mllm,
    private readonly pacer: RequestPacer,
  ) {}

  async ask(prompt: string, images?: Buffer[]): Promise<string> {
    await this.pacer.wait();
    return this.inner.ask(prompt, images);
  }

  async askYesNo(prompt: string, image: Buffer): Promise<YesNo> {
    await this.pacer.wait();
    return this.inner.askYesNo(prompt, image);
  }

  async askJson<T>(prompt: string, schema: z.ZodType<T>, images?: Buffer[], options?: AskJsonOptions<T>): Promise<T> {
    await this.pacer.wait();
    return this.inner.askJson(prompt, schema, images, options);
  }
}
