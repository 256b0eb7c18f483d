// The web chat's request handling: JSON POSTs for start/answer, server-sent events for events that arrive
// later (timeouts), one conversation thread per browser session, images only for the session that saw them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  pickReply,
  type AuditSink,
  type BotEvents,
  type BotUser,
  type ConversationService,
  type ThreadKey,
} from '../../agent/service/conversation-types.js';
import { isCtgiError, userMessage } from '../../src/errors/ctgi-error.js';
import { HttpError, imageContentType, readCookie, readJsonObject, sendJson, sendText } from './http-io.js';
import { bearerToken, loopbackHostNames, sameOrigin, setSecurityHeaders, tokenMatches } from './web-security.js';
import {
  newConversationId,
  parseWebThread,
  rememberShownImages,
  runInSession,
  SESSION_COOKIE,
  SessionStore,
  threadOf,
  type WebSession,
} from './web-sessions.js';

/** What the request handler needs (the server adds host and port). */
export interface WebChatOptions {
  service: ConversationService;
  /** Access token; enforced on every request whenever set. */
  token?: string;
  /** Where refusals of unauthorised requests are recorded. */
  audit?: AuditSink;
  /** Operational log lines (never tokens, cookies or query strings). */
  log?: (line: string) => void;
  /** Largest accepted request body (default 16 KiB). */
  maxBodyBytes?: number;
  /** Longest accepted description or reply, in characters (default 2000). */
  maxTextChars?: number;
  /** Seconds between SSE keep-alive comments (default 20). */
  heartbeatSeconds?: number;
  /** Service calls (start/answer) in flight at once over all sessions; more get 503 (default 16). */
  maxConcurrentCalls?: number;
}

/** Request paths of the page's own files → file names in static/. */
export const STATIC_FILES: Record<string, string> = { '/': 'index.html', '/static/chat.js': 'chat.js', '/static/chat.css': 'chat.css' };
const STATIC_TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
const MAX_STREAMS_PER_SESSION = 4;
/** Refusals recorded per minute at most, so a scanner cannot flood the audit trail. */
const REFUSALS_PER_MINUTE = 60;

/** The web chat's request handler and its state: sessions, routing, live event streams. */
export class WebChatHandler {
  readonly #o: WebChatOptions;
  readonly #static: Map<string, Buffer>;
  readonly #sessions = new SessionStore();
  readonly #unsubscribe: () => void;
  readonly #heartbeat: NodeJS.Timeout;
  #allowedHosts: Set<string> | undefined;
  #refusalWindow = { startMs: 0, count: 0 };
  #callsInFlight = 0;

  constructor(options: WebChatOptions, staticFiles: Map<string, Buffer>) {
    this.#o = options;
    this.#static = staticFiles;
    this.#unsubscribe = options.service.onEvents((thread, events) => this.#onServiceEvents(thread, events));
    this.#heartbeat = setInterval(() => this.#ping(), (options.heartbeatSeconds ?? 20) * 1000);
    this.#heartbeat.unref();
  }

  /** Called once bound: a loopback server then accepts only its own Host names. */
  listening(port: number, loopback: boolean): void {
    this.#allowedHosts = loopback ? loopbackHostNames(port) : undefined;
  }

