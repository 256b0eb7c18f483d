import type { z } from 'zod';
import type { YesNo } from './yes-no.js';

/** Options of a structured (JSON) question. */
export interface AskJsonOptions<T> {
  /** Name of the JSON schema sent as `response_format` (letters, digits, `_` and `-`). */
  name?: string;
  /**
   * Reads an answer that holds no usable JSON another way (e.g. a plain "Yes."); undefined means
   * it cannot, and the call fails as usual.
   */
  fallback?: (text: string) => T | undefined;
}

/** A multimodal LLM: free-form answers about zero or more images, yes/no judgements and JSON answers. */
export interface Mllm {
  /** Sends `prompt` (with `images`, if any) and returns the answer text. @throws CtgiError UPSTREAM_FAILED. */
  ask(prompt: string, images?: Buffer[]): Promise<string>;
  /** Asks a yes/no question about `image` and parses the answer. @throws CtgiError UPSTREAM_FAILED. */
  askYesNo(prompt: string, image: Buffer): Promise<YesNo>;
  /**
   * Asks for a JSON answer matching `schema` (the prompt must describe the JSON too: many servers ignore the
   * schema) and validates it. @throws CtgiError UPSTREAM_FAILED, also when the answer is not such JSON.
   */
  askJson<T>(prompt: string, schema: z.ZodType<T>, images?: Buffer[], options?: AskJsonOptions<T>): Promise<T>;
}
