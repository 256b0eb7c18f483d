// The web chat over HTTP: the dialogue, sessions and image isolation, live events, access control, limits.
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BotEvents } from '../../src/conversation/conversation-types.js';
import { startWebServer, type WebServer } from '../../bots/web/web-server.js';
import { AuditStore } from '../../src/audit/audit-store.js';
import { ScriptedConversationService } from '../fakes/scripted-conversation-service.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** A browser-like client: keeps the session cookie, sends JSON. */
class Client {
  cookie: string | undefined;
  constructor(readonly base: string) {}

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.#keep(await fetch(new URL(path, this.base), { headers: { ...this.#cookie(), ...headers }, redirect: 'manual' }));
  }

  async post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const init = { method: 'POST', headers: { 'Content-Type': 'application/json', ...this.#cookie(), ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) };
    return this.#keep(await fetch(new URL(path, this.base), init));
  }

  async events(path: string, body: unknown): Promise<BotEvents> {
    const res = await this.post(path, body);
    expect(res.status).toBe(200);
    return ((await res.json()) as { events: BotEvents }).events;
  }

  #cookie(): Record<string, string> {
    return this.cookie ? { Cookie: this.cookie } : {};
  }

  #keep(res: Response): Response {
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0];
    return res;
  }
}

const galleryOf = (events: BotEvents) => events.find((e) => e.kind === 'gallery') as Extract<BotEvents[number], { kind: 'gallery' }>;

let service: ScriptedConversationService;
let temp: { dir: string; cleanup: () => Promise<void> };
let audit: AuditStore;
const servers: WebServer[] = [];

beforeAll(async () => {
  temp = await makeTempDir('web-server');
  audit = AuditStore.open(join(temp.dir, 'audit.sqlite'));
  service = await ScriptedConversationService.create({ audit });
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await service.close();
  audit.close();
  await temp.cleanup();
});

async function serve(options: Partial<Parameters<typeof startWebServer>[0]> = {}): Promise<WebServer> {
  const web = await startWebServer({ service, port: 0, audit, ...options });
  servers.push(web);
  return web;
}

