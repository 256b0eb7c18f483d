// The witness link over real HTTP: the operator's web chat creates it, a second client (the witness) opens
// /w/<token>, answers, and the answer reaches the operator's live event stream as "witness (link): …"; every
// refusal is a plain page; the audit trail records creation, opening, answers, images shown and revocation.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/conversation/conversation-types.js';
import { SqliteWitnessLinkStore } from '../../src/witness/sqlite-witness-link-store.js';
import { WitnessLinks } from '../../src/witness/witness-links.js';
import { startWebServer, type WebServer } from '../../bots/web/web-server.js';
import { ScriptedConversationService } from '../fakes/scripted-conversation-service.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { send, WebClient } from '../helpers/web-http.js';

describe('witness link (web, real HTTP)', () => {
  let home: Awaited<ReturnType<typeof makeTempDir>>;
  let service: ScriptedConversationService;
  let store: SqliteWitnessLinkStore;
  let clock = Date.now();
  const audit: AuditRecord[] = [];
  const servers: WebServer[] = [];

  beforeAll(async () => {
    home = await makeTempDir('witness-web');
    service = await ScriptedConversationService.create({ audit: { record: async (r) => void audit.push(r) } });
    store = SqliteWitnessLinkStore.open(`${home.dir}/witness-links.sqlite`);
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await store?.close();
    await service?.close();
    await home?.cleanup();
  });

  async function serve(options: { publicUrl?: string; guessLimits?: number } = {}): Promise<{ web: WebServer; links: WitnessLinks }> {
    const links = new WitnessLinks({ store, service, audit: { record: async (r) => void audit.push(r) }, now: () => clock });
    const web = await startWebServer({ service, port: 0, witnessLinks: links, witnessRelayMs: 20, audit: { record: async (r) => void audit.push(r) }, ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}) });
    servers.push(web);
    return { web, links };
  }

  /** An operator with a search open and a fresh link; returns the operator client and the link's path. */
  async function operatorWithLink(web: WebServer): Promise<{ operator: WebClient; path: string; url: string }> {
    const operator = new WebClient(web.url);
    await operator.get('/');
    await operator.events('/api/start', { text: 'a man in a grey hoodie' });
    const res = await operator.post('/api/witness', { action: 'create' });
    expect(res.status).toBe(200);
    const body = res.json<{ ok: boolean; url: string; message: string }>();
    expect(body.ok).toBe(true);
    return { operator, path: new URL(body.url).pathname, url: body.url };
  }

  it('hands the question to the witness, whose answer reaches the operator as "witness (link): …"', async () => {
    const { web } = await serve();
    const { operator, path, url } = await operatorWithLink(web);
    expect(path).toMatch(/^\/w\/[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
    // No CTGI_PUBLIC_URL: the link names the address the operator used, and says a phone cannot reach it.
    expect(url.startsWith(web.url.replace(/\/$/, ''))).toBe(true);
    const stream = await operator.stream();
    try {
      const witness = new WebClient(web.url);
      const page = await witness.get(path);
      expect(page.status).toBe(200);
      expect(page.text).toContain('/w/static/witness.js');
      expect(page.headers['set-cookie']?.[0]).toMatch(/^ctgi_witness=[^;]+; Path=\/w\/[^;]+; HttpOnly; SameSite=Lax$/);
      const view = (await witness.get(`${path}/api/state`)).json<{ status: string; question: { id: string; text: string; options: Array<{ value: string }> }; gallery?: unknown }>();
      expect(view.status).toBe('question');
      expect(view.gallery).toBeUndefined();
      const answered = await witness.post(`${path}/api/answer`, { text: 'yes', inReplyTo: `q:${view.question.id}` });
      expect(answered.json()).toMatchObject({ status: 'accepted' });
      const seen = await stream.read('witness (link): Yes');
      expect(seen.text).toContain('"kind":"gallery"');
      // The answer went through the service's own answer path, as the link's user.
      const call = service.calls.filter((c) => c.method === 'answer').at(-1)!;
      expect(call.user).toEqual({ id: expect.stringMatching(/^witness-link:[0-9a-f]{16}$/), name: 'witness (link)', via: 'witness-link' });
      expect(call.inReplyTo).toBe(`q:${view.question.id}`);
    } finally {
      stream.close();
    }
  });

  it('shows no images to the witness unless the operator shows the gallery, and audits the ones shown', async () => {
    const { web } = await serve();
    const { operator, path } = await operatorWithLink(web);
    const witness = new WebClient(web.url);
    await witness.get(path);
    const q = (await witness.get(`${path}/api/state`)).json<{ question: { id: string } }>().question;
    await witness.post(`${path}/api/answer`, { text: 'no', inReplyTo: `q:${q.id}` });
    const hidden = (await witness.get(`${path}/api/state`)).json<{ status: string; gallery?: unknown }>();
    expect(hidden).toEqual({ status: 'gallery' });
    const imageId = service.galleryIds(0)[0]!;
    expect((await witness.get(`${path}/images/${imageId}`)).status).toBe(404);
    expect((await witness.post(`${path}/api/answer`, { pick: 1, inReplyTo: 'g:0' })).json()).toMatchObject({ status: 'already-answered' });

    expect((await operator.post('/api/witness', { action: 'show-gallery' })).json()).toMatchObject({ ok: true });
    const shown = (await witness.get(`${path}/api/state`)).json<{ gallery: { target: string; items: Array<{ imageId: number; rank: number }> } }>();
    expect(shown.gallery.items.map((i) => i.imageId)).toEqual(service.galleryIds(0));
    const image = await witness.get(`${path}/images/${imageId}`);
    expect(image.status).toBe(200);
    expect(image.headers['content-type']).toBe('image/png');
    // An image of no gallery shown to this link stays hidden.
    expect((await witness.get(`${path}/images/${service.galleryIds(1)[0]}`)).status).toBe(404);
    const linkUser = service.calls.filter((c) => c.method === 'answer').at(-1)!.user!.id;
    // (The service's own gallery row under the same user records the gallery the answer produced in the thread.)
    const views = audit.filter((r) => r.userId === linkUser && r.kind === 'gallery' && /shown to the witness/.test(r.text ?? ''));
    expect(views).toHaveLength(1);
    expect(views[0]!.imageIds).toEqual(service.galleryIds(0));
    expect(audit.some((r) => r.kind === 'witness' && /gallery shown to the witness/.test(r.text ?? ''))).toBe(true);
  });

  it('binds the link to the first browser: another browser gets "already in use", the first keeps working', async () => {
    const { web } = await serve();
    const { path } = await operatorWithLink(web);
    const first = new WebClient(web.url);
    expect((await first.get(path)).status).toBe(200);
    const second = new WebClient(web.url);
    const refused = await second.get(path);
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toMatch(/^text\/html/);
    expect(refused.text).toContain('already in use on another device');
    expect(refused.text).not.toMatch(/at .*\.ts:\d+/);
    expect((await second.get(`${path}/api/state`)).status).toBe(409);
    expect((await first.get(path)).status).toBe(200);
  });

  it('lets two tabs of the bound browser race: the first answer wins, the second is told it was answered', async () => {
    const { web } = await serve();
    const { path } = await operatorWithLink(web);
    const tab = new WebClient(web.url);
    await tab.get(path);
    const q = (await tab.get(`${path}/api/state`)).json<{ question: { id: string } }>().question;
    const [a, b] = await Promise.all([tab.post(`${path}/api/answer`, { text: 'yes', inReplyTo: `q:${q.id}` }), tab.post(`${path}/api/answer`, { text: 'no', inReplyTo: `q:${q.id}` })]);
    expect([a.json<{ status: string }>().status, b.json<{ status: string }>().status].sort()).toEqual(['accepted', 'already-answered']);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
  });

  it('refuses expired, revoked, closed and unknown links with plain pages', async () => {
    const { web } = await serve();
    // Expired: the clock moves past two hours.
    const expired = await operatorWithLink(web);
    clock += 2 * 3_600_000 + 1;
    const late = await new WebClient(web.url).get(expired.path);
    expect(late.status).toBe(410);
    expect(late.text).toContain('This link has expired');

    // Revoked by the operator.
    const revoked = await operatorWithLink(web);
    expect((await revoked.operator.post('/api/witness', { action: 'revoke' })).json()).toMatchObject({ ok: true });
    const gone = await new WebClient(web.url).get(revoked.path);
    expect(gone.status).toBe(410);
    expect(gone.text).toContain('withdrawn');
    expect(audit.some((r) => r.kind === 'witness' && /revoked/.test(r.text ?? ''))).toBe(true);

    // The search finished (the operator stopped it in the chat).
    const closed = await operatorWithLink(web);
    await closed.operator.post('/api/answer', { text: 'stop' });
    const over = await new WebClient(web.url).get(closed.path);
    expect(over.status).toBe(410);
    expect(over.text).toContain('search is finished');

    // A made-up token, and a real id with a wrong secret.
    const guess = await send(web.url, `/w/${'0'.repeat(16)}.${'A'.repeat(43)}`);
    expect(guess.status).toBe(404);
    expect(guess.text).toContain('not valid');
    const wrongSecret = await send(web.url, `${closed.path.slice(0, 20)}${'B'.repeat(43)}`);
    expect(wrongSecret.status).toBe(404);
  });

  it('throttles an address that keeps presenting invalid links', async () => {
    const { web } = await serve();
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await send(web.url, `/w/${i.toString(16).padStart(16, '0')}.${'C'.repeat(43)}`, { localAddress: '127.0.0.9' })).status);
    expect(statuses.slice(0, 20).every((s) => s === 404)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
    // Another address is not affected.
    expect((await send(web.url, `/w/${'1'.repeat(16)}.${'C'.repeat(43)}`, { localAddress: '127.0.0.10' })).status).toBe(404);
  });

  it('needs no operator token for the witness, while the chat itself still does', async () => {
    const { web } = await serve();
    const token = 'operator-token-0123456789abcdef';
    const guarded = await startWebServer({ service, port: 0, token, witnessLinks: new WitnessLinks({ store, service, now: () => clock }), witnessRelayMs: 20 });
    servers.push(guarded);
    const operator = new WebClient(guarded.url, { headers: { Authorization: `Bearer ${token}` } });
    await operator.get('/');
    await operator.events('/api/start', { text: 'a woman with a red umbrella' });
    const { url } = (await operator.post('/api/witness', { action: 'create' })).json<{ url: string }>();
    const path = new URL(url).pathname;
    expect((await new WebClient(guarded.url).get(path)).status).toBe(200);
    expect((await send(guarded.url, '/api/state')).status).toBe(401);
    expect(web.url).not.toBe(guarded.url);
  });

  it('names CTGI_PUBLIC_URL in the link and accepts that host on a loopback bind', async () => {
    const { web } = await serve({ publicUrl: 'https://ctgi.example.org' });
    const { url, path } = await operatorWithLink(web);
    expect(url).toBe(`https://ctgi.example.org${path}`);
    expect((await send(web.url, path, { headers: { Host: 'ctgi.example.org' } })).status).toBe(200);
    expect((await send(web.url, '/', { headers: { Host: 'evil.example' } })).status).toBe(400);
  });

  it('relays what a timeout of a Slack or Discord thread produces here to that bot\'s process', async () => {
    await serve();
    const events = [{ kind: 'text' as const, tone: 'notice' as const, text: 'No answer in time; carrying on without it.' }];
    // A witness's answer armed the thread's timeout in this process (ctgi serve); no Slack bot runs here.
    service.emit('slack:C9:1700000000.000001', events);
    service.emit('web:local:x', events); // web threads are this process's own: never queued
    await new Promise((r) => setTimeout(r, 50));
    expect(await store.takeRelay('slack:')).toMatchObject([{ thread: 'slack:C9:1700000000.000001', events }]);
    expect(await store.takeRelay('web:')).toEqual([]);
  });

  it('audits creation, opening and each answer under the link', async () => {
    const created = audit.filter((r) => r.kind === 'witness' && /created/.test(r.text ?? ''));
    expect(created.length).toBeGreaterThan(0);
    expect(audit.some((r) => r.kind === 'witness' && /opened by a browser/.test(r.text ?? '') && r.userId.startsWith('witness-link:'))).toBe(true);
    expect(audit.some((r) => r.kind === 'answer' && r.userId.startsWith('witness-link:') && r.userName === 'witness (link)')).toBe(true);
  });
});
