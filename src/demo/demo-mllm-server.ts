import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CtgiError, isCtgiError } from '../errors/ctgi-error.js';
import { mulberry32 } from '../util/prng.js';
import type { ImageLimits } from '../vision/image-limits.js';
import { decodeRgb } from '../vision/rgb-decode.js';
import type { AttributeEvidence } from '../attributes/vocabulary.js';
import { LruCache } from '../mllm/lru-cache.js';
import { answerAnchorCheck, answerMatch, answerQuestion, mergeDescription, proposeFollowUps, type Chance } from './demo-mllm-answers.js';
import { CAPTION_STYLES, describeEvidence, isCaptionStyle, type CaptionStyle } from '../attributes/phrasing.js';
import { DemoRequestError, readChatRequest, recogniseTask, type ChatRequest } from './demo-mllm-request.js';
import { readAttributes } from './pixel-reader.js';
import { answerToolRequest, offersTools } from './demo-mllm-tools.js';

/** The model name the demo MLLM reports. */
export const DEMO_MLLM_MODEL = 'ctgi-demo-mllm';

/** Default cap on request bodies: a few synthetic 128×384 images as base64 need far less. */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Images whose pixel evidence is kept: an eval sends the same gallery images thousands of times. */
const EVIDENCE_CACHE_ENTRIES = 4096;

export interface DemoMllmOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Interface to bind; 127.0.0.1 by default, so nothing outside the machine can reach it. */
  host?: string;
  /** Share of answers that are wrong (yes/no flipped, a wrong attribute value), in [0, 1]. */
  errorRate?: number;
  /** Delay before each answer, in milliseconds. */
  latencyMs?: number;
  /** Seeds which answers are wrong; the same seed and requests give the same answers. */
  seed?: number;
  maxBodyBytes?: number;
  /** Caps on the images in requests. */
  limits?: ImageLimits;
  /**
   * How it answers the initial-caption prompt: 'full' (the default) states every attribute it reads;
   * 'concise' only the person, hair, clothes and shoes, as real captioners do, leaving MTG's rounds the rest.
   */
  captionStyle?: CaptionStyle;
}

