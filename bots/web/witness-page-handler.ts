// The witness's side of `ctgi serve`: /w/<token> (the page), /w/<token>/api/state and /api/answer, and
// /w/<token>/images/<id> (only images of a gallery the operator chose to show). The token is the capability:
// the operator's CTGI_WEB_TOKEN is neither needed nor accepted here. Refusals are plain pages (or one JSON
// sentence for the page's own calls), never a stack trace.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { pickReply, type AuditSink, type ConversationService } from '../../src/conversation/conversation-types.js';
import type { WitnessLink } from '../../src/witness/witness-link-store.js';
import { WITNESS_REFUSALS, type WitnessLinks, type WitnessRefusal } from '../../src/witness/witness-links.js';
import { renderedInThisProcess } from '../../src/witness/witness-relay.js';
import { HttpError, readCookie, readJsonObject, sendGalleryImage, sendJson } from './http-io.js';
import { GuessLimiter, type GuessLimits } from './witness-guess-limiter.js';
import { plainPage } from './witness-refusal-page.js';
import { addressKey, clientAddress, sameOrigin, viaTls } from './web-security.js';

export interface WitnessPageOptions {
  links: WitnessLinks;
  service: ConversationService;
  trustedProxies: ReadonlySet<string>;
  audit?: AuditSink;
  log?: (line: string) => void;
  guessLimits?: GuessLimits;
}

const COOKIE = 'ctgi_witness';
const STATUS: Record<WitnessRefusal, number> = { unknown: 404, expired: 410, revoked: 410, closed: 410, 'in-use': 409 };
const TITLES: Record<WitnessRefusal, string> = { unknown: 'Link not valid', expired: 'Link expired', revoked: 'Link withdrawn', closed: 'Search finished', 'in-use': 'Link already in use' };
const STATIC: Record<string, { file: string; type: string }> = {
  '/w/static/witness.js': { file: 'witness.js', type: 'text/javascript; charset=utf-8' },
  '/w/static/witness.css': { file: 'witness.css', type: 'text/css; charset=utf-8' },
};
const ROUTE = /^\/w\/([^/]{1,100})(\/api\/state|\/api\/answer|\/images\/(\d{1,15}))?$/;

/** The witness page's request handling; create with `WitnessPages.load`. */
export class WitnessPages {
  readonly #o: WitnessPageOptions;
  readonly #files: Map<string, Buffer>;
  readonly #guesses: GuessLimiter;
  readonly #unsubscribe: () => void;

