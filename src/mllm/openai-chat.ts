import { HumanMessage, SystemMessage, type MessageContent } from '@langchain/core/messages';
import { ChatOpenAICompletions } from '@langchain/openai';
import { CtgiError } from '../errors/ctgi-error.js';
import { SYSTEM_PROMPT } from './prompts.js';

/** A yes/no judgement; `unsure` when the model's answer says neither clearly. */
export type YesNo = 'yes' | 'no' | 'unsure';

/** A multimodal LLM: free-form answers about zero or more images, and yes/no judgements about one. */
export interface Mllm {
  /** Sends `prompt` (with `images`, if any) and returns the answer text. @throws CtgiError UPSTREAM_FAILED. */
  ask(prompt: string, images?: Buffer[]): Promise<string>;
  /** Asks a yes/no question about `image` and parses the answer. @throws CtgiError UPSTREAM_FAILED. */
  askYesNo(prompt: string, image: Buffer): Promise<YesNo>;
}

export interface OpenAiMllmOptions {
  /** The OpenAI-compatible base URL, e.g. `http://127.0.0.1:8000/v1` (vLLM) or `http://127.0.0.1:11434/v1` (Ollama). */
  baseUrl: string;
  /** Bearer token; local servers usually need none. Never logged or put in error messages. */
  apiKey?: string;
  model: string;
  /** Per-request timeout (default 60 s). */
  timeoutMs?: number;
  /** Retries of failed requests, with back-off (default 2). */
  maxRetries?: number;
  /** Sampling temperature; the paper fixes 0.01 for stable, reproducible answers. */
  temperature?: number;
  maxTokens?: number;
}

// The OpenAI client refuses an empty key, and without one it would fall back to OPENAI_API_KEY.
const NO_KEY = 'no-key';

/**
 * The product's client for any OpenAI-compatible chat-completions server (vLLM, Ollama, OpenAI, the demo
 * MLLM), over `@langchain/openai`. Images go as base64 data URLs.
 */
export class OpenAiMllm implements Mllm {
  readonly baseUrl: string;
  readonly model: string;
  private readonly chat: ChatOpenAICompletions;
  private readonly apiKey: string | undefined;

  /** @throws CtgiError CONFIG_INVALID when the base URL is not an http(s) URL or the model name is empty. */
  constructor(options: OpenAiMllmOptions) {
    this.baseUrl = checkBaseUrl(options.baseUrl);
    if (!options.model.trim()) throw new CtgiError('CONFIG_INVALID', 'The MLLM model name is empty; set it to the model the server serves (e.g. Qwen/Qwen2-VL-7B-Instruct).');
    this.model = options.model;
    this.apiKey = options.apiKey || undefined;
    // ChatOpenAICompletions is what ChatOpenAI uses for /chat/completions; taking it directly keeps
    // model names that ChatOpenAI would route to the Responses API (which vLLM and Ollama lack) on the same path.
    this.chat = new ChatOpenAICompletions({
      model: options.model,
      apiKey: this.apiKey ?? NO_KEY,
      configuration: { baseURL: this.baseUrl },
      temperature: options.temperature ?? 0.01,
      maxTokens: options.maxTokens ?? 512,
      timeout: options.timeoutMs ?? 60_000,
      maxRetries: options.maxRetries ?? 2,
    });
  }

  async ask(prompt: string, images: Buffer[] = []): Promise<string> {
    const content: MessageContent =
      images.length === 0 ? prompt : [{ type: 'text', text: prompt }, ...images.map((image) => ({ type: 'image_url', image_url: { url: imageDataUrl(image) } }))];
    let reply;
    try {
      reply = await this.chat.invoke([new SystemMessage(SYSTEM_PROMPT), new HumanMessage({ content })]);
    } catch (err) {
      throw this.upstreamError(err);
    }
    return messageText(reply.content).trim();
  }

  async askYesNo(prompt: string, image: Buffer): Promise<YesNo> {
    return parseYesNo(await this.ask(prompt, [image]));
  }

  private upstreamError(err: unknown): CtgiError {
    const e = err as { status?: unknown; error?: { message?: unknown }; message?: unknown; name?: unknown; constructor?: { name?: string } } | null;
    const status = typeof e?.status === 'number' ? e.status : undefined;
    const where = `The MLLM server at ${this.baseUrl}`;
    if (status === undefined) {
      const timedOut = /timeout|timed out/i.test(`${e?.constructor?.name ?? ''} ${String(e?.message ?? '')}`);
      const why = timedOut ? 'did not answer in time' : `could not be reached (${connectionReason(err)})`;
      return new CtgiError('UPSTREAM_FAILED', `${where} ${why}; check that it is running and that the base URL is right.`, { cause: err });
    }
    const detail = this.redact(typeof e?.error?.message === 'string' ? e.error.message : String(e?.message ?? '')).split('\n')[0].slice(0, 200).trim();
    const hint =
      status === 401 || status === 403
        ? 'check the API key'
        : status === 404
          ? `check the base URL (it usually ends in /v1) and that the server serves model "${this.model}"`
          : 'check the server log';
    return new CtgiError('UPSTREAM_FAILED', `${where} answered HTTP ${status}${detail ? ` (${detail})` : ''}; ${hint}.`, { cause: err });
  }

  /** Keeps the API key out of any server text we repeat (some servers echo it back in auth errors). */
  private redact(text: string): string {
    return this.apiKey ? text.split(this.apiKey).join('***') : text;
  }
}

/**
 * Reads a yes/no answer: the leading word decides ("Yes, the person…", "No."); otherwise a single
 * standalone yes or no, or a plain "does (not) match". Anything else is `unsure`.
 */
export function parseYesNo(answer: string): YesNo {
  const text = answer.toLowerCase().replace(/[‘’]/g, "'").replace(/[*_`"“”]/g, '').trim();
  if (/\b(yes (and|or) no|no (and|or) yes)\b/.test(text)) return 'unsure';
  const first = /^[^a-z]*([a-z]+)/.exec(text)?.[1];
  if (first && ['yes', 'yeah', 'yep', 'y', 'correct', 'true', 'affirmative'].includes(first)) return 'yes';
  if (first && ['no', 'nope', 'n', 'false', 'incorrect', 'negative'].includes(first)) return 'no';
  const yes = /\byes\b/.test(text);
  const no = /\bno\b/.test(text);
  if (yes !== no) return yes ? 'yes' : 'no';
  if (/\b(does not|doesn't|do not|don't) match\b|\bnot a match\b/.test(text)) return 'no';
  if (/\b(it|image|person|this) (does )?match(es)?\b/.test(text)) return 'yes';
  return 'unsure';
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

/** A short reason for a failed connection, from the error's cause chain (ECONNREFUSED, ENOTFOUND, …). */
function connectionReason(err: unknown): string {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 6; e = e.cause as typeof e, depth++) {
    if (e.code === 'ECONNREFUSED') return 'connection refused';
    if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return 'host not found';
    if (e.code === 'ECONNRESET') return 'connection reset';
    if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
  }
  return 'connection error';
}
