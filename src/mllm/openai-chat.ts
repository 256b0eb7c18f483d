import { HumanMessage, SystemMessage, type AIMessage, type BaseMessage, type MessageContent } from '@langchain/core/messages';
import { ChatOpenAICompletions, type ChatOpenAICallOptions } from '@langchain/openai';
import { z } from 'zod';
import { DEFAULT_MLLM_CONCURRENCY, DEFAULT_MLLM_MAX_RETRIES, DEFAULT_MLLM_TIMEOUT_MS, DEFAULT_TEMPERATURE } from '../config/config.js';
import { CtgiError, isCtgiError } from '../errors/ctgi-error.js';
import type { ImageLimits } from '../vision/image-limits.js';
import { addToStats, emptyStats, type MllmCallKind, type MllmCallLog, type MllmCallSink, type MllmStats } from './call-log.js';
import { MllmImageCache, MLLM_IMAGE_MAX_SIDE } from './image-cache.js';
import { parseJsonLoose } from './json-loose.js';
import type { AskJsonOptions, Mllm } from './mllm.js';
import { SYSTEM_PROMPT } from './prompts.js';
import { describeFailure, isRetryable, retryDelayMs } from './retry-policy.js';
import { Semaphore } from './semaphore.js';
import { upstreamError } from './upstream-error.js';
import { parseYesNo, type YesNo } from './yes-no.js';


export interface OpenAiMllmOptions {
  /** The OpenAI-compatible base URL, e.g. `http://127.0.0.1:8000/v1` (vLLM) or `http://127.0.0.1:11434/v1` (Ollama). */
  baseUrl: string;
  /** Bearer token; local servers usually need none. Never logged or put in error messages. */
  apiKey?: string;
  model: string;
  /** Timeout of each HTTP request (default 60 s). */
  timeoutMs?: number;
  /** Re-sends after a 429, a 5xx, a timeout or a dropped connection, with back-off (default 3). */
  maxRetries?: number;
  /** Sampling temperature; the paper fixes 0.01 for stable, reproducible answers. */
  temperature?: number;
  maxTokens?: number;
  /** Requests in flight at once from this client, over all calls (default 8). */
  maxConcurrency?: number;
  /** Receives one entry per call (see MllmCallLog: no key, no prompt, no image bytes). */
  onCall?: MllmCallSink;
  /** First back-off step before jitter (default 500 ms); later steps double. */
  retryBaseMs?: number;
  /** Long side images are downscaled to before sending (default 448). */
  maxImageSide?: number;
  /** Caps on images passed in (default: the config defaults). */
  imageLimits?: ImageLimits;
  /** How to wait between attempts; tests pass a recorder. */
  sleep?: (ms: number) => Promise<void>;
}

// The OpenAI client refuses an empty key, and without one it would fall back to OPENAI_API_KEY.
const NO_KEY = 'no-key';

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The product's client for any OpenAI-compatible chat-completions server (vLLM, Ollama, OpenAI, the demo
 * MLLM), over `@langchain/openai`. Images go as base64 JPEG data URLs (long side ≤ 448 px); it owns retries
 * (the libraries underneath make none), a concurrency cap and per-call logging.
 */
export class OpenAiMllm implements Mllm {
  readonly baseUrl: string;
  readonly model: string;
  private readonly chat: ChatOpenAICompletions;
  private readonly apiKey: string | undefined;
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  private readonly limit: Semaphore;
  private readonly images: MllmImageCache;
  private readonly onCall: MllmCallSink | undefined;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly totals: MllmStats = emptyStats();
  private readonly schemas = new WeakMap<z.ZodType, Record<string, unknown>>();
  /** Set once the server refused a `response_format`; JSON is then asked for by the prompt alone. */
  private responseFormatRefused = false;

