// Issue 17, item 1: an event-stream flood must not lock anybody out. Requests without a session never get a
// stream (nor a session); streams are capped per session, per client address and over all; idle streams
// and the streams of a session that ends are closed.
import { describe, expect, it } from 'vitest';
import type { BotEvents } from '../../src/conversation/conversation-types.js';
import { webServerHooks } from '../helpers/web-servers.js';
import { startFlood } from '../helpers/web-flood.js';
import { WebClient } from '../helpers/web-http.js';

type Gallery = Extract<BotEvents[number], { kind: 'gallery' }>;

const { service: scripted, serve } = webServerHooks();

const lastThread = (): string => scripted().calls.filter((c) => c.method === 'start').at(-1)!.thread!;

describe('web chat under an event-stream flood', () => {
  it('keeps a normal session working through 600 cookieless GET /api/events held open and re-sent', async () => {
    const web = await serve();
    const alice = new WebClient(web.url);
    expect((await alice.get('/')).status).toBe(200);
    const stream = await alice.stream();
    expect(stream.status).toBe(200);

    const flood = startFlood(web.url, 600);
    try {
      await flood.until(600);
      // The whole search, each request on a new connection, while the flood goes on.
      const started = await alice.events<BotEvents>('/api/start', { text: 'a man in a red coat' });
      expect(started.map((e) => e.kind)).toEqual(['text', 'question']);
      await scripted().expire(lastThread());
      const pushed = await stream.read('"kind":"gallery"');
      expect(pushed.ended).toBe(false);
      const gallery = JSON.parse(pushed.text.split('data: ').at(-1)!.split('\n')[0]!).events.find((e: { kind: string }) => e.kind === 'gallery') as Gallery;
      expect((await alice.get(`/images/${gallery.items[0]!.imageId}`)).status).toBe(200);
      const done = await alice.events<BotEvents>('/api/answer', { pick: 1 });
      expect(done[0]).toMatchObject({ kind: 'done', reason: 'confirmed' });
      expect(flood.finished()).toBeGreaterThanOrEqual(600);
    } finally {
      flood.stop();
      stream.close();
    }
    // Every attacking request was refused at once; none got a stream or created a session.
    expect(flood.outcomes.get('200')).toBeUndefined();
    expect(flood.outcomes.get('403')).toBeGreaterThanOrEqual(600);
    expect(web.stats().sessions).toBe(1);
  });

  it('caps streams per client address and over all, refusing with a sentence', async () => {
    // A trusted proxy's X-Forwarded-For stands in for clients at different addresses.
    const web = await serve({ trustedProxies: ['127.0.0.1'], streamLimits: { maxPerAddress: 2, maxStreams: 3 } });
    const from = (address: string) => new WebClient(web.url, { headers: { 'X-Forwarded-For': address } });
    const [a1, a2, b, c] = [from('10.0.0.1'), from('10.0.0.1'), from('10.0.0.2'), from('10.0.0.3')];
    for (const client of [a1, a2, b, c]) await client.get('/');
    const streams = [await a1.stream(), await a1.stream()];
    try {
      expect(streams.map((s) => s.status)).toEqual([200, 200]);
      const tooMany = await a2.get('/api/events');
      expect(tooMany.status).toBe(429);
      expect(tooMany.json<{ error: string }>().error).toMatch(/Too many live chat pages from your address/);
      streams.push(await b.stream());
      expect(streams[2]!.status).toBe(200);
      const full = await c.get('/api/events');
      expect(full.status).toBe(503);
      expect(full.json<{ error: string }>().error).toMatch(/too many live pages/);
      expect(web.stats().streams).toBe(3);
    } finally {
      for (const s of streams) s.close();
    }
  });

  it('closes a stream that stays idle, after keep-alive pings', async () => {
    const web = await serve({ heartbeatSeconds: 0.05, streamLimits: { idleMs: 300 } });
    const alice = new WebClient(web.url);
    await alice.get('/');
    const stream = await alice.stream();
    try {
      expect((await stream.read(': ping')).ended).toBe(false);
      const rest = await stream.read('never sent');
      expect(rest.ended).toBe(true);
      await expect.poll(() => web.stats().streams).toBe(0);
    } finally {
      stream.close();
    }
  });

  it('ends the streams of a session that ends', async () => {
    const web = await serve({ trustedProxies: ['127.0.0.1'], sessionLimits: { maxPerAddress: 1 } });
    const first = new WebClient(web.url, { headers: { 'X-Forwarded-For': '10.0.0.9' } });
    await first.get('/');
    const stream = await first.stream();
    try {
      expect(stream.status).toBe(200);
      // The address's next page load takes the place of its only session, whose page goes with it.
      await new WebClient(web.url, { headers: { 'X-Forwarded-For': '10.0.0.9' } }).get('/');
      expect((await stream.read('never sent')).ended).toBe(true);
      expect((await first.get('/api/events')).status).toBe(403);
    } finally {
      stream.close();
    }
  });

  it('refuses cookieless API requests with a sentence and creates no session for them', async () => {
    const web = await serve();
    const stranger = new WebClient(web.url);
    const events = await stranger.get('/api/events');
    expect(events.status).toBe(403);
    expect(events.headers.connection).toBe('close');
    expect(events.json<{ error: string }>().error).toBe('This browser has no chat session (it may have expired): reload the page.');
    expect((await stranger.post('/api/start', { text: 'a man' })).status).toBe(403);
    expect(stranger.cookie).toBeUndefined();
    expect(web.stats().sessions).toBe(0);
  });
});