  /** Unsubscribes from the service and ends the live event streams. */
  stop(): void {
    this.#unsubscribe();
    clearInterval(this.#heartbeat);
    for (const s of this.#sessions.all()) for (const stream of [...s.streams]) endStream(s, stream);
  }

  /** Answers one request; never throws. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setSecurityHeaders(res);
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (this.#allowedHosts && !this.#allowedHosts.has((req.headers.host ?? '').toLowerCase())) {
        throw new HttpError(400, 'Unknown Host header: open the chat at the address ctgi serve printed.');
      }
      const session = this.#authorise(req, res, url);
      if (!session) return;
      await this.#route(req, res, url, session);
    } catch (err) {
      this.#fail(res, err);
    }
  }

  /** The request's session (created when allowed), or undefined after answering 401 or a token redirect. */
  #authorise(req: IncomingMessage, res: ServerResponse, url: URL): WebSession | undefined {
    const existing = this.#sessions.get(readCookie(req, SESSION_COOKIE));
    if (existing) return existing;
    const token = this.#o.token;
    if (token !== undefined) {
      const queryToken = url.searchParams.get('token') ?? undefined;
      if (req.method === 'GET' && queryToken !== undefined && tokenMatches(queryToken, token)) {
        // The one-time link: set the session cookie and drop the token from the address bar (and history).
        const session = this.#sessions.create();
        // Always to the chat itself: echoing the request path could make this an open redirect ("/.//evil.example").
        res.writeHead(303, { Location: '/', 'Set-Cookie': sessionCookie(session) });
        res.end();
        return undefined;
      }
      if (!tokenMatches(bearerToken(req.headers.authorization), token)) {
        this.#refuse(req, url, 401);
        sendText(res, 401, 'Access token required: open the link with ?token=<CTGI_WEB_TOKEN> or send Authorization: Bearer <token>.');
        return undefined;
      }
    }
    const session = this.#sessions.create();
    res.setHeader('Set-Cookie', sessionCookie(session));
    return session;
  }

  async #route(req: IncomingMessage, res: ServerResponse, url: URL, session: WebSession): Promise<void> {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    const file = STATIC_FILES[path];
    if (file !== undefined) return this.#sendStatic(res, method, file);
    const image = /^\/images\/(\d{1,15})$/.exec(path);
    if (image) return this.#sendImage(req, res, url, method, session, Number(image[1]));
    if (path === '/api/events') return this.#openStream(req, res, method, session);
    if (path === '/api/state') {
      allow(method, 'GET');
      return sendJson(res, 200, await this.#state(session));
    }
    if (path === '/api/start' || path === '/api/answer' || path === '/api/new') {
      allow(method, 'POST');
      if (!sameOrigin(req.headers.origin, req.headers.host)) throw new HttpError(403, 'Cross-site requests are not allowed.');
      const body = await readJsonObject(req, this.#o.maxBodyBytes ?? 16 * 1024);
      if (this.#callsInFlight >= (this.#o.maxConcurrentCalls ?? 16)) throw new HttpError(503, 'The search service is busy; try again in a few seconds.', { 'Retry-After': '5' });
      this.#callsInFlight++;
      try {
        const events = await runInSession(session, () => this.#post(path, session, body));
        return sendJson(res, 200, { conversation: session.conversationId, events });
      } finally {
        this.#callsInFlight--;
      }
    }
    throw new HttpError(404, 'Not found.');
  }

  async #post(path: string, session: WebSession, body: Record<string, unknown>): Promise<BotEvents> {
    const user: BotUser = { id: session.id };
    if (path === '/api/new') {
      session.conversationId = newConversationId();
      return [];
    }
    if (path === '/api/start') {
      const text = this.#text(body);
      // Every description is a new conversation, so "New search" and a reload never mix two searches.
      session.conversationId = newConversationId();
      const events = await this.#o.service.start(threadOf(session), user, text);
      rememberShownImages(session, events);
      return events;
    }
    if (body.conversation !== undefined && body.conversation !== session.conversationId) {
      // Another tab of this session started a newer search; answering would feed this reply into it.
      throw new HttpError(409, 'This search was replaced by a newer one (in another tab?); reload the page to see it.');
    }
    const reply = typeof body.pick === 'number' && Number.isInteger(body.pick) && body.pick >= 1 && body.pick <= 1000 ? pickReply(body.pick) : this.#text(body);
    // Buttons name the question or gallery they answer, so a stale one cannot answer the current question.
    const inReplyTo = body.inReplyTo ?? undefined;
    if (inReplyTo !== undefined && (typeof inReplyTo !== 'string' || !/^[qg]:[^\s]{1,100}$/.test(inReplyTo))) {
      throw new HttpError(400, '"inReplyTo" must name a question ("q:<id>") or a gallery ("g:<round>").');
    }
    const events = await this.#o.service.answer(threadOf(session), user, reply, inReplyTo);
    rememberShownImages(session, events);
    return events;
  }

  #text(body: Record<string, unknown>): string {
    if (typeof body.text !== 'string') throw new HttpError(400, 'Expected a JSON object with a "text" string, e.g. {"text": "a man in a red coat"}.');
    const max = this.#o.maxTextChars ?? 2000;
    if (body.text.length > max) throw new HttpError(400, `The text is longer than ${max} characters; shorten it.`);
    return body.text;
  }

  async #state(session: WebSession): Promise<{ demo: boolean; conversation: string; events: BotEvents }> {
    const events = await runInSession(session, () => this.#o.service.pending(threadOf(session)));
    rememberShownImages(session, events);
    return { demo: this.#o.service.demo, conversation: session.conversationId, events };
  }

  #sendStatic(res: ServerResponse, method: string, file: string): void {
    allow(method, 'GET', 'HEAD');
    const body = this.#static.get(file)!;
    res.writeHead(200, { 'Content-Type': STATIC_TYPES[file.split('.').pop()!]!, 'Content-Length': String(body.length) });
    res.end(method === 'HEAD' ? undefined : body);
  }

  async #sendImage(req: IncomingMessage, res: ServerResponse, url: URL, method: string, session: WebSession, imageId: number): Promise<void> {
    allow(method, 'GET', 'HEAD');
    // Surveillance images never leak across sessions: only ids this session was shown are served.
    if (!session.shownImages.has(imageId)) {
      this.#refuse(req, url, 404, session.id);
      throw new HttpError(404, 'Not found.');
    }
    let bytes: Buffer;
    try {
      bytes = await this.#o.service.readImage(imageId);
    } catch (err) {
      if (isCtgiError(err, 'NOT_FOUND')) throw new HttpError(404, 'Not found.');
      throw err;
    }
    res.writeHead(200, { 'Content-Type': imageContentType(bytes), 'Content-Length': String(bytes.length) });
    res.end(method === 'HEAD' ? undefined : bytes);
  }

  #openStream(req: IncomingMessage, res: ServerResponse, method: string, session: WebSession): void {
    allow(method, 'GET');
    const oldest = session.streams.values().next().value;
    if (oldest && session.streams.size >= MAX_STREAMS_PER_SESSION) endStream(session, oldest);
    // X-Accel-Buffering: a reverse proxy (nginx) must pass events through at once.
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write('retry: 3000\n\n');
    session.streams.add(res);
    const drop = (): void => {
      session.streams.delete(res);
    };
    req.on('close', drop);
    res.on('close', drop);
    res.on('error', drop);
  }