  /** @throws CtgiError CONFIG_INVALID when the base URL is not an http(s) URL or the model name is empty. */
  constructor(options: OpenAiMllmOptions) {
    this.baseUrl = checkBaseUrl(options.baseUrl);
    if (!options.model.trim()) throw new CtgiError('CONFIG_INVALID', 'The MLLM model name is empty; set it to the model the server serves (e.g. Qwen/Qwen2-VL-7B-Instruct).');
    this.model = options.model;
    this.apiKey = options.apiKey || undefined;
    this.maxRetries = Math.max(0, Math.floor(options.maxRetries ?? DEFAULT_MLLM_MAX_RETRIES));
    this.retryBaseMs = Math.max(0, options.retryBaseMs ?? 500);
    this.limit = new Semaphore(Math.max(1, Math.floor(options.maxConcurrency ?? DEFAULT_MLLM_CONCURRENCY)));
    this.images = new MllmImageCache(options.maxImageSide ?? MLLM_IMAGE_MAX_SIDE, undefined, options.imageLimits);
    this.onCall = options.onCall;
    this.sleep = options.sleep ?? sleepFor;
    // ChatOpenAICompletions is what ChatOpenAI uses for /chat/completions; taking it directly keeps
    // model names that ChatOpenAI would route to the Responses API (which vLLM and Ollama lack) on the same path.
    this.chat = new ChatOpenAICompletions({
      model: options.model,
      apiKey: this.apiKey ?? NO_KEY,
      configuration: { baseURL: this.baseUrl },
      temperature: options.temperature ?? DEFAULT_TEMPERATURE,
      maxTokens: options.maxTokens ?? 512,
      timeout: options.timeoutMs ?? DEFAULT_MLLM_TIMEOUT_MS,
      // Our loop below is the only retry: LangChain's caller and the OpenAI SDK would otherwise multiply it.
      maxRetries: 0,
    });
  }

  async ask(prompt: string, images: Buffer[] = []): Promise<string> {
    return this.call('text', prompt, images, {}, (text) => text);
  }

  async askYesNo(prompt: string, image: Buffer): Promise<YesNo> {
    return this.call('yes-no', prompt, [image], {}, parseYesNo);
  }

  async askJson<T>(prompt: string, schema: z.ZodType<T>, images: Buffer[] = [], options: AskJsonOptions<T> = {}): Promise<T> {
    const name = (options.name ?? 'answer').replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'answer';
    const responseFormat = { type: 'json_schema' as const, json_schema: { name, schema: this.jsonSchema(schema), strict: true } };
    // LangChain sends json_schema requests through the SDK's chat.completions.parse, which JSON.parses the
    // answer and throws on prose; a (non-enumerable, so never sent) $parseRaw replaces that step, leaving
    // the raw text to our tolerant reader.
    Object.defineProperty(responseFormat, '$parseRaw', { value: () => null, enumerable: false });
    return this.call('json', prompt, images, this.responseFormatRefused ? {} : { response_format: responseFormat }, (text) => {
      const parsed = parseJsonLoose(text);
      const checked = parsed === undefined ? undefined : schema.safeParse(parsed);
      if (checked?.success) return checked.data;
      const rescued = options.fallback?.(text);
      if (rescued !== undefined) return rescued;
      const issue = checked && !checked.success ? checked.error.issues[0] : undefined;
      const why = issue ? `${issue.path.length > 0 ? `"${issue.path.join('.')}" ` : ''}${issue.message.toLowerCase()}` : 'no JSON object in the answer';
      throw new CtgiError(
        'UPSTREAM_FAILED',
        `The MLLM server at ${this.baseUrl} answered something that is not the expected JSON (${why}); check that model "${this.model}" follows JSON instructions, or serve it with guided decoding (e.g. vLLM).`,
      );
    });
  }

  /** Totals over every call so far. */
  stats(): MllmStats {
    return { ...this.totals };
  }

