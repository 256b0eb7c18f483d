import { describe, expect, it } from 'vitest';
import { imageContentType, readCookie } from '../../bots/web/http-io.js';
import { bearerToken, CONTENT_SECURITY_POLICY, isLoopbackHost, loopbackHostNames, sameOrigin, tokenMatches } from '../../bots/web/web-security.js';
import { parseWebThread, runInSession, SessionStore } from '../../bots/web/web-sessions.js';
import type { IncomingMessage } from 'node:http';

describe('web access-control primitives', () => {
  it('tells loopback addresses from the rest', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.5', '10.0.0.1', 'example.com', '128.0.0.1', '::2']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('compares tokens exactly', () => {
    expect(tokenMatches('s3cret-token-123456', 's3cret-token-123456')).toBe(true);
    expect(tokenMatches('s3cret-token-12345', 's3cret-token-123456')).toBe(false);
    expect(tokenMatches('S3cret-token-123456', 's3cret-token-123456')).toBe(false);
    expect(tokenMatches(undefined, 's3cret-token-123456')).toBe(false);
    expect(tokenMatches('', 's3cret-token-123456')).toBe(false);
  });

  it('reads bearer tokens and cookies', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer   xyz ')).toBe('xyz');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    const req = { headers: { cookie: 'a=1; ctgi_session=XYZ; b=2' } } as unknown as IncomingMessage;
    expect(readCookie(req, 'ctgi_session')).toBe('XYZ');
    expect(readCookie(req, 'missing')).toBeUndefined();
  });

  it('accepts only same-origin browser posts and loopback Host names', () => {
    expect(sameOrigin(undefined, '127.0.0.1:3000')).toBe(true);
    expect(sameOrigin('http://127.0.0.1:3000', '127.0.0.1:3000')).toBe(true);
    expect(sameOrigin('http://evil.example', '127.0.0.1:3000')).toBe(false);
    expect(sameOrigin('null', '127.0.0.1:3000')).toBe(false);
    expect([...loopbackHostNames(3000)].sort()).toEqual(['127.0.0.1:3000', '[::1]:3000', 'localhost:3000']);
  });

  it('forbids inline script and framing in the CSP', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
  });

  it('recognises image types by signature', () => {
    expect(imageContentType(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe('image/png');
    expect(imageContentType(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(imageContentType(Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1'))).toBe('image/webp');
    expect(imageContentType(Buffer.from('<svg></svg>'))).toBe('application/octet-stream');
  });
});

describe('web sessions', () => {
  it('keeps the cookie secret out of the thread key', () => {
    const store = new SessionStore();
    const { session: s, secret } = store.create();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.id).not.toBe(secret);
    expect(JSON.stringify(s, (_k, v: unknown) => (v instanceof Set ? [...v] : v))).not.toContain(secret);
    expect(parseWebThread(`web:${s.id}:${s.conversationId}`)).toEqual({ sessionId: s.id, conversationId: s.conversationId });
    expect(parseWebThread('slack:C1:123.45')).toBeUndefined();
    expect(store.get(secret)).toBe(s);
    expect(store.get('not-a-secret')).toBeUndefined();
    expect(store.get(undefined)).toBeUndefined();
  });

  it('expires idle sessions and evicts the least recently seen when full', () => {
    let now = 0;
    const store = new SessionStore({ maxSessions: 2, idleMs: 1000, now: () => now });
    const a = store.create();
    now = 10;
    const b = store.create();
    now = 20;
    store.get(a.secret);
    const c = store.create();
    expect(store.size).toBe(2);
    expect(store.get(b.secret)).toBeUndefined();
    expect(store.get(a.secret)).toBe(a.session);
    now = 5000;
    expect(store.get(c.secret)).toBeUndefined();
  });

  it('runs one session’s calls one at a time, even after a failure', async () => {
    const s = new SessionStore().create().session;
    const order: string[] = [];
    let release!: () => void;
    const first = runInSession(s, () => new Promise<void>((done) => (release = done)).then(() => void order.push('first')));
    const failing = runInSession(s, async () => {
      order.push('second');
      throw new Error('boom');
    });
    const third = runInSession(s, async () => void order.push('third'));
    await Promise.resolve();
    expect(order).toEqual([]);
    release();
    await first;
    await expect(failing).rejects.toThrow('boom');
    await third;
    expect(order).toEqual(['first', 'second', 'third']);
  });
});
