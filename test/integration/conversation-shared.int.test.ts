// Several `ctgi serve` processes over one PostgreSQL database act as one: a conversation started through one
// web server continues through another, a timeout fires once however many processes armed it, two replies
// to one thread through two processes never interleave, and a conversation survives its database
// connections being cut (what a database restart does to a running server).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConversationService, type PrunableConversationService } from '../../agent/service/conversation-service.js';
import { PostgresConversationStore } from '../../agent/service/postgres-conversation-store.js';
import { DEFAULT_ROUND_OPTIONS } from '../../agent/round/round-options.js';
import { PostgresSessionPersistence } from '../../bots/web/postgres-session-persistence.js';
import { startWebServer, type WebServer } from '../../bots/web/web-server.js';
import { replyTargetOf, type BotEvent, type BotEvents } from '../../src/conversation/conversation-types.js';
import { DemoTextEncoder } from '../../src/demo/demo-encoder.js';
import { openPostgres, type PgPool } from '../../src/storage/postgres.js';
import { openDemoWorld, type DemoWorldFixture } from '../helpers/demo-world.js';
import { hasPostgres, makeTestDatabase, POSTGRES_SKIP_REASON } from '../helpers/postgres.js';
import { WebClient } from '../helpers/web-http.js';

if (!hasPostgres) console.warn(POSTGRES_SKIP_REASON);

const last = (events: readonly BotEvent[]) => events[events.length - 1]!;
const texts = (events: readonly BotEvent[]) => events.flatMap((e) => (e.kind === 'text' ? [e.text] : [])).join(' | ');

