import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { isCtgiError } from '../../src/errors/ctgi-error.js';

describe('loadConfig: witness links', () => {
  it('defaults to two-hour links, no public address, and a store under CTGI_HOME', () => {
    const c = loadConfig({ CTGI_HOME: '/tmp/ctgi-home' });
    expect(c.witness).toEqual({ publicUrl: undefined, linkMinutes: 120, linksFile: join('/tmp/ctgi-home', 'witness-links.sqlite') });
  });

  it('reads CTGI_PUBLIC_URL (trailing slash dropped) and CTGI_WITNESS_LINK_MINUTES', () => {
    const c = loadConfig({ CTGI_PUBLIC_URL: 'https://ctgi.example.org/search/', CTGI_WITNESS_LINK_MINUTES: '30' });
    expect(c.witness.publicUrl).toBe('https://ctgi.example.org/search');
    expect(c.witness.linkMinutes).toBe(30);
  });

  it('names the key when a value is wrong', () => {
    for (const env of [{ CTGI_PUBLIC_URL: 'ctgi.example.org' }, { CTGI_PUBLIC_URL: 'https://x.org/?a=1' }, { CTGI_WITNESS_LINK_MINUTES: '0' }, { CTGI_WITNESS_LINK_MINUTES: 'soon' }]) {
      let err: unknown;
      try {
        loadConfig(env);
      } catch (e) {
        err = e;
      }
      expect(isCtgiError(err, 'CONFIG_INVALID')).toBe(true);
      expect((err as Error).message).toContain(Object.keys(env)[0]);
    }
  });
});
