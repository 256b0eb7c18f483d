// Raw HTTP for web chat tests: every request on its own connection (as a new tab or a reconnecting browser
// would), optionally from another loopback address, with a cookie-keeping browser-like client on top.
import { request, type IncomingHttpHeaders } from 'node:http';

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Source address, e.g. 127.0.0.2 (any 127/8 address reaches a 127.0.0.1 server on Linux). */
  localAddress?: string;
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json: <T = unknown>() => T;
}

/** One request on a fresh connection; rejects only when the connection fails. */
export function send(base: string, path: string, options: SendOptions = {}): Promise<Reply> {
  const url = new URL(path, base);
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const headers: Record<string, string> = { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...options.headers };
  return new Promise((done, fail) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, agent: false, localAddress: options.localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        const text = buf.toString('utf8');
        done({ status: res.statusCode ?? 0, headers: res.headers, body: buf, text, json: <T>() => JSON.parse(text) as T });
      });
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(body);
  });
}

/** A live event stream being read. */
export interface OpenStream {
  status: number;
  /** Reads until the text so far contains `until` (ended: false) or the server ends the stream (ended: true). */
  read(until: string): Promise<{ text: string; ended: boolean }>;
  close(): void;
}

/** Opens GET /api/events (or `path`) and keeps it open. */
export function openStream(base: string, headers: Record<string, string> = {}, options: { localAddress?: string; path?: string } = {}): Promise<OpenStream> {
  const url = new URL(options.path ?? '/api/events', base);
  return new Promise((done, fail) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers, agent: false, localAddress: options.localAddress }, (res) => {
      let text = '';
      let ended = false;
      let waiter: (() => void) | undefined;
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        waiter?.();
      });
      const end = (): void => {
        ended = true;
        waiter?.();
      };
      res.on('end', end);
      res.on('close', end);
      res.on('error', end);
      done({
        status: res.statusCode ?? 0,
        read: (until) =>
          new Promise((resolve) => {
            const check = (): void => {
              if (text.includes(until)) resolve({ text, ended: false });
              else if (ended) resolve({ text, ended: true });
            };
            waiter = check;
            check();
          }),
        close: () => req.destroy(),
      });
    });
    req.on('error', fail);
    req.end();
  });
}

/** A browser-like client: keeps the session cookie, opens a new connection per request. */
export class WebClient {
  cookie: string | undefined;
  constructor(
    readonly base: string,
    readonly options: { localAddress?: string; headers?: Record<string, string> } = {},
  ) {}

  async get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
    return this.#keep(await send(this.base, path, { headers: this.#headers(headers), localAddress: this.options.localAddress }));
  }

  async post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    return this.#keep(await send(this.base, path, { method: 'POST', body, headers: this.#headers(headers), localAddress: this.options.localAddress }));
  }

  /** POSTs and returns the events, failing the test with the server's sentence on any other status. */
  async events<T = unknown[]>(path: string, body: unknown): Promise<T> {
    const res = await this.post(path, body);
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${res.text}`);
    return res.json<{ events: T }>().events;
  }

  stream(): Promise<OpenStream> {
    return openStream(this.base, this.#headers({}), { localAddress: this.options.localAddress });
  }

  #headers(extra: Record<string, string>): Record<string, string> {
    return { ...this.options.headers, ...(this.cookie ? { Cookie: this.cookie } : {}), ...extra };
  }

  #keep(res: Reply): Reply {
    const set = res.headers['set-cookie']?.[0];
    if (set) this.cookie = set.split(';')[0];
    return res;
  }
}