describe.skipIf(!hasPostgres)('conversations shared by several processes over PostgreSQL', () => {
  let world: DemoWorldFixture;
  let db: Awaited<ReturnType<typeof makeTestDatabase>>;
  let admin: PgPool;
  const closers: Array<() => Promise<void>> = [];
  /** Unexpected errors the services logged; every test expects none. */
  const errors: string[] = [];

  beforeAll(async () => {
    world = await openDemoWorld('shared-conversations', { identities: 40, seed: 5 });
    db = await makeTestDatabase('shared_conv');
    admin = await openPostgres(db.url, { max: 1 });
  }, 180_000);

  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await admin?.end();
    await db?.drop();
    await world?.close();
  });

  /** One process's conversation service: its own pools over the shared database, as `ctgi serve` opens them. */
  async function openProcess(timeoutSeconds = 120): Promise<PrunableConversationService> {
    const store = await PostgresConversationStore.open(await openPostgres(db.url, { max: 4 }), await openPostgres(db.url, { migrate: false, max: 8 }));
    const service = createConversationService({
      deps: {
        gallery: world.gallery,
        textEncoder: new DemoTextEncoder(),
        options: DEFAULT_ROUND_OPTIONS,
        demo: true,
        witnessTimeoutSeconds: timeoutSeconds,
        readImage: world.readImage,
      },
      store,
      logError: (m) => errors.push(m),
    });
    closers.push(() => service.close());
    return service;
  }

  /** A web server of that process, keeping its sessions in the shared database. */
  async function serve(service: PrunableConversationService): Promise<WebServer> {
    const web = await startWebServer({ service, port: 0, sessionPersistence: new PostgresSessionPersistence(await openPostgres(db.url, { max: 2 })) });
    closers.push(() => web.close());
    return web;
  }

  it('continues a conversation started through one web server through another (same cookie, same thread)', async () => {
    const [a, b] = await Promise.all([openProcess(), openProcess()]);
    const [webA, webB] = await Promise.all([serve(a), serve(b)]);
    const browserA = new WebClient(webA.url);
    expect((await browserA.get('/')).status).toBe(200);
    const started = await browserA.events<BotEvents>('/api/start', { text: 'a man in a black coat' });
    const question = last(started);
    expect(question.kind).toBe('question');

    // The same browser, its requests now sent to the other server (a load balancer without stickiness).
    const browserB = new WebClient(webB.url);
    browserB.cookie = browserA.cookie;
    const state = (await browserB.get('/api/state')).json<{ events: BotEvents }>();
    expect(state.events.length).toBeGreaterThan(0);
    expect(replyTargetOf(last(state.events))).toBe(replyTargetOf(question));
    const next = await browserB.events<BotEvents>('/api/answer', { text: "don't know", inReplyTo: replyTargetOf(question) });
    expect(texts(next)).not.toMatch(/Nothing here is waiting|belongs to|earlier question/);
    expect(['question', 'gallery']).toContain(last(next).kind);
    // A gallery shown through B may be fetched through A: the session's images are shared too.
    const gallery = next.find((e): e is Extract<BotEvent, { kind: 'gallery' }> => e.kind === 'gallery');
    const followUp = gallery ?? last(await browserB.events<BotEvents>('/api/answer', { text: "don't know" }));
    const shown = gallery ?? (followUp.kind === 'gallery' ? followUp : undefined);
    if (shown) expect((await browserA.get(`/images/${shown.items[0]!.imageId}`)).status).toBe(200);
    expect(errors).toEqual([]);
  }, 120_000);

  it('pushes a timeout to the page whose event stream is open on the other server', async () => {
    const [a, b] = await Promise.all([openProcess(1), openProcess(1)]);
    const [webA, webB] = await Promise.all([serve(a), serve(b)]);
    const browserA = new WebClient(webA.url);
    await browserA.get('/');
    const browserB = new WebClient(webB.url);
    browserB.cookie = browserA.cookie;
    const stream = await browserB.stream();
    try {
      expect(stream.status).toBe(200);
      const started = await browserA.events<BotEvents>('/api/start', { text: 'a man in a black coat' });
      expect(last(started).kind).toBe('question');
      const heard = await stream.read('No answer in time');
      expect(heard.ended).toBe(false);
    } finally {
      stream.close();
    }
    expect(errors).toEqual([]);
  }, 60_000);

  it('fires a question’s timeout once although two processes armed it', async () => {
    const [a, b] = await Promise.all([openProcess(1), openProcess(1)]);
    const thread = 'web:timer:c1';
    // Every process hears each push (a page may be open on either); one of them claims it (a Slack post).
    const heard: Record<'a' | 'b', BotEvents[]> = { a: [], b: [] };
    const pushed: Array<{ by: string; events: BotEvents }> = [];
    a.onEvents((t, events, delivery) => {
      // Other tests' conversations share the database (and so the broadcasts): only this thread counts.
      if (t !== thread) return;
      heard.a.push(events);
      void delivery?.claim().then((mine) => mine && pushed.push({ by: 'a', events }));
    });
    b.onEvents((t, events, delivery) => {
      // Other tests' conversations share the database (and so the broadcasts): only this thread counts.
      if (t !== thread) return;
      heard.b.push(events);
      void delivery?.claim().then((mine) => mine && pushed.push({ by: 'b', events }));
    });
    const started = await a.start(thread, { id: 'U1' }, 'a man in a black coat');
    expect(last(started).kind).toBe('question');
    // B looks at the thread (a page reload through B): it arms the same timeout.
    expect(replyTargetOf(last(await b.pending(thread)))).toBe(replyTargetOf(last(started)));
    // Each unanswered question times out into the next step, and the gallery's timeout then reminds once.
    const reminders = () => pushed.filter((p) => /Still there\?/.test(texts(p.events))).length;
    await expect.poll(reminders, { timeout: 30_000, interval: 100 }).toBeGreaterThanOrEqual(1);
    // Time for a second process's copy of any of those timeouts to arrive, had one fired.
    await new Promise((r) => setTimeout(r, 2500));
    expect(reminders()).toBe(1);
    expect(texts(pushed[0]!.events)).toMatch(/No answer in time/);
    const targets = pushed.flatMap((p) => p.events.flatMap((e) => (e.kind === 'question' || e.kind === 'gallery' ? [replyTargetOf(e)] : [])));
    expect(new Set(targets).size).toBe(targets.length);
    const ticks = await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM ctgi_conversation_timers WHERE thread = $1 AND fired_at IS NOT NULL", [thread]);
    expect(ticks.rows[0]!.n).toBe(1);
    expect(pushed.length).toBe(targets.length + 1);
    expect(heard.a).toHaveLength(pushed.length);
    expect(heard.b).toHaveLength(pushed.length);
    expect(errors).toEqual([]);
  }, 60_000);

  it('serialises two replies to one thread sent through two processes at once', async () => {
    const [a, b] = await Promise.all([openProcess(), openProcess()]);
    const thread = 'web:race:c1';
    const question = last(await a.start(thread, { id: 'U1' }, 'a woman with a red bag'));
    expect(question.kind).toBe('question');
    const target = replyTargetOf(question);
    const replies = await Promise.all([a.answer(thread, { id: 'U1' }, 'yes', target), b.answer(thread, { id: 'U1' }, 'no', target)]);
    // One reply answered the question; the other found it answered already and was refused as stale.
    const stale = replies.filter((events) => events.some((e) => e.kind === 'text' && e.code === 'stale-reply'));
    expect(stale).toHaveLength(1);
    const answered = replies.find((events) => !stale.includes(events))!;
    expect(['question', 'gallery']).toContain(last(answered).kind);
    expect(errors).toEqual([]);
  }, 60_000);

  it('survives its database connections being cut: the next reply continues the conversation', async () => {
    const a = await openProcess();
    const thread = 'web:restart:c1';
    const question = last(await a.start(thread, { id: 'U1' }, 'a tall man with a grey backpack'));
    expect(question.kind).toBe('question');
    // What a database restart does to a running server: every connection of the server is ended.
    const cut = await admin.query<{ n: number }>(
      'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    expect(cut.rows[0]!.n).toBeGreaterThan(0);
    await expect
      .poll(async () => (await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).rows[0]!.n)
      .toBe(0);
    const next = await a.answer(thread, { id: 'U1' }, "don't know", replyTargetOf(question));
    expect(texts(next)).not.toMatch(/went wrong/);
    expect(['question', 'gallery']).toContain(last(next).kind);
    expect(errors).toEqual([]);
  }, 60_000);
});