describe('web chat over HTTP', () => {
  it('runs the dialogue, serves this session its images and nobody else', async () => {
    const web = await serve();
    const alice = new Client(web.url);
    const page = await alice.get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('set-cookie')).toMatch(/^ctgi_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await page.text();
    expect(html).toContain('data-testid="query"');
    expect(html).not.toMatch(/<script>(?!<\/script>)|<script[^>]*>[^<]+<\/script>/);

    const started = await alice.events('/api/start', { text: 'a man in a red coat' });
    expect(started.map((e) => e.kind)).toEqual(['text', 'question']);
    const gallery = galleryOf(await alice.events('/api/answer', { text: 'yes' }));
    expect(gallery.items.map((i) => i.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

    const img = await alice.get(`/images/${gallery.items[3]!.imageId}`);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await img.arrayBuffer()).equals(await service.readImage(gallery.items[3]!.imageId))).toBe(true);
    // An image of the gallery that was never shown to this session (the next round's) is not served.
    expect((await alice.get(`/images/${service.galleryIds(1)[0]}`)).status).toBe(404);

    const bob = new Client(web.url);
    await bob.get('/');
    const stolen = await bob.get(`/images/${gallery.items[3]!.imageId}`);
    expect(stolen.status).toBe(404);
    expect(await stolen.text()).not.toContain('PNG');

    // The pick is sent as a rank and becomes the contract's "#n is them".
    const done = await alice.events('/api/answer', { pick: 4 });
    expect(done).toEqual([expect.objectContaining({ kind: 'done', reason: 'confirmed', imageId: gallery.items[3]!.imageId })]);
    expect(service.calls.filter((c) => c.method === 'answer').at(-1)?.text).toBe('#4 is them');
  });

  it('restores the pending gallery after a reload and starts a new conversation on "New search"', async () => {
    const web = await serve();
    const c = new Client(web.url);
    await c.get('/');
    await c.events('/api/start', { text: 'a woman with a black bag' });
    await c.events('/api/answer', { text: 'no' });
    const state = (await (await c.get('/api/state')).json()) as { demo: boolean; conversation: string; events: BotEvents };
    expect(state.demo).toBe(true);
    expect(galleryOf(state.events).items).toHaveLength(10);

    const fresh = (await (await c.post('/api/new', {})).json()) as { conversation: string; events: BotEvents };
    expect(fresh.conversation).not.toBe(state.conversation);
    const after = (await (await c.get('/api/state')).json()) as { events: BotEvents; conversation: string };
    expect(after).toEqual({ demo: true, conversation: fresh.conversation, events: [] });
    // Threads are web:<public session id>:<conversation id>; the cookie secret never appears in them.
    const threads = service.calls.filter((c2) => c2.method === 'start').map((c2) => c2.thread!);
    expect(threads.at(-1)).toMatch(/^web:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/);
    expect(threads.at(-1)).not.toContain(c.cookie!.split('=')[1]);
  });

  it('pushes events that arrive later over server-sent events, for the session’s own conversation only', async () => {
    const web = await serve();
    const c = new Client(web.url);
    await c.get('/');
    await c.events('/api/start', { text: 'a tall man' });
    const thread = service.calls.filter((x) => x.method === 'start').at(-1)!.thread!;
    const frames = await readSse(web, c.cookie!, async () => {
      service.emit('web:someone-else:abc', [{ kind: 'text', tone: 'info', text: 'not yours' }]);
      await service.expire(thread);
    });
    const data = JSON.parse(frames.find((f) => f.startsWith('event: events'))!.split('\ndata: ')[1]!) as { events: BotEvents };
    expect(data.events.map((e) => e.kind)).toEqual(['text', 'gallery']);
    expect(frames.join('')).not.toContain('not yours');
    // Images shown over the event stream become fetchable.
    expect((await c.get(`/images/${galleryOf(data.events).items[0]!.imageId}`)).status).toBe(200);
  });

  it('keeps at most four live event streams per session, ending the oldest, with keep-alive pings', async () => {
    const web = await serve({ heartbeatSeconds: 0.05 });
    const c = new Client(web.url);
    await c.get('/');
    await c.events('/api/start', { text: 'a short woman' });
    const thread = service.calls.filter((x) => x.method === 'start').at(-1)!.thread!;
    const controllers: AbortController[] = [];
    const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const controller = new AbortController();
        controllers.push(controller);
        const res = await fetch(`${web.url}api/events`, { headers: { Cookie: c.cookie! }, signal: controller.signal });
        readers.push(res.body!.getReader());
      }
      const drain = async (reader: ReadableStreamDefaultReader<Uint8Array>, until: string): Promise<{ text: string; ended: boolean }> => {
        let text = '';
        for (;;) {
          const next = await reader.read();
          if (next.done) return { text, ended: true };
          text += new TextDecoder().decode(next.value);
          if (text.includes(until)) return { text, ended: false };
        }
      };
      expect((await drain(readers[0]!, 'never sent')).ended).toBe(true);
      expect((await drain(readers[4]!, ': ping')).ended).toBe(false);
      await service.expire(thread);
      for (const reader of readers.slice(1)) expect((await drain(reader, 'event: events')).text).toContain('"kind":"gallery"');
    } finally {
      for (const controller of controllers) controller.abort();
    }
  });

  it('rejects malformed, oversized, non-JSON and cross-site requests with a reason', async () => {
    const web = await serve({ maxBodyBytes: 256 });
    const c = new Client(web.url);
    await c.get('/');
    const bad = await c.post('/api/start', '{"text": ');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/not valid JSON/);
    expect((await c.post('/api/start', [1, 2])).status).toBe(400);
    expect((await c.post('/api/start', { text: 42 })).status).toBe(400);
    const big = await c.post('/api/start', { text: 'x'.repeat(1000) });
    expect(big.status).toBe(413);
    const form = await c.post('/api/start', 'text=hi', { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    const csrf = await c.post('/api/start', { text: 'hi' }, { Origin: 'http://evil.example' });
    expect(csrf.status).toBe(403);
    const wrongMethod = await c.get('/api/start');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect((await c.get('/etc/passwd')).status).toBe(404);
    expect((await c.get('/static/../web-server.ts')).status).toBe(404);
  });

  it('refuses an answer meant for a conversation another tab has replaced', async () => {
    const web = await serve();
    const tab1 = new Client(web.url);
    await tab1.get('/');
    const first = (await (await tab1.post('/api/start', { text: 'a man in a red coat' })).json()) as { conversation: string };
    const tab2 = new Client(web.url);
    tab2.cookie = tab1.cookie;
    await tab2.events('/api/start', { text: 'a woman in blue' });
    const stale = await tab1.post('/api/answer', { conversation: first.conversation, text: 'yes' });
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as { error: string }).error).toMatch(/reload/);
  });

  it('refuses a button of an earlier question (inReplyTo) with a notice; typed text still answers', async () => {
    const web = await serve();
    const c = new Client(web.url);
    await c.get('/');
    const started = await c.events('/api/start', { text: 'a man in a grey hoodie' });
    const q1 = started.find((e) => e.kind === 'question')!;
    const gallery = galleryOf(await c.events('/api/answer', { text: 'yes, a backpack', inReplyTo: undefined }));
    const answers = service.calls.filter((x) => x.method === 'answer').length;
    const stale = await c.events('/api/answer', { text: 'no', inReplyTo: `q:${(q1 as { id: string }).id}` });
    expect(stale).toEqual([expect.objectContaining({ kind: 'text', tone: 'notice', code: 'stale-reply' })]);
    expect(service.calls.filter((x) => x.method === 'answer').at(-1)).toMatchObject({ text: 'no', inReplyTo: `q:${(q1 as { id: string }).id}` });
    expect(service.calls.filter((x) => x.method === 'answer')).toHaveLength(answers + 1);
    const forged = await c.post('/api/answer', { text: 'no', inReplyTo: 'drop table' });
    expect(forged.status).toBe(400);
    expect(((await forged.json()) as { error: string }).error).toMatch(/must name a question/);
    // The gallery's own pick still works.
    const done = await c.events('/api/answer', { pick: 2, inReplyTo: `g:${gallery.round}` });
    expect(done).toEqual([expect.objectContaining({ kind: 'done', reason: 'confirmed' })]);
  });

  it('answers 503 while too many service calls are in flight', async () => {
    const web = await serve({ maxConcurrentCalls: 1 });
    const original = service.start.bind(service);
    let release!: () => void;
    const gate = new Promise<void>((done) => (release = done));
    let entered = false;
    service.start = async (...args) => {
      entered = true;
      await gate;
      return original(...args);
    };
    try {
      const a = new Client(web.url);
      const b = new Client(web.url);
      await a.get('/');
      await b.get('/');
      const slow = a.post('/api/start', { text: 'first' });
      await expect.poll(() => entered).toBe(true);
      const busy = await b.post('/api/start', { text: 'second' });
      expect(busy.status).toBe(503);
      expect(busy.headers.get('retry-after')).toBe('5');
      release();
      expect((await slow).status).toBe(200);
      expect((await b.post('/api/start', { text: 'third' })).status).toBe(200);
    } finally {
      service.start = original;
      release();
    }
  });

  it('refuses a Host header other than its loopback names (DNS rebinding)', async () => {
    const web = await serve();
    const status = await new Promise<number>((done, fail) => {
      const req = request({ host: '127.0.0.1', port: web.port, path: '/', headers: { Host: `attacker.example:${web.port}` } }, (res) => {
        res.resume();
        done(res.statusCode ?? 0);
      });
      req.on('error', fail);
      req.end();
    });
    expect(status).toBe(400);
  });

  it('closes cleanly and unsubscribes from the service', async () => {
    const before = service.listenerCount;
    const web = await startWebServer({ service, port: 0 });
    expect(service.listenerCount).toBe(before + 1);
    const c = new Client(web.url);
    await c.get('/');
    await web.close();
    expect(service.listenerCount).toBe(before);
    await expect(fetch(web.url)).rejects.toThrow();
  });
});

