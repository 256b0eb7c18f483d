// Issue 17, item 7: web sessions survive a restart of the server. They are kept in SQLite under CTGI_HOME
// with only a SHA-256 of each cookie secret, and the thread each session owns, so a reload after a restart
// restores the open search.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BotEvents, ConversationService } from '../../src/conversation/conversation-types.js';
import { startWebServer, type WebServer } from '../../bots/web/web-server.js';
import { runServe } from '../../app/cli/commands/serve.command.js';
import { openSqlite } from '../../src/storage/sqlite.js';
import { ScriptedConversationService } from '../fakes/scripted-conversation-service.js';
import { cliContext } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { WebClient } from '../helpers/web-http.js';

type Gallery = Extract<BotEvents[number], { kind: 'gallery' }>;

let service: ScriptedConversationService;
let temp: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  temp = await makeTempDir('web-restart');
  service = await ScriptedConversationService.create();
});

afterAll(async () => {
  await service.close();
  await temp.cleanup();
});

/** The same service across web server restarts (the real one keeps its checkpoints in SQLite). */
function outliving(s: ScriptedConversationService): ConversationService {
  return {
    demo: s.demo,
    start: (...a) => s.start(...a),
    answer: (...a) => s.answer(...a),
    act: (...a) => s.act(...a),
    pending: (...a) => s.pending(...a),
    readImage: (...a) => s.readImage(...a),
    onEvents: (...a) => s.onEvents(...a),
    close: async () => {},
  };
}

/** Runs `ctgi serve` on `home` until `during` has run against it. */
async function serveOnce(home: string, during: (web: WebServer) => Promise<void>): Promise<void> {
  const { ctx } = cliContext({ CTGI_HOME: home, CTGI_WEB_PORT: '0' });
  let stop!: () => void;
  const stopped = new Promise<void>((done) => (stop = done));
  let web: WebServer | undefined;
  const running = runServe(ctx, {}, { stopped, open: async () => outliving(service), onListening: (w) => (web = w) });
  try {
    await expect.poll(() => web).toBeDefined();
    await during(web!);
  } finally {
    stop();
    await running;
  }
}

describe('web sessions across a restart', () => {
  it('ctgi serve on the same CTGI_HOME restores the open search for the same cookie', async () => {
    const home = join(temp.dir, 'home');
    const browser = { cookie: undefined as string | undefined, gallery: undefined as Gallery | undefined };
    await serveOnce(home, async (web) => {
      const c = new WebClient(web.url);
      await c.get('/');
      await c.events('/api/start', { text: 'a man in a red coat' });
      browser.gallery = (await c.events<BotEvents>('/api/answer', { text: 'yes' })).find((e) => e.kind === 'gallery') as Gallery;
      browser.cookie = c.cookie;
    });
    await serveOnce(home, async (web) => {
      // A new port, the same browser.
      const c = new WebClient(web.url);
      c.cookie = browser.cookie;
      const state = (await c.get('/api/state')).json<{ events: BotEvents }>();
      expect(state.events.find((e) => e.kind === 'gallery')).toMatchObject({ round: browser.gallery!.round, items: expect.any(Array) });
      expect((await c.get(`/images/${browser.gallery!.items[2]!.imageId}`)).status).toBe(200);
      const done = await c.events<BotEvents>('/api/answer', { pick: 3 });
      expect(done[0]).toMatchObject({ kind: 'done', reason: 'confirmed', imageId: browser.gallery!.items[2]!.imageId });
      // A cookie the server never issued still gets nothing.
      const stranger = new WebClient(web.url);
      stranger.cookie = `ctgi_session=${'A'.repeat(43)}`;
      expect((await stranger.get('/api/state')).json<{ events: BotEvents }>().events).toEqual([]);
    });
  });

  it('stores a SHA-256 of the cookie secret and the thread, never the secret, in an owner-only file', async () => {
    const file = join(temp.dir, 'sessions.sqlite');
    let web = await startWebServer({ service, port: 0, sessionsFile: file });
    const c = new WebClient(web.url);
    let thread: string;
    try {
      await c.get('/');
      await c.events('/api/start', { text: 'a woman with a black bag' });
      thread = service.calls.filter((x) => x.method === 'start').at(-1)!.thread!;
    } finally {
      await web.close();
    }
    const secret = c.cookie!.split('=')[1]!;
    const db = openSqlite(file, { readonly: true });
    try {
      const rows = db.prepare('SELECT * FROM web_sessions').all() as Array<Record<string, unknown>>;
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ secret_sha256: createHash('sha256').update(secret).digest('hex'), thread });
      expect(JSON.stringify(rows)).not.toContain(secret);
    } finally {
      db.close();
    }
    for (const f of [file, `${file}-wal`]) {
      const bytes = await readFile(f).catch(() => Buffer.alloc(0));
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
    }
    expect((await stat(file)).mode & 0o077).toBe(0);
    // The restarted server knows the session and its thread.
    web = await startWebServer({ service, port: 0, sessionsFile: file });
    try {
      const again = new WebClient(web.url);
      again.cookie = c.cookie;
      const state = (await again.get('/api/state')).json<{ events: BotEvents }>();
      expect(state.events.map((e) => e.kind)).toEqual(['question']);
    } finally {
      await web.close();
    }
  });
});
