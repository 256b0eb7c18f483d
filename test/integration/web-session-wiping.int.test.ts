// Issue 17, item 4: nobody can wipe another user's web session. Only a page load creates a session; static
// files, API calls and refused requests never do; a flood of page loads from one address only ever evicts
// that address's own sessions.
import { Agent, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { BotEvents } from '../../src/conversation/conversation-types.js';
import type { WebServer } from '../../bots/web/web-server.js';
import { webServerHooks } from '../helpers/web-servers.js';
import { WebClient } from '../helpers/web-http.js';

type Gallery = Extract<BotEvents[number], { kind: 'gallery' }>;

const { service: scripted, serve } = webServerHooks();

/** `count` cookieless GETs of `path` over a few kept-alive connections; returns the status codes seen. */
async function hammer(web: WebServer, path: string, count: number, options: { localAddress?: string; headers?: Record<string, string> } = {}): Promise<Set<number>> {
  const agent = new Agent({ keepAlive: true, maxSockets: 16, localAddress: options.localAddress });
  const statuses = new Set<number>();
  const one = () =>
    new Promise<void>((done, fail) => {
      const req = request({ host: '127.0.0.1', port: web.port, path, agent, headers: options.headers }, (res) => {
        statuses.add(res.statusCode ?? 0);
        res.resume();
        res.on('end', done);
      });
      req.on('error', fail);
      req.end();
    });
  try {
    for (let i = 0; i < count; i += 50) await Promise.all(Array.from({ length: Math.min(50, count - i) }, one));
  } finally {
    agent.destroy();
  }
  return statuses;
}

/** A user with a search in progress: the gallery is pending and its images are theirs. */
async function userWithGallery(web: WebServer): Promise<{ user: WebClient; gallery: Gallery }> {
  const user = new WebClient(web.url);
  await user.get('/');
  await user.events('/api/start', { text: 'a woman with a black bag' });
  const gallery = (await user.events<BotEvents>('/api/answer', { text: 'yes' })).find((e) => e.kind === 'gallery') as Gallery;
  return { user, gallery };
}

async function expectIntact(web: WebServer, user: WebClient, gallery: Gallery): Promise<void> {
  const state = (await user.get('/api/state')).json<{ events: BotEvents }>();
  expect(state.events.find((e) => e.kind === 'gallery')).toMatchObject({ kind: 'gallery', round: gallery.round });
  expect((await user.get(`/images/${gallery.items[0]!.imageId}`)).status).toBe(200);
}

describe('web sessions cannot be wiped by others', () => {
  it('creates no session for 1,100 favicon, script, style, image and API requests', async () => {
    const web = await serve();
    const { user, gallery } = await userWithGallery(web);
    expect(await hammer(web, '/favicon.ico', 1100)).toEqual(new Set([204]));
    await hammer(web, '/static/chat.js', 100);
    await hammer(web, '/static/chat.css', 100);
    await hammer(web, `/images/${gallery.items[0]!.imageId}`, 100);
    await hammer(web, '/api/state', 100);
    await hammer(web, '/nowhere', 100);
    expect(web.stats().sessions).toBe(1);
    await expectIntact(web, user, gallery);
  });

  it('lets a flood of 1,100 page loads from one address evict only its own sessions', async () => {
    const web = await serve();
    const { user, gallery } = await userWithGallery(web);
    expect(await hammer(web, '/', 1100, { localAddress: '127.0.0.2' })).toEqual(new Set([200]));
    // The flooding address keeps at most its cap (50 by default); the user at another address keeps theirs.
    expect(web.stats().sessions).toBe(51);
    await expectIntact(web, user, gallery);
  });

  it('evicts from the most crowded address when the store is full, idle sessions before live pages', async () => {
    const web = await serve({ trustedProxies: ['127.0.0.1'], sessionLimits: { maxSessions: 4, maxPerAddress: 10 } });
    const at = (address: string) => new WebClient(web.url, { headers: { 'X-Forwarded-For': address } });
    const alive = async (c: WebClient) => (await c.post('/api/new', {})).status;
    // The oldest and idle session of all, at its own address.
    const quiet = at('10.1.0.1');
    await quiet.get('/');
    const live = at('10.2.0.1');
    await live.get('/');
    const stream = await live.stream();
    try {
      for (let i = 0; i < 5; i++) await at('10.2.0.1').get('/');
      expect(web.stats().sessions).toBe(4);
      expect(await alive(quiet)).toBe(200);
      expect(await alive(live)).toBe(200);
      expect(web.stats().streams).toBe(1);
    } finally {
      stream.close();
    }
  });

  it('creates no session for requests refused for want of the access token', async () => {
    const web = await serve({ token: 'tok-0123456789abcdef' });
    expect(await hammer(web, '/', 300)).toEqual(new Set([401]));
    expect(await hammer(web, '/api/events', 100, { headers: { Authorization: 'Bearer tok-0123456789abcdef' } })).toEqual(new Set([403]));
    expect(web.stats().sessions).toBe(0);
  });
});