  #onServiceEvents(thread: ThreadKey, events: BotEvents): void {
    const parsed = parseWebThread(thread);
    if (!parsed) return;
    const session = this.#sessions.byId(parsed.sessionId);
    // Events of an abandoned conversation are dropped; a reload would not show them either.
    if (!session || session.conversationId !== parsed.conversationId) return;
    rememberShownImages(session, events);
    const frame = `event: events\ndata: ${JSON.stringify({ conversation: parsed.conversationId, events })}\n\n`;
    for (const stream of session.streams) writeStream(stream, frame);
  }

  #ping(): void {
    for (const s of this.#sessions.all()) for (const stream of s.streams) writeStream(stream, ': ping\n\n');
  }

  /** Records an unauthorised request in the audit trail (path only: the query may hold a token). */
  #refuse(req: IncomingMessage, url: URL, status: number, sessionId?: string): void {
    const who = req.socket.remoteAddress ?? 'unknown';
    this.#o.log?.(`refused ${status} ${req.method ?? '?'} ${url.pathname} from ${who}`);
    const now = Date.now();
    if (now - this.#refusalWindow.startMs > 60_000) this.#refusalWindow = { startMs: now, count: 0 };
    if (++this.#refusalWindow.count > REFUSALS_PER_MINUTE) return;
    try {
      this.#o.audit?.record({
        at: new Date(now).toISOString(),
        thread: sessionId ? `web:${sessionId}` : 'web:unauthenticated',
        userId: sessionId ?? `ip:${who}`,
        kind: 'refusal',
        text: `${status} ${req.method ?? '?'} ${url.pathname.slice(0, 200)}`,
      });
    } catch (err) {
      // The refusal itself stands; a broken audit trail is the operator's to see.
      this.#o.log?.(`could not write the audit trail: ${(err as Error).message}`);
    }
  }

  #fail(res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof HttpError) {
      // The unread rest of a refused body is not worth receiving: close the connection after answering.
      const close: Record<string, string> = err.status === 413 || err.status === 415 ? { Connection: 'close' } : {};
      return sendJson(res, err.status, { error: err.message }, { ...err.headers, ...close });
    }
    if (isCtgiError(err, 'BAD_INPUT')) return sendJson(res, 400, { error: err.message });
    this.#o.log?.(`error: ${(err as Error)?.stack ?? String(err)}`);
    sendJson(res, 500, { error: userMessage(err) });
  }
}

function allow(method: string, ...methods: string[]): void {
  if (!methods.includes(method)) throw new HttpError(405, `Use ${methods.join(' or ')} here.`, { Allow: methods.join(', ') });
}

/** Writes to a live event stream; one that is ending is skipped (a write after end would throw asynchronously). */
function writeStream(stream: ServerResponse, data: string): void {
  if (!stream.writableEnded && !stream.destroyed) stream.write(data);
}

function endStream(session: WebSession, stream: ServerResponse): void {
  session.streams.delete(stream);
  stream.end();
}

function sessionCookie(session: WebSession): string {
  return `${SESSION_COOKIE}=${session.secret}; Path=/; HttpOnly; SameSite=Strict`;
}
