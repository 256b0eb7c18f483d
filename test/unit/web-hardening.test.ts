// Issue 17 (web): token strength at start-up, client addresses behind a trusted proxy, per-address keys,
// per-session call limits.
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { admitCall } from '../../bots/web/web-call-limits.js';
import { addressKey, clientAddress, viaTls } from '../../bots/web/web-security.js';
import { SessionStore } from '../../bots/web/web-sessions.js';
import { isStrongToken, loadConfig } from '../../src/config/config.js';

const req = (remote: string, headers: Record<string, string> = {}) => ({ socket: { remoteAddress: remote }, headers }) as unknown as IncomingMessage;

describe('CTGI_WEB_TOKEN strength', () => {
  it('refuses weak tokens at start with how to make a good one, and never echoes them', () => {
    for (const weak of [' '.repeat(16), 'a'.repeat(40), 'password12345678', 'Password 12345678', 'Ab1!Ab1!Ab1!', 'Ab1!Ab1!Ab1!Ab1!Ab1!', 'abcdef0123456789abcdef012345678']) {
      expect(isStrongToken(weak), weak).toBe(false);
      let message = '';
      try {
        loadConfig({ CTGI_WEB_TOKEN: weak });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toContain('CTGI_WEB_TOKEN must be at least 16 characters without spaces from three of lower case, upper case, digits and symbols, or 32+ hex digits');
      expect(message).toContain('openssl rand -hex 32');
      if (weak.trim().length > 0) expect(message).not.toContain(weak);
    }
  });

  it('accepts 16+ characters of three classes, 32+ hex digits and generated tokens', () => {
    for (const strong of ['tok-0123456789abcdef', 'Abcdefgh12345678', 'abcdef0123456789abcdef0123456789', 'A1b2C3d4E5f6A7b8C9d0E1f2A3b4C5d6', 'q0R_Xw9nO8c-lK2vT3zYb1mA5sD7fG6hJ4kL0pQ9uE8']) {
      expect(isStrongToken(strong), strong).toBe(true);
      expect(loadConfig({ CTGI_WEB_TOKEN: strong }).web.token).toBe(strong);
    }
  });

  it('reads the trusted proxies and web limits', () => {
    const web = loadConfig({ CTGI_HOME: '/tmp/h', CTGI_WEB_TRUSTED_PROXY: '127.0.0.1, ::1', CTGI_WEB_STREAM_IDLE_S: '60' }).web;
    expect(web).toMatchObject({ trustedProxies: ['127.0.0.1', '::1'], streamIdleSeconds: 60, sessionsFile: '/tmp/h/web-sessions.sqlite' });
    expect(() => loadConfig({ CTGI_WEB_TRUSTED_PROXY: 'proxy.example' })).toThrow(/CTGI_WEB_TRUSTED_PROXY must be comma-separated IP addresses/);
  });
});

describe('client addresses', () => {
  it('believes X-Forwarded-For and X-Forwarded-Proto only from a trusted proxy', () => {
    const trusted = new Set(['127.0.0.1', '10.0.0.2']);
    expect(clientAddress(req('203.0.113.5', { 'x-forwarded-for': '198.51.100.1' }), trusted)).toBe('203.0.113.5');
    expect(clientAddress(req('::ffff:127.0.0.1', { 'x-forwarded-for': '198.51.100.1, 198.51.100.7, 10.0.0.2' }), trusted)).toBe('198.51.100.7');
    expect(clientAddress(req('127.0.0.1', { 'x-forwarded-for': 'junk' }), trusted)).toBe('127.0.0.1');
    expect(viaTls(req('127.0.0.1', { 'x-forwarded-proto': 'https' }), trusted)).toBe(true);
    expect(viaTls(req('203.0.113.5', { 'x-forwarded-proto': 'https' }), trusted)).toBe(false);
  });

  it('counts IPv6 clients by their /64 and IPv4 clients by address', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('192.0.2.1')).toBe('192.0.2.1');
  });
});

describe('per-session call limits', () => {
  it('admits one running and one queued call, then a burst at a rate', () => {
    const { session } = new SessionStore().create();
    const limits = { maxInFlight: 2, burst: 3, perMinute: 6 };
    const first = admitCall(session, limits, 0);
    admitCall(session, limits, 0);
    expect(() => admitCall(session, limits, 0)).toThrow(/^Slow down: your previous request/);
    first();
    first();
    expect(session.calls.inFlight).toBe(1);
    admitCall(session, limits, 0)();
    expect(() => admitCall(session, limits, 1)).toThrow(/try again in 10 seconds/);
    // One call per 10 s comes back.
    expect(() => admitCall(session, limits, 10_001)).not.toThrow();
  });
});
