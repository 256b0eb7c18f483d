import type { z } from 'zod';
import type { AskJsonOptions, Mllm } from '../../src/mllm/mllm.js';
import type { YesNo } from '../../src/mllm/yes-no.js';

/** An Mllm that counts the calls made through it and those that failed (per dialogue, for the benchmark). */
export class CountingMllm implements Mllm {
  calls = 0;
  failures = 0;

  constructor(private readonly inner: Mllm) {}

  ask(prompt: string, images?: Buffer[]): Promise<string> {
    return this.count(() => this.inner.ask(prompt, images));
  }

  askYesNo(prompt: string, image: Buffer): Promise<YesNo> {
    return this.count(() => this.inner.askYesNo(prompt, image));
  }

  askJson<T>(prompt: string, schema: z.ZodType<T>, images?: Buffer[], options?: AskJsonOptions<T>): Promise<T> {
    return this.count(() => this.inner.askJson(prompt, schema, images, options));
  }

  private async count<T>(call: () => Promise<T>): Promise<T> {
    this.calls++;
    try {
      return await call();
    } catch (err) {
      this.failures++;
      throw err;
    }
  }
}
