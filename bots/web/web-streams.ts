// The web chat's live event streams (server-sent events): capped per session, per client address and over
// all, kept alive by comments, and closed when idle so no stream holds a connection forever.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http-io.js';
import type { WebSession } from './web-sessions.js';

/** Limits of the live event streams. */
export interface StreamLimits {
  /** Open streams over all clients (default 256). */
  maxStreams?: number;
  /** Open streams per client address (default 16). */
  maxPerAddress?: number;
  /** Open streams per session; a further one ends the session's oldest (default 4). */
  maxPerSession?: number;
  /** A stream with no event and no request from its session for this long is closed (default 10 min). */
  idleMs?: number;
}

interface OpenStream {
  readonly res: ServerResponse;
  readonly session: WebSession;
  readonly address: string;
  lastActiveMs: number;
}

/** The open event streams and their caps. */
export class EventStreams {
  readonly #open = new Map<ServerResponse, OpenStream>();
  readonly #perAddress = new Map<string, number>();
  readonly #limits: Required<StreamLimits>;
  readonly #now: () => number;

  constructor(limits: StreamLimits = {}, now: () => number = Date.now) {
    this.#limits = { maxStreams: limits.maxStreams ?? 256, maxPerAddress: limits.maxPerAddress ?? 16, maxPerSession: limits.maxPerSession ?? 4, idleMs: limits.idleMs ?? 600_000 };
    this.#now = now;
  }

  /**
   * Opens `res` as an event stream of `session` for a client at `address`.
   * @throws HttpError 429 when the address holds too many streams, 503 when the server does.
   */
  open(req: IncomingMessage, res: ServerResponse, session: WebSession, address: string): void {
    // A session's fifth tab replaces its oldest stream rather than being refused.
    const oldest = session.streams.values().next().value;
    if (oldest && session.streams.size >= this.#limits.maxPerSession) this.end(oldest);
    if ((this.#perAddress.get(address) ?? 0) >= this.#limits.maxPerAddress) {
      throw new HttpError(429, 'Too many live chat pages from your address: close some tabs and reload this one.', { 'Retry-After': '30' });
    }
    if (this.#open.size >= this.#limits.maxStreams) {
      throw new HttpError(503, 'The chat has too many live pages open right now; reload in a minute.', { 'Retry-After': '30' });
    }
    // X-Accel-Buffering: a reverse proxy (nginx) must pass events through at once.
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write('retry: 3000\n\n');
    const stream: OpenStream = { res, session, address, lastActiveMs: this.#now() };
    this.#open.set(res, stream);
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    session.streams.add(res);
    const drop = (): void => this.#drop(res);
    req.on('close', drop);
    res.on('close', drop);
    res.on('error', drop);
  }

  /** Sends an event frame to every stream of `session`. */
  send(session: WebSession, frame: string): void {
    const now = this.#now();
    for (const res of session.streams) {
      const stream = this.#open.get(res);
      if (stream) stream.lastActiveMs = now;
      write(res, frame);
    }
  }

  /** Keeps the live streams alive with a comment and closes the idle ones (EventSource reconnects on its own). */
  tick(): void {
    const now = this.#now();
    for (const stream of [...this.#open.values()]) {
      if (now - Math.max(stream.lastActiveMs, stream.session.lastSeenMs) > this.#limits.idleMs) this.end(stream.res);
      else write(stream.res, ': ping\n\n');
    }
  }

  /** Ends one stream. */
  end(res: ServerResponse): void {
    this.#drop(res);
    res.end();
  }

  /** Ends every stream (shutdown). */
  endAll(): void {
    for (const res of [...this.#open.keys()]) this.end(res);
  }

  /** Number of open streams. */
  get size(): number {
    return this.#open.size;
  }

  #drop(res: ServerResponse): void {
    const stream = this.#open.get(res);
    // A stream that a session's end already removed from its set is still counted until here.
    stream?.session.streams.delete(res);
    if (!stream) return;
    this.#open.delete(res);
    const left = (this.#perAddress.get(stream.address) ?? 1) - 1;
    if (left > 0) this.#perAddress.set(stream.address, left);
    else this.#perAddress.delete(stream.address);
  }
}

/** Writes to a live event stream; one that is ending is skipped (a write after end would throw asynchronously). */
function write(stream: ServerResponse, data: string): void {
  if (!stream.writableEnded && !stream.destroyed) stream.write(data);
}