  private constructor(options: WitnessPageOptions, files: Map<string, Buffer>) {
    this.#o = options;
    this.#files = files;
    this.#guesses = new GuessLimiter(options.guessLimits);
    // A witness's answer to a Slack or Discord thread arms that question's timeout in this process; what the
    // timeout produces must reach the bot's process too, unless that bot runs here and hears it itself.
    this.#unsubscribe = options.service.onEvents((thread, events) => {
      if (renderedInThisProcess(thread)) return;
      options.links.store.enqueueRelay(thread, events, Date.now()).catch((err: unknown) => options.log?.(`witness link: could not relay events of ${thread}: ${(err as Error).message}`));
    });
  }

  /** Stops relaying this process's service events. */
  stop(): void {
    this.#unsubscribe();
  }

  /** Reads the page's files once. */
  static async load(options: WitnessPageOptions): Promise<WitnessPages> {
    const dir = fileURLToPath(new URL('./static/', import.meta.url));
    const files = new Map<string, Buffer>();
    for (const name of ['witness.html', 'witness.js', 'witness.css']) files.set(name, await readFile(`${dir}${name}`));
    return new WitnessPages(options, files);
  }

  /** Answers a request under /w/; never throws. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const api = url.pathname.includes('/api/') || url.pathname.includes('/images/');
    try {
      const file = STATIC[url.pathname];
      if (file) return this.#sendFile(res, req.method ?? 'GET', file.file, file.type);
      const m = ROUTE.exec(url.pathname);
      if (!m) return this.#refusePage(res, 'unknown', api);
      const address = addressKey(clientAddress(req, this.#o.trustedProxies));
      const now = Date.now();
      if (this.#guesses.blocked(address, now)) {
        this.#o.log?.(`witness link: throttled ${address} after too many invalid links`);
        const sentence = 'Too many invalid links came from your address; wait ten minutes and try the link you were sent.';
        return api ? sendJson(res, 429, { error: sentence }, { 'Retry-After': '600' }) : this.#html(res, 429, plainPage('Too many attempts', sentence), { 'Retry-After': '600' });
      }
      const token = m[1]!;
      const opened = await this.#o.links.open(token, readCookie(req, COOKIE));
      if (!opened.ok) {
        if (opened.refusal === 'unknown') {
          this.#guesses.fail(address, now);
          this.#audit(`invalid witness link from ${address}`);
        }
        return this.#refusePage(res, opened.refusal, api);
      }
      if (opened.newBrowserSecret) {
        // Bound to this browser from now on; Lax so that tapping the link again (from a message app) still sends it.
        res.setHeader('Set-Cookie', `${COOKIE}=${opened.newBrowserSecret}; Path=/w/${token}; HttpOnly; SameSite=Lax${viaTls(req, this.#o.trustedProxies) ? '; Secure' : ''}`);
      }
      const link = opened.link;
      if (!m[2]) return this.#sendFile(res, req.method ?? 'GET', 'witness.html', 'text/html; charset=utf-8');
      if (m[2] === '/api/state') {
        allow(req, 'GET');
        return sendJson(res, 200, await this.#o.links.view(link));
      }
      if (m[2] === '/api/answer') return await this.#answer(req, res, link);
      return await this.#image(req, res, link, Number(m[3]));
    } catch (err) {
      this.#fail(res, err, api);
    }
  }

  async #answer(req: IncomingMessage, res: ServerResponse, link: WitnessLink): Promise<void> {
    allow(req, 'POST');
    if (!sameOrigin(req.headers.origin, req.headers.host)) throw new HttpError(403, 'Cross-site requests are not allowed.');
    const body = await readJsonObject(req, 8 * 1024);
    const inReplyTo = body.inReplyTo;
    if (typeof inReplyTo !== 'string' || !/^[qg]:[^\s]{1,100}$/.test(inReplyTo)) throw new HttpError(400, 'Reload the page: the answer did not say which question it answers.');
    const reply = typeof body.pick === 'number' && Number.isInteger(body.pick) && body.pick >= 1 && body.pick <= 1000 ? pickReply(body.pick) : body.text;
    if (typeof reply !== 'string' || reply.length > 1000) throw new HttpError(400, 'Type a shorter answer (at most 1000 characters).');
    const outcome = await this.#o.links.answer(link, reply, inReplyTo);
    const messages = { accepted: 'Thank you, your answer was sent.', 'already-answered': 'This question was already answered; here is what is open now.', closed: WITNESS_REFUSALS.closed, empty: 'Type an answer first, or tap one of the buttons.' };
    sendJson(res, outcome.status === 'accepted' ? 200 : outcome.status === 'empty' ? 400 : 409, { status: outcome.status, message: messages[outcome.status] });
  }

  async #image(req: IncomingMessage, res: ServerResponse, link: WitnessLink, imageId: number): Promise<void> {
    allow(req, 'GET', 'HEAD');
    // Only a gallery the operator chose to show, and only its own images.
    if (!(await this.#o.links.mayView(link, imageId))) throw new HttpError(404, 'Not found.');
    await sendGalleryImage(res, req.method, (id) => this.#o.service.readImage(id), imageId);
  }

  #refusePage(res: ServerResponse, refusal: WitnessRefusal, api: boolean): void {
    if (api) return sendJson(res, STATUS[refusal], { refusal, error: WITNESS_REFUSALS[refusal] });
    this.#html(res, STATUS[refusal], plainPage(TITLES[refusal], WITNESS_REFUSALS[refusal]));
  }

  #sendFile(res: ServerResponse, method: string, name: string, type: string): void {
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'Use GET here.', { Allow: 'GET, HEAD' });
    const body = this.#files.get(name)!;
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': String(body.length) });
    res.end(method === 'HEAD' ? undefined : body);
  }

  #html(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
    const body = Buffer.from(html);
    res.writeHead(status, { ...headers, 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(body.length) });
    res.end(body);
  }

  #audit(text: string): void {
    try {
      this.#o.audit?.record({ at: new Date().toISOString(), thread: 'web:witness-link', userId: 'anonymous', kind: 'refusal', text });
    } catch (err) {
      this.#o.log?.(`could not write the audit trail: ${(err as Error).message}`);
    }
  }

  #fail(res: ServerResponse, err: unknown, api: boolean): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const status = err instanceof HttpError ? err.status : 500;
    if (!(err instanceof HttpError)) this.#o.log?.(`witness link error: ${(err as Error)?.stack ?? String(err)}`);
    const sentence = err instanceof HttpError ? err.message : 'Something went wrong on our side; please try again in a moment.';
    if (api) return sendJson(res, status, { error: sentence }, err instanceof HttpError ? err.headers : {});
    this.#html(res, status, plainPage('Something went wrong', sentence));
  }
}

function allow(req: IncomingMessage, ...methods: string[]): void {
  if (!methods.includes(req.method ?? 'GET')) throw new HttpError(405, `Use ${methods.join(' or ')} here.`, { Allow: methods.join(', ') });
}