describe('web chat with an access token', () => {
  const token = 'tok-0123456789abcdef';

  it('answers 401 with one sentence, audits the refusal, and never echoes the token', async () => {
    const web = await serve({ token });
    const res = await fetch(`${web.url}api/state?token=wrong-token-value-123`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const body = await res.text();
    expect(body.trim().split('\n')).toHaveLength(1);
    expect(body).toMatch(/token/i);
    expect(body).not.toContain('wrong-token-value-123');
    expect(body).not.toContain(token);
    expect((await fetch(`${web.url}images/101`, { headers: { Authorization: 'Bearer nope' } })).status).toBe(401);
    const refusals = [...audit.records()].filter((r) => r.kind === 'refusal');
    expect(refusals.map((r) => r.text)).toEqual(expect.arrayContaining(['401 GET /api/state', '401 GET /images/101']));
    expect(JSON.stringify(refusals)).not.toContain('wrong-token');
  });

  it('turns a one-time ?token= link into a session cookie and drops the token from the address', async () => {
    const web = await serve({ token });
    const c = new Client(web.url);
    const res = await c.get(`/.//evil.example/?token=${token}`);
    expect(res.status).toBe(303);
    // Always the chat itself, never the requested path (no open redirect), and never the token.
    expect(res.headers.get('location')).toBe('/');
    expect(c.cookie).toMatch(/^ctgi_session=/);
    expect(c.cookie).not.toContain(token);
    expect((await c.get('/')).status).toBe(200);
    expect((await c.events('/api/start', { text: 'a man in a hat' })).map((e) => e.kind)).toEqual(['text', 'question']);
  });

  it('accepts Authorization: Bearer', async () => {
    const web = await serve({ token });
    const res = await fetch(`${web.url}api/state`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { demo: boolean }).demo).toBe(true);
  });

  it('binds a non-loopback address only with a token', async () => {
    await expect(startWebServer({ service, host: '0.0.0.0', port: 0 })).rejects.toThrow(/CTGI_WEB_TOKEN/);
    const web = await serve({ host: '0.0.0.0', token });
    expect((await fetch(`http://127.0.0.1:${web.port}/`)).status).toBe(401);
  });
});

/** Opens the session's event stream, runs `during`, and returns the frames received shortly after. */
async function readSse(web: WebServer, cookie: string, during: () => Promise<void>): Promise<string[]> {
  const controller = new AbortController();
  const res = await fetch(`${web.url}api/events`, { headers: { Cookie: cookie }, signal: controller.signal });
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const first = await reader.read();
  text += decoder.decode(first.value);
  await during();
  while (!text.includes('event: events')) {
    const next = await reader.read();
    if (next.done) break;
    text += decoder.decode(next.value);
  }
  controller.abort();
  return text.split('\n\n').filter((f) => f.length > 0);
}