  /** One logged call: encode the images, send with retries under the concurrency cap, interpret the text. */
  private async call<T>(kind: MllmCallKind, prompt: string, images: Buffer[], options: Partial<ChatOpenAICallOptions>, interpret: (text: string) => T): Promise<T> {
    let callOptions = options;
    const at = new Date().toISOString();
    const started = performance.now();
    let attempts = 0;
    let httpStatus: number | undefined;
    let reply: AIMessage | undefined;
    const finish = (status: 'ok' | 'failed', error?: unknown) => {
      const usage = reply?.usage_metadata;
      const entry: MllmCallLog = {
        at,
        model: this.model,
        kind,
        images: images.length,
        latencyMs: Math.round(performance.now() - started),
        attempts,
        status,
        ...(httpStatus !== undefined ? { httpStatus } : {}),
        ...(usage?.input_tokens ? { promptTokens: usage.input_tokens } : {}),
        ...(usage?.output_tokens ? { completionTokens: usage.output_tokens } : {}),
        ...(error !== undefined ? { error: isCtgiError(error) ? error.message : 'Internal error in the MLLM client.' } : {}),
      };
      addToStats(this.totals, entry);
      try {
        this.onCall?.(entry);
      } catch {
        // A broken log sink must not fail the call it describes.
      }
    };
    try {
      const encoded = await Promise.all(images.map((image) => this.images.encode(image)));
      const content: MessageContent =
        encoded.length === 0 ? prompt : [{ type: 'text', text: prompt }, ...encoded.map((jpeg) => ({ type: 'image_url', image_url: { url: imageDataUrl(jpeg) } }))];
      const messages: BaseMessage[] = [new SystemMessage(SYSTEM_PROMPT), new HumanMessage({ content })];
      for (;;) {
        attempts++;
        try {
          reply = await this.limit.run(() => this.chat.invoke(messages, callOptions));
          httpStatus = 200;
          break;
        } catch (err) {
          const failure = describeFailure(err);
          httpStatus = failure.status;
          if (callOptions.response_format && failure.status === 400 && refusesResponseFormat(err)) {
            // Some servers (older Ollama, llama.cpp, TGI) reject json_schema outright; the prompt asks for
            // JSON too and the reader is tolerant, so ask again without it, now and from here on.
            this.responseFormatRefused = true;
            callOptions = {};
            continue;
          }
          if (attempts > this.maxRetries || !isRetryable(failure)) {
            throw upstreamError(err, { baseUrl: this.baseUrl, model: this.model, apiKey: this.apiKey, attempts });
          }
          await this.sleep(retryDelayMs(failure, attempts, this.retryBaseMs));
        }
      }
      const value = interpret(messageText(reply.content).trim());
      finish('ok');
      return value;
    } catch (err) {
      finish('failed', err);
      throw err;
    }
  }

  /** The JSON Schema for `response_format` (without `$schema`, which some servers refuse), computed once per schema. */
  private jsonSchema(schema: z.ZodType): Record<string, unknown> {
    let json = this.schemas.get(schema);
    if (!json) {
      const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { unrepresentable: 'any' }) as Record<string, unknown>;
      json = rest;
      this.schemas.set(schema, json);
    }
    return json;
  }
}

/** Whether a 400 is the server refusing `response_format` rather than the request as a whole. */
function refusesResponseFormat(err: unknown): boolean {
  const e = err as { message?: unknown; error?: { message?: unknown; param?: unknown } } | null;
  const text = `${String(e?.error?.message ?? '')} ${String(e?.error?.param ?? '')} ${String(e?.message ?? '')}`;
  return /response_format|json_schema|guided|structured output/i.test(text);
}

/** A data URL for encoded image bytes, with the MIME type sniffed from the magic number (PNG by default). */
export function imageDataUrl(image: Buffer): string {
  return `data:${sniffMime(image)};base64,${image.toString('base64')}`;
}

function sniffMime(b: Buffer): string {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  if (b.length >= 6 && b.toString('latin1', 0, 3) === 'GIF') return 'image/gif';
  return 'image/png';
}

function messageText(content: MessageContent): string {
  if (typeof content === 'string') return content;
  return content.map((part) => (typeof part === 'string' ? part : part.type === 'text' && typeof part.text === 'string' ? part.text : '')).join('');
}

function checkBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CtgiError('CONFIG_INVALID', `The MLLM base URL "${raw}" is not a URL; use one such as http://127.0.0.1:8000/v1.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CtgiError('CONFIG_INVALID', `The MLLM base URL "${raw}" must start with http:// or https://, e.g. http://127.0.0.1:8000/v1.`);
  }
  if (url.username || url.password) {
    throw new CtgiError('CONFIG_INVALID', 'The MLLM base URL must not contain a user name or password; pass the API key separately.');
  }
  return url.toString().replace(/\/+$/, '');
}
