import type { z } from 'zod';
import { CtgiError } from '../../src/errors/ctgi-error.js';
import { parseJsonLoose } from '../../src/mllm/json-loose.js';
import type { AskJsonOptions, Mllm } from '../../src/mllm/mllm.js';
import { parseYesNo, type YesNo } from '../../src/mllm/yes-no.js';

// A scripted multimodal model for tests: it implements the Mllm port directly (no server). Each call is
// answered by the first script step that matches it; the answer is the model's raw text, read the way the
// port promises (parseYesNo for yes/no, tolerant JSON + the schema for JSON), so code under test sees what
// a real client would hand it. Every call is recorded; a call no step matches is an error, recorded too,
// so `verify()` still fails the test when the code under test swallowed it.

/** Which port method was called. */
export type MllmMethod = 'ask' | 'askYesNo' | 'askJson';

/** One call as the fake saw it. */
export interface ScriptedCall {
  method: MllmMethod;
  prompt: string;
  images: Buffer[];
  /** askJson's schema name, when given. */
  schemaName?: string;
}

/** What a step answers: the model's text, a value sent as JSON text, or a function of the call (it may throw). */
export type ScriptedReply = string | { json: unknown } | ((call: ScriptedCall) => string | { json: unknown } | Promise<string | { json: unknown }>);

/** One step of a script. */
export interface ScriptStep {
  /** Which calls it answers: a substring of the prompt, a pattern, or a predicate (default: any call). */
  match?: string | RegExp | ((call: ScriptedCall) => boolean);
  /** Only calls of this method (default: any). */
  method?: MllmMethod;
  reply: ScriptedReply;
  /** How many calls it may answer (default: any number); `verify()` checks they all happened. */
  times?: number;
}

/** A step that answers once, in order: shorthand for `{ ...step, times: 1 }`. */
export function once(step: ScriptStep): ScriptStep {
  return { ...step, times: 1 };
}

/** The error a real client throws when the server fails; for steps that simulate an upstream failure. */
export function upstreamFailure(message = 'The scripted MLLM server answered HTTP 500; check the server log.'): never {
  throw new CtgiError('UPSTREAM_FAILED', message);
}

/** An Mllm answering from a script and recording every call. */
export class ScriptedMllm implements Mllm {
  readonly calls: ScriptedCall[] = [];
  /** Calls no step matched, with the reason they were refused. */
  readonly unexpected: Array<{ call: ScriptedCall; reason: string }> = [];
  private readonly used: number[];
  private inFlight = 0;
  /** Most calls that were in progress at the same time. */
  maxInFlight = 0;

  constructor(private readonly steps: ScriptStep[]) {
    this.used = steps.map(() => 0);
  }

  ask(prompt: string, images: Buffer[] = []): Promise<string> {
    return this.answer({ method: 'ask', prompt, images: [...images] });
  }

  async askYesNo(prompt: string, image: Buffer): Promise<YesNo> {
    return parseYesNo(await this.answer({ method: 'askYesNo', prompt, images: [image] }));
  }

  async askJson<T>(prompt: string, schema: z.ZodType<T>, images: Buffer[] = [], options: AskJsonOptions<T> = {}): Promise<T> {
    const text = await this.answer({ method: 'askJson', prompt, images: [...images], ...(options.name ? { schemaName: options.name } : {}) });
    const parsed = parseJsonLoose(text);
    const checked = parsed === undefined ? undefined : schema.safeParse(parsed);
    if (checked?.success) return checked.data;
    const rescued = options.fallback?.(text);
    if (rescued !== undefined) return rescued;
    throw new CtgiError('UPSTREAM_FAILED', `The scripted MLLM answered something that is not the expected JSON: ${JSON.stringify(text.slice(0, 80))}.`);
  }

  /** Calls of one method, in order. */
  callsOf(method: MllmMethod): ScriptedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** @throws Error listing unexpected calls and steps with `times` that were not used up. */
  verify(): void {
    const problems = this.unexpected.map(({ reason }) => reason);
    this.steps.forEach((step, i) => {
      if (step.times !== undefined && this.used[i] < step.times) problems.push(`step ${i} (${describeMatch(step)}) answered ${this.used[i]} of ${step.times} calls`);
    });
    if (problems.length > 0) throw new Error(`ScriptedMllm: ${problems.join('; ')}`);
  }

  private async answer(call: ScriptedCall): Promise<string> {
    this.calls.push(call);
    const i = this.steps.findIndex((step, k) => (step.times === undefined || this.used[k] < step.times) && matches(step, call));
    if (i < 0) {
      const reason = `unexpected ${call.method} call (${call.images.length} image(s)): ${JSON.stringify(call.prompt.slice(0, 120))}`;
      this.unexpected.push({ call, reason });
      throw new Error(`ScriptedMllm: ${reason}`);
    }
    this.used[i]++;
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      const { reply } = this.steps[i];
      const out = typeof reply === 'function' ? await reply(call) : reply;
      return (typeof out === 'string' ? out : JSON.stringify(out.json)).trim();
    } finally {
      this.inFlight--;
    }
  }
}

function matches(step: ScriptStep, call: ScriptedCall): boolean {
  if (step.method && step.method !== call.method) return false;
  const m = step.match;
  if (m === undefined) return true;
  if (typeof m === 'string') return call.prompt.includes(m);
  if (m instanceof RegExp) {
    m.lastIndex = 0; // a /g pattern would otherwise remember where its last match ended
    return m.test(call.prompt);
  }
  return m(call);
}

function describeMatch(step: ScriptStep): string {
  const m = step.match;
  const what = m === undefined ? 'any prompt' : typeof m === 'function' ? 'a predicate' : JSON.stringify(String(m));
  return step.method ? `${step.method}, ${what}` : what;
}