export interface DemoMllmServer {
  /** The OpenAI-compatible base URL, e.g. `http://127.0.0.1:8765/v1`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the demo MLLM: an OpenAI-compatible chat-completions server that answers about synthetic demo
 * images from their pixels (yes/no matches, visual questions, follow-up proposals, merged descriptions).
 * @throws CtgiError BAD_INPUT for bad options or a port that cannot be bound.
 */
export async function startDemoMllmServer(options: DemoMllmOptions = {}): Promise<DemoMllmServer> {
  const errorRate = options.errorRate ?? 0;
  const latencyMs = options.latencyMs ?? 0;
  if (!(errorRate >= 0 && errorRate <= 1)) throw new CtgiError('BAD_INPUT', `The error rate ${errorRate} is not between 0 and 1.`);
  if (!(latencyMs >= 0 && latencyMs <= 600_000)) throw new CtgiError('BAD_INPUT', `The latency ${latencyMs} ms is not between 0 and 600000.`);
  const captionStyle: unknown = options.captionStyle ?? 'full';
  if (!isCaptionStyle(captionStyle)) {
    throw new CtgiError('BAD_INPUT', `The caption style ${JSON.stringify(captionStyle)} is not one of ${CAPTION_STYLES.join(', ')}; pick one of those.`);
  }
  const seed = Math.floor(options.seed ?? 1);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const host = options.host ?? '127.0.0.1';
  const occurrences = new Map<string, number>();
  const evidence = new LruCache<string, Promise<AttributeEvidence>>(EVIDENCE_CACHE_ENTRIES);
  let served = 0;

  // Decoding and reading pixels is most of the server's CPU time; identical bytes are read once.
  const readImageCached = (bytes: Buffer): Promise<AttributeEvidence> => {
    const key = createHash('sha256').update(bytes).digest('hex');
    const hit = evidence.get(key);
    if (hit) return hit;
    const pending = readImage(bytes, options.limits);
    evidence.set(key, pending);
    pending.catch(() => evidence.delete(key));
    return pending;
  };

  // Each request's draws come from the seed, its content and how often that content was seen, so
  // answers do not depend on the order in which concurrent requests arrive.
  const chanceFor = (req: ChatRequest): Chance => {
    const hash = createHash('sha256').update(req.text);
    for (const image of req.images) hash.update(image);
    const key = hash.digest('hex');
    const n = occurrences.get(key) ?? 0;
    if (occurrences.size > 100_000) occurrences.clear();
    occurrences.set(key, n + 1);
    const random = mulberry32((seed ^ Number.parseInt(key.slice(0, 8), 16) ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0);
    return { wrong: () => random() < errorRate, pick: (items) => items[Math.floor(random() * items.length)] };
  };

  const answer = async (req: ChatRequest): Promise<string> => {
    const task = recogniseTask(req.text, req.images.length > 0);
    const image = req.images.length > 0 ? await readImageCached(req.images[0]) : undefined;
    const chance = chanceFor(req);
    switch (task.kind) {
      case 'anchor':
        return image ? answerMatch(task.description, image, chance) : "I can't tell without an image.";
      case 'anchorCheck': {
        if (!image) return "I can't tell without an image.";
        const json = JSON.stringify(answerAnchorCheck(task.description, task.questions, image, chance));
        // Without response_format, answer as chatty models do, so clients' tolerant parsing is exercised.
        return req.wantsJson ? json : `Here is what I see in the image.\n\`\`\`json\n${json}\n\`\`\``;
      }
      case 'vqa':
        return image ? answerQuestion(task.question, image, chance) : "I can't tell without an image.";
      case 'caption':
        return image ? describeEvidence(image, captionStyle) : "I can't tell without an image.";
      case 'followUp':
        return proposeFollowUps(task.query, image, task.max);
      case 'merge':
        return mergeDescription(task.base, task.answers);
    }
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? '/').split('?')[0].replace(/\/+$/, '');
    if (path === '/v1/models' || path === '/models') {
      if (request.method !== 'GET') return sendError(response, 405, `Use GET for ${path}.`);
      return sendJson(response, 200, { object: 'list', data: [{ id: DEMO_MLLM_MODEL, object: 'model', created: 0, owned_by: 'ctgi-demo' }] });
    }
    if (path !== '/v1/chat/completions' && path !== '/chat/completions') {
      return sendError(response, 404, `No route ${request.method} ${path}; the demo MLLM serves POST /v1/chat/completions and GET /v1/models.`);
    }
    if (request.method !== 'POST') return sendError(response, 405, 'Use POST for /v1/chat/completions.');
    const body = await readBody(request, maxBodyBytes);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new DemoRequestError(400, 'The request body is not valid JSON; send a chat-completions request as a JSON object.');
    }
    if (offersTools(parsed)) return sendToolAnswer(response, parsed, ++served);
    const chat = readChatRequest(parsed);
    const content = await answer(chat);
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    served++;
    const promptTokens = Math.ceil(chat.text.length / 4) + 256 * chat.images.length;
    const completionTokens = Math.ceil(content.length / 4);
    sendJson(response, 200, {
      id: `chatcmpl-demo-${served}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: chat.model ?? DEMO_MLLM_MODEL,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((err: unknown) => {
      if (err instanceof DemoRequestError) sendError(response, err.status, err.message, err.status === 413);
      else if (isCtgiError(err, 'IMAGE_INVALID', 'IMAGE_TOO_LARGE')) sendError(response, 400, err.message);
      else sendError(response, 500, `The demo MLLM failed: ${err instanceof Error ? err.message : String(err)}.`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new CtgiError(
          'BAD_INPUT',
          err.code === 'EADDRINUSE' ? `Port ${options.port} on ${host} is already in use; pick another with --port.` : `Cannot listen on ${host}:${options.port ?? 0} (${err.code ?? err.message}).`,
          { cause: err },
        ),
      ),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Answers a request that offers tools (the operator agent's) with tool calls or a closing sentence. */
function sendToolAnswer(response: ServerResponse, body: unknown, served: number): void {
  const answer = answerToolRequest(body);
  const model = (body as { model?: unknown }).model;
  const message = { role: 'assistant', content: answer.content, ...(answer.toolCalls.length > 0 ? { tool_calls: answer.toolCalls } : {}) };
  const completionTokens = Math.ceil(JSON.stringify(message).length / 4);
  sendJson(response, 200, {
    id: `chatcmpl-demo-${served}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: typeof model === 'string' ? model : DEMO_MLLM_MODEL,
    choices: [{ index: 0, message, finish_reason: answer.toolCalls.length > 0 ? 'tool_calls' : 'stop', logprobs: null }],
    usage: { prompt_tokens: 0, completion_tokens: completionTokens, total_tokens: completionTokens },
  });
}

async function readImage(bytes: Buffer, limits: ImageLimits | undefined): Promise<AttributeEvidence> {
  return readAttributes(await decodeRgb(bytes, 'the request image', { limits }));
}

/** Reads a request body, refusing it with 413 as soon as it is over `max` bytes. */
function readBody(request: IncomingMessage, max: number): Promise<Buffer> {
  const tooLarge = () => new DemoRequestError(413, `The request body is over the limit of ${max} bytes; send smaller images.`);
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        request.removeAllListeners('data');
        request.resume();
        reject(tooLarge());
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function sendJson(response: ServerResponse, status: number, value: unknown, close = false): void {
  if (response.headersSent) return;
  const body = JSON.stringify(value);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(close ? { connection: 'close' } : {}) });
  response.end(body);
}

/** An OpenAI-style error body. */
function sendError(response: ServerResponse, status: number, message: string, close = false): void {
  const type = status >= 500 ? 'server_error' : 'invalid_request_error';
  sendJson(response, status, { error: { message, type, param: null, code: null } }, close);
}
