import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './http-util.js';

// A scripted OpenAI-compatible chat server for fault tests: each request's answer (status, headers, body,
// delay, or a dropped connection) comes from a script of the request number, and every request is recorded.

/** What the server does with one request. */
export interface FaultStep {
  /** HTTP status (default 200). */
  status?: number;
  headers?: Record<string, string>;
  /** A JSON body (default: okChat('OK') for 2xx, an OpenAI-style error body otherwise). */
  json?: unknown;
  /** A raw text body instead of JSON. */
  text?: string;
  /** Wait before answering (the client may time out meanwhile). */
  delayMs?: number;
  /** Drop the connection without answering. */
  destroy?: boolean;
}

/** One request as the server saw it. */
export interface RecordedRequest {
  /** The parsed JSON body (the raw text when it was not JSON). */
  body: unknown;
  authorization?: string;
}

export interface FaultMllmServer {
  /** Base URL ending in /v1. */
  url: string;
  requests: RecordedRequest[];
  /** Most requests that were in flight at the same time. */
  maxInFlight: number;
  close(): Promise<void>;
}

/** Token counts of a chat completion's `usage` block. */
export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** A normal chat-completion body answering `content`, with a `usage` block when given. */
export function okChat(content: string, usage?: ChatUsage): Record<string, unknown> {
  return {
    id: 'chatcmpl-fault',
    object: 'chat.completion',
    created: 0,
    model: 'fault-model',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
    ...(usage ? { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } } : {}),
  };
}

/** Starts the server on 127.0.0.1; `script(n, body)` decides the n-th request's fate (n counts from 1). */
export async function startFaultMllmServer(script: (n: number, body: unknown) => FaultStep): Promise<FaultMllmServer> {
  const requests: RecordedRequest[] = [];
  let inFlight = 0;
  const state = { maxInFlight: 0 };
  const timers = new Set<NodeJS.Timeout>();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const raw = (await readBody(request)).toString('utf8');
    let body: unknown = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      // Kept as text.
    }
    const auth = request.headers.authorization;
    requests.push({ body, ...(auth ? { authorization: auth } : {}) });
    const step = script(requests.length, body);
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    try {
      if (step.delayMs) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            timers.delete(timer);
            resolve();
          }, step.delayMs);
          timers.add(timer);
          // A client that gave up ends the wait early.
          response.once('close', () => {
            clearTimeout(timer);
            timers.delete(timer);
            resolve();
          });
        });
      }
      if (step.destroy) {
        request.socket.destroy();
        return;
      }
      if (response.destroyed || response.writableEnded) return;
      const status = step.status ?? 200;
      const payload =
        step.text ?? JSON.stringify(step.json ?? (status < 400 ? okChat('OK') : { error: { message: `Scripted failure ${status}.`, type: 'server_error', param: null, code: null } }));
      response.writeHead(status, { 'content-type': step.text !== undefined ? 'text/plain' : 'application/json', ...step.headers });
      response.end(payload);
    } finally {
      inFlight--;
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    get maxInFlight() {
      return state.maxInFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
