import { describe, expect, it } from 'vitest';
import { readRetryingOnce } from '../../src/storage/pg-retry.js';

// A repeatable read that lands on a pooled connection the server ended (a database restart) is tried once
// more; any other failure, or a server still away, reaches the caller.

/** A read failing with the given errors in turn, then answering; counts its calls. */
function reads(...failures: Error[]) {
  let calls = 0;
  return {
    read: async () => {
      const failure = failures[calls++];
      if (failure) throw failure;
      return 'rows';
    },
    calls: () => calls,
  };
}
const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('readRetryingOnce', () => {
  it('repeats a read once after the server ended its connection', async () => {
    for (const lost of [withCode('terminating connection due to administrator command', '57P01'), new Error('Connection terminated unexpectedly'), withCode('read ECONNRESET', 'ECONNRESET')]) {
      const r = reads(lost);
      expect(await readRetryingOnce(r.read)).toBe('rows');
      expect(r.calls()).toBe(2);
    }
  });

  it('does not repeat a read that failed for another reason', async () => {
    const r = reads(withCode('relation "ctgi_thread_owner" does not exist', '42P01'));
    await expect(readRetryingOnce(r.read)).rejects.toThrow(/does not exist/);
    expect(r.calls()).toBe(1);
  });

  it('gives up after one repeat when the server is still away', async () => {
    const r = reads(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'));
    await expect(readRetryingOnce(r.read)).rejects.toThrow(/ECONNREFUSED/);
    expect(r.calls()).toBe(2);
  });
});
