// The web chat's request handling: JSON POSTs for start/answer, server-sent events for events that arrive
// later (timeouts), one conversation thread per browser session, images only for the session that saw them.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename } from 'node:path';
import {
  pickReply,
  type AuditSink,
  type BotEvents,
  type BotUser,
  type ConversationService,
  type ThreadKey,
} from '../../src/conversation/conversation-types.js';
import { isCtgiError, userMessage } from '../../src/errors/ctgi-error.js';
import { HttpError, readCookie, readJsonObject, sendGalleryImage, sendJson, sendText } from './http-io.js';
import { admitCall, type CallLimits } from './web-call-limits.js';
import { publicEvents } from './web-public-events.js';
import { addressKey, bearerToken, clientAddress, loopbackHostNames, normaliseAddress, sameOrigin, setSecurityHeaders, tokenMatches, viaTls } from './web-security.js';
import type { SessionPersistence } from './web-session-persistence.js';
import { parseWebThread, runInSession, SESSION_COOKIE, SessionStore, threadOf, type SessionStoreOptions, type WebSession } from './web-sessions.js';
import { EventStreams, type StreamLimits } from './web-streams.js';
import { startWitnessRelay, type WitnessRelay } from '../../src/witness/witness-relay.js';
import type { WitnessLinks } from '../../src/witness/witness-links.js';
import type { WitnessPages } from './witness-page-handler.js';
import { witnessAction } from './witness-operator-route.js';

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
  /** Service calls (start/answer) running at once over all sessions; more get 503 (default 16). */
  maxConcurrentCalls?: number;
  /** Per-session limits on searches and answers (in flight and per minute); more get 429. */
  callLimits?: CallLimits;
  /** Caps and idle time of live event streams. */
  streamLimits?: StreamLimits;
  /** Caps and idle time of browser sessions. */
  sessionLimits?: Pick<SessionStoreOptions, 'maxSessions' | 'maxPerAddress' | 'idleMs'>;
  /** Where sessions outlive a restart (the server opens SQLite under CTGI_HOME); none keeps them in memory. */
  sessionPersistence?: SessionPersistence;
  /**
   * Addresses of reverse proxies in front of the chat: only their X-Forwarded-For (the client address the
   * limits count) and X-Forwarded-Proto (https → a Secure cookie) are believed.
   */
  trustedProxies?: string[];
  /** Witness links: the operator's `/api/witness` and the witness's pages under /w/ (none → both are off). */
  witnessLinks?: WitnessLinks;
  /** The address witnesses reach this server at (`CTGI_PUBLIC_URL`); links name it, and its host is accepted. */
  publicUrl?: string;
  /** How often witness answers are taken from the relay queue, in milliseconds (default 500). */
  witnessRelayMs?: number;
}

/** Counts for operators, tests and the benchmark. */
export interface WebChatStats {
  sessions: number;
  streams: number;
}

/** Request paths of the page's own files → file names in static/. */
export const STATIC_FILES: Record<string, string> = { '/': 'index.html', '/static/chat.js': 'chat.js', '/static/chat.css': 'chat.css', '/static/witness-operator.js': 'witness-operator.js' };
const STATIC_TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
/** Refusals recorded per minute at most, so a scanner cannot flood the audit trail. */
const REFUSALS_PER_MINUTE = 60;

/** The web chat's request handler and its state: sessions, routing, live event streams. */
export class WebChatHandler {
  readonly #o: WebChatOptions;
  readonly #static: Map<string, Buffer>;
  readonly #sessions: SessionStore;
  readonly #streams: EventStreams;
  readonly #trusted: ReadonlySet<string>;
  readonly #unsubscribe: () => void;
  readonly #heartbeat: NodeJS.Timeout;
  #allowedHosts: Set<string> | undefined;
  readonly #witnessPages: WitnessPages | undefined;
  readonly #relay: WitnessRelay | undefined;
  #refusalWindow = { startMs: 0, count: 0 };
  #callsRunning = 0;

