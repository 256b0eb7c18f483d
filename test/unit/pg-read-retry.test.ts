import { describe, expect, it } from 'vitest';
import { repeatingSelects, repeatOnceOnLostConnection } from '../../src/storage/pg-retry.js';
import type { PgPool } from '../../src/storage/postgres.js';

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

describe('repeatOnceOnLostConnection', () => {
  it('repeats a read once after the server ended its connection', async () => {
    for (const lost of [withCode('terminating connection due to administrator command', '57P01'), new Error('Connection terminated unexpectedly'), withCode('read ECONNRESET', 'ECONNRESET')]) {
      const r = reads(lost);
      expect(await repeatOnceOnLostConnection(r.read)).toBe('rows');
      expect(r.calls()).toBe(2);
    }
  });

  it('does not repeat a read that failed for another reason', async () => {
    const r = reads(withCode('relation "ctgi_thread_owner" does not exist', '42P01'));
    await expect(repeatOnceOnLostConnection(r.read)).rejects.toThrow(/does not exist/);
    expect(r.calls()).toBe(1);
  });

  it('gives up after one repeat when the server is still away', async () => {
    const r = reads(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'));
    await expect(repeatOnceOnLostConnection(r.read)).rejects.toThrow(/ECONNREFUSED/);
    expect(r.calls()).toBe(2);
  });

  it('repeats plain SELECTs sent through a wrapped pool (the checkpointer\'s reads), and nothing else', async () => {
    const sent: string[] = [];
    let failNext = 0;
    const pool = {
      totalCount: 3,
      async query(text: string | { text: string }) {
        sent.push(typeof text === 'string' ? text : text.text);
        if (failNext > 0) {
          failNext--;
          throw withCode('terminating connection due to administrator command', '57P01');
        }
        return { rows: [] };
      },
    };
    const wrapped = repeatingSelects(pool as unknown as PgPool);
    failNext = 1;
    await wrapped.query('  select * from checkpoints where thread_id = $1', ['t']);
    failNext = 1;
    await wrapped.query({ text: 'SELECT 1' } as never);
    expect(sent).toEqual(['  select * from checkpoints where thread_id = $1', '  select * from checkpoints where thread_id = $1', 'SELECT 1', 'SELECT 1']);
    sent.length = 0;
    failNext = 1;
    await expect(wrapped.query('INSERT INTO checkpoints VALUES ($1)', ['t'])).rejects.toThrow(/terminating/);
    failNext = 1;
    await expect(wrapped.query('WITH x AS (DELETE FROM t RETURNING 1) SELECT * FROM x')).rejects.toThrow(/terminating/);
    expect(sent).toHaveLength(2);
    expect(wrapped.totalCount).toBe(3);
  });
});
