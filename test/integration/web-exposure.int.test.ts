// Issue 17, item 13 (web): the session cookie is Secure behind a trusted TLS proxy (and only a trusted proxy
// is believed), and no API response or pushed event carries a stored image path: the page uses image ids.
import { describe, expect, it } from 'vitest';
import type { WebServer } from '../../bots/web/web-server.js';
import { webServerHooks } from '../helpers/web-servers.js';
import { WebClient } from '../helpers/web-http.js';

const { service: scripted, serve } = webServerHooks();

const cookieOf = async (web: WebServer, headers: Record<string, string>) => (await new WebClient(web.url, { headers }).get('/')).headers['set-cookie']![0]!;

describe('web chat exposure', () => {
  it('marks the session cookie Secure when a trusted proxy says the page came over https', async () => {
    const behindProxy = await serve({ trustedProxies: ['127.0.0.1'] });
    expect(await cookieOf(behindProxy, { 'X-Forwarded-Proto': 'https' })).toMatch(/^ctgi_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
    expect(await cookieOf(behindProxy, { 'X-Forwarded-Proto': 'http' })).not.toContain('Secure');
    // Without a trusted proxy configured, anybody could send the header: it is ignored.
    const direct = await serve({ trustedProxies: ['10.9.9.9'] });
    expect(await cookieOf(direct, { 'X-Forwarded-Proto': 'https' })).not.toContain('Secure');
  });

  it('sends image ids, never stored image paths, in responses, restored state and pushed events', async () => {
    const web = await serve();
    const c = new WebClient(web.url);
    await c.get('/');
    const stream = await c.stream();
    try {
      const bodies: string[] = [];
      const start = await c.post('/api/start', { text: 'a tall man' });
      bodies.push(start.text);
      const answer = await c.post('/api/answer', { text: 'yes' });
      bodies.push(answer.text);
      bodies.push((await c.get('/api/state')).text);
      await c.post('/api/answer', { text: 'refine' });
      await scripted().expire(scripted().calls.filter((x) => x.method === 'start').at(-1)!.thread!);
      bodies.push((await stream.read('"kind":"gallery"')).text);
      for (const body of bodies) {
        expect(body).not.toMatch(/"path"/);
        expect(body).not.toContain('person-0');
      }
      expect(answer.json<{ events: Array<{ kind: string; items?: Array<Record<string, unknown>> }> }>().events[0]!.items![0]).toEqual({
        rank: 1,
        imageId: scripted().galleryIds(0)[0],
        score: expect.any(Number),
        cosine: expect.any(Number),
        anchor: false,
        camera: expect.any(String),
      });
    } finally {
      stream.close();
    }
  });
});