  constructor(options: WebChatOptions, staticFiles: Map<string, Buffer>, witnessPages?: WitnessPages) {
    this.#o = options;
    this.#witnessPages = witnessPages;
    // A witness's answers come back through the relay queue, like those for Slack or Discord threads.
    this.#relay = options.witnessLinks
      ? startWitnessRelay(options.witnessLinks.store, 'web:', (thread, events) => this.#onServiceEvents(thread, events), { intervalMs: options.witnessRelayMs, log: options.log })
      : undefined;
    this.#static = staticFiles;
    this.#sessions = new SessionStore({
      ...options.sessionLimits,
      persistence: options.sessionPersistence,
      onPersistError: (err) => options.log?.(`could not store a web session: ${(err as Error)?.message ?? String(err)}`),
    });
    this.#streams = new EventStreams(options.streamLimits);
    this.#trusted = new Set((options.trustedProxies ?? []).map(normaliseAddress));
    this.#unsubscribe = options.service.onEvents((thread, events) => void this.#onServiceEvents(thread, events));
    this.#heartbeat = setInterval(() => this.#tick(), (options.heartbeatSeconds ?? 20) * 1000);
    this.#heartbeat.unref();
  }

  /** Called once bound: a loopback server then accepts only its own Host names. */
  listening(port: number, loopback: boolean): void {
    this.#allowedHosts = loopback ? loopbackHostNames(port) : undefined;
    // A reverse proxy on this machine forwards witnesses with the public host name the operator configured.
    if (this.#allowedHosts && this.#o.publicUrl) this.#allowedHosts.add(new URL(this.#o.publicUrl).host.toLowerCase());
  }

  /** Unsubscribes from the service, ends the live event streams and closes the session store. */
  async stop(): Promise<void> {
    this.#unsubscribe();
    void this.#relay?.stop();
    this.#witnessPages?.stop();
    clearInterval(this.#heartbeat);
    this.#streams.endAll();
    await this.#sessions.close();
  }

  /** Sessions and open event streams right now. */
  stats(): WebChatStats {
    return { sessions: this.#sessions.size, streams: this.#streams.size };
  }

  /** Answers one request; never throws. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setSecurityHeaders(res);
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (this.#allowedHosts && !this.#allowedHosts.has((req.headers.host ?? '').toLowerCase())) {
        throw new HttpError(400, 'Unknown Host header: open the chat at the address ctgi serve printed.');
      }
      // Witness links carry their own capability: the operator's token is not asked for (nor accepted) there.
      if (this.#witnessPages && (url.pathname === '/w' || url.pathname.startsWith('/w/'))) return await this.#witnessPages.handle(req, res, url);
      const session = await this.#authorise(req, res, url);
      if (session === false) return;
      await this.#route(req, res, url, session);
    } catch (err) {
      this.#fail(res, err);
    }
  }

  /**
   * The request's session: the cookie's, or a new one for a page load (GET /) that will use it; undefined for
   * other requests without one (they never create sessions, so a flood of them cannot evict anybody); false
   * after answering 401 or a token redirect.
   */
  async #authorise(req: IncomingMessage, res: ServerResponse, url: URL): Promise<WebSession | undefined | false> {
    const existing = await this.#sessions.resolve(readCookie(req, SESSION_COOKIE));
    if (existing) return existing;
    const token = this.#o.token;
    if (token !== undefined) {
      const queryToken = url.searchParams.get('token') ?? undefined;
      if (req.method === 'GET' && queryToken !== undefined && tokenMatches(queryToken, token)) {
        // The one-time link: set the session cookie and drop the token from the address bar (and history).
        const { cookie } = await this.#newSession(req);
        // Always to the chat itself: echoing the request path could make this an open redirect ("/.//evil.example").
        res.writeHead(303, { Location: '/', 'Set-Cookie': cookie });
        res.end();
        return false;
      }
      if (!tokenMatches(bearerToken(req.headers.authorization), token)) {
        this.#refuse(req, url, 401);
        sendText(res, 401, 'Access token required: open the link with ?token=<CTGI_WEB_TOKEN> or send Authorization: Bearer <token>.', { Connection: 'close' });
        return false;
      }
    }
    if (req.method !== 'GET' || url.pathname !== '/') return undefined;
    const { session, cookie } = await this.#newSession(req);
    res.setHeader('Set-Cookie', cookie);
    return session;
  }

  /** Creates a session for the request's client; `cookie` is its Set-Cookie value. */
  async #newSession(req: IncomingMessage): Promise<{ session: WebSession; cookie: string }> {
    const { session, secret } = this.#sessions.create(this.#addressOf(req));
    // Stored before the cookie is handed out: the browser's next request may reach another server.
    await this.#sessions.settled(session);
    // Behind TLS (as a trusted proxy says) the cookie is never sent over plain HTTP.
    return { session, cookie: `${SESSION_COOKIE}=${secret}; Path=/; HttpOnly; SameSite=Strict${viaTls(req, this.#trusted) ? '; Secure' : ''}` };
  }

  /** The key the request's client counts under in per-address caps. */
  #addressOf(req: IncomingMessage): string {
    return addressKey(clientAddress(req, this.#trusted));
  }

  async #route(req: IncomingMessage, res: ServerResponse, url: URL, session: WebSession | undefined): Promise<void> {
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
    if (path === '/api/events') {
      allow(method, 'GET');
      return this.#streams.open(req, res, need(session), this.#addressOf(req));
    }
    if (path === '/api/state') {
      allow(method, 'GET');
      // Without a session there is nothing to restore (and nothing is created for asking).
      if (!session) return sendJson(res, 200, { demo: this.#o.service.demo, conversation: '', events: [] });
      return sendJson(res, 200, await this.#state(session));
    }
    if (path === '/api/case') {
      allow(method, 'GET');
      return this.#sendCase(res, need(session));
    }
    if (path === '/api/witness' && this.#o.witnessLinks) {
      allow(method, 'POST');
      if (!sameOrigin(req.headers.origin, req.headers.host)) throw new HttpError(403, 'Cross-site requests are not allowed.');
      const own = need(session);
      const body = await readJsonObject(req, 1024);
      const base = this.#o.publicUrl ?? `${viaTls(req, this.#trusted) ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
      return sendJson(res, 200, await witnessAction(this.#o.witnessLinks, threadOf(own), { id: own.id, name: 'web operator' }, body.action, base, this.#o.publicUrl !== undefined));
    }
    if (path === '/api/start' || path === '/api/answer' || path === '/api/new') {
      allow(method, 'POST');
      if (!sameOrigin(req.headers.origin, req.headers.host)) throw new HttpError(403, 'Cross-site requests are not allowed.');
      const own = need(session);
      const body = await readJsonObject(req, this.#o.maxBodyBytes ?? 16 * 1024);
      const finished = admitCall(own, this.#o.callLimits ?? {}, Date.now());
      try {
        const events = await runInSession(own, () => this.#running(() => this.#post(path, own, body)));
        return sendJson(res, 200, { conversation: own.conversationId, events: publicEvents(events) });
      } finally {
        finished();
      }
    }
    throw new HttpError(404, 'Not found.');
  }

  /** Runs one service call within the global cap; only running calls count, so a session's queue takes no slot. */
  async #running<T>(task: () => Promise<T>): Promise<T> {
    if (this.#callsRunning >= (this.#o.maxConcurrentCalls ?? 16)) throw new HttpError(503, 'The search service is busy; try again in a few seconds.', { 'Retry-After': '5' });
    this.#callsRunning++;
    try {
      return await task();
    } finally {
      this.#callsRunning--;
    }
  }

  async #post(path: string, session: WebSession, body: Record<string, unknown>): Promise<BotEvents> {
    const user: BotUser = { id: session.id };
    if (path === '/api/new') {
      this.#sessions.newConversation(session);
      return [];
    }
    if (path === '/api/start') {
      const text = this.#text(body);
      // Every description is a new conversation, so "New search" and a reload never mix two searches.
      this.#sessions.newConversation(session);
      const events = await this.#o.service.start(threadOf(session), user, text);
      this.#sessions.rememberShownImages(session, events);
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
    this.#sessions.rememberShownImages(session, events);
    return events;
  }

  #text(body: Record<string, unknown>): string {
    if (typeof body.text !== 'string') throw new HttpError(400, 'Expected a JSON object with a "text" string, e.g. {"text": "a man in a red coat"}.');
    const max = this.#o.maxTextChars ?? 2000;
    if (body.text.length > max) throw new HttpError(400, `The text is longer than ${max} characters; shorten it.`);
    return body.text;
  }

  async #state(session: WebSession): Promise<{ demo: boolean; conversation: string; events: unknown[] }> {
    const events = await runInSession(session, () => this.#o.service.pending(threadOf(session)));
    this.#sessions.rememberShownImages(session, events);
    return { demo: this.#o.service.demo, conversation: session.conversationId, events: publicEvents(events) };
  }

  /** The session's conversation as a case zip, for its owner only (the service refuses anyone else, audited). */
  async #sendCase(res: ServerResponse, session: WebSession): Promise<void> {
    const service = this.#o.service;
    if (!service.exportCase) throw new HttpError(404, 'Case export is not available here.');
    const result = await runInSession(session, () => this.#running(() => service.exportCase!(threadOf(session), { id: session.id })));
    if (!result.ok) throw new HttpError(404, result.text);
    const bytes = await readFile(result.path);
    const name = basename(result.path).replace(/[^A-Za-z0-9_.-]/g, '_');
    res.writeHead(200, { 'Content-Type': 'application/zip', 'Content-Disposition': `attachment; filename="${name}"`, 'Content-Length': String(bytes.length), 'Cache-Control': 'no-store' });
    res.end(bytes);
  }

  #sendStatic(res: ServerResponse, method: string, file: string): void {
    allow(method, 'GET', 'HEAD');
    const body = this.#static.get(file)!;
    res.writeHead(200, { 'Content-Type': STATIC_TYPES[file.split('.').pop()!]!, 'Content-Length': String(body.length) });
    res.end(method === 'HEAD' ? undefined : body);
  }

  async #sendImage(req: IncomingMessage, res: ServerResponse, url: URL, method: string, session: WebSession | undefined, imageId: number): Promise<void> {
    allow(method, 'GET', 'HEAD');
    // Surveillance images never leak across sessions: only ids this session was shown are served.
    if (!session?.shownImages.has(imageId)) {
      this.#refuse(req, url, 404, session?.id);
      throw new HttpError(404, 'Not found.');
    }
    await sendGalleryImage(res, method, (id) => this.#o.service.readImage(id), imageId);
  }

  async #onServiceEvents(thread: ThreadKey, events: BotEvents): Promise<void> {
    const parsed = parseWebThread(thread);
    if (!parsed) return;
    const session = this.#sessions.byId(parsed.sessionId);
    if (!session) return;
    // The conversation may have been started through another server since this one last saw the session.
    if (session.conversationId !== parsed.conversationId && session.streams.size > 0) await this.#sessions.refresh(session);
    // Events of an abandoned conversation are dropped; a reload would not show them either.
    if (session.conversationId !== parsed.conversationId) return;
    this.#sessions.rememberShownImages(session, events);
    const frame = `event: events\ndata: ${JSON.stringify({ conversation: parsed.conversationId, events: publicEvents(events) })}\n\n`;
    this.#streams.send(session, frame);
  }

  /** Keeps streams alive, closes idle ones and ends expired sessions. */
  #tick(): void {
    this.#sessions.sweep();
    this.#streams.tick();
  }

  /** Records an unauthorised request in the audit trail (path only: the query may hold a token). */
  #refuse(req: IncomingMessage, url: URL, status: number, sessionId?: string): void {
    const who = clientAddress(req, this.#trusted);
    this.#o.log?.(`refused ${status} ${req.method ?? '?'} ${url.pathname} from ${who}`);
    const now = Date.now();
    if (now - this.#refusalWindow.startMs > 60_000) this.#refusalWindow = { startMs: now, count: 0 };
    if (++this.#refusalWindow.count > REFUSALS_PER_MINUTE) return;
    // The refusal is answered at once; its record is written meanwhile (the trail waits for it on close).
    void Promise.resolve()
      .then(() =>
        this.#o.audit?.record({
          at: new Date(now).toISOString(),
          thread: sessionId ? `web:${sessionId}` : 'web:unauthenticated',
          userId: sessionId ?? `ip:${who}`,
          kind: 'refusal',
          text: `${status} ${req.method ?? '?'} ${url.pathname.slice(0, 200)}`,
        }),
      )
      .catch((err: unknown) => {
        // The refusal itself stands; a broken audit trail is the operator's to see.
        this.#o.log?.(`could not write the audit trail: ${(err as Error).message}`);
      });
  }

  #fail(res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof HttpError) {
      // The unread rest of a refused body is not worth receiving, and a refused client (perhaps one of a flood)
      // should not hold a kept-alive connection: close it after answering.
      const close: Record<string, string> = [401, 403, 413, 415, 429, 503].includes(err.status) ? { Connection: 'close' } : {};
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

/** The request's session; a request that needs one and has none is refused (it never creates one). */
function need(session: WebSession | undefined): WebSession {
  if (!session) throw new HttpError(403, 'This browser has no chat session (it may have expired): reload the page.');
  return session;
}
