// Issue 17, item 5: one browser session cannot take the service from everybody else. A session has at most
// one call running and one queued, and a rate; beyond either it gets 429 and a "slow down" sentence.
import { describe, expect, it } from 'vitest';
import { webServerHooks } from '../helpers/web-servers.js';
import { WebClient, type Reply } from '../helpers/web-http.js';

const { service: scripted, serve } = webServerHooks();

describe('per-session fairness in the web chat', () => {
  it('keeps another user’s search going while one session fires 32 parallel starts', async () => {
    const web = await serve();
    const original = scripted().start.bind(scripted());
    let release!: () => void;
    const gate = new Promise<void>((done) => (release = done));
    let entered = 0;
    scripted().start = async (thread, user, text) => {
      if (text.startsWith('flood')) {
        entered++;
        await gate;
      }
      return original(thread, user, text);
    };
    try {
      const greedy = new WebClient(web.url);
      const other = new WebClient(web.url);
      await greedy.get('/');
      await other.get('/');
      const answered: Reply[] = [];
      const flood = Array.from({ length: 32 }, (_, i) => greedy.post('/api/start', { text: `flood ${i}` }).then((r) => (answered.push(r), r)));
      await expect.poll(() => entered).toBe(1);
      // The other user's calls are not stuck behind, nor refused because of, the greedy session's.
      for (let i = 0; i < 5; i++) expect((await other.post('/api/start', { text: `a man in a red coat ${i}` })).status).toBe(200);
      // All but the running call and one queued behind it are refused at once, while the first still runs.
      await expect.poll(() => answered.length).toBe(30);
      for (const r of answered) {
        expect(r.status).toBe(429);
        expect(r.json<{ error: string }>().error).toMatch(/^Slow down: your previous request is still being worked on/);
        expect(r.headers['retry-after']).toBe('2');
      }
      release();
      expect((await Promise.all(flood)).filter((r) => r.status === 200)).toHaveLength(2);
    } finally {
      scripted().start = original;
      release();
    }
  });

  it('limits the rate of one session’s calls with a Retry-After and a sentence, not others’', async () => {
    const web = await serve({ callLimits: { burst: 3, perMinute: 1 } });
    const fast = new WebClient(web.url);
    const other = new WebClient(web.url);
    await fast.get('/');
    await other.get('/');
    for (let i = 0; i < 3; i++) expect((await fast.post('/api/start', { text: 'a tall man' })).status).toBe(200);
    const slow = await fast.post('/api/answer', { text: 'yes' });
    expect(slow.status).toBe(429);
    expect(slow.json<{ error: string }>().error).toMatch(/^Slow down: too many searches and answers from this browser in a short time; try again in \d+ seconds\.$/);
    expect(Number(slow.headers['retry-after'])).toBeGreaterThan(0);
    expect((await other.post('/api/start', { text: 'a short woman' })).status).toBe(200);
  });
});
