import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createConversationService } from '../../agent/service/conversation-service.js';
import { DemoTextEncoder } from '../../src/demo/demo-encoder.js';
import { openSqlite } from '../../src/storage/sqlite.js';
import { openDemoWorld, type DemoWorldFixture } from '../helpers/demo-world.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { DEFAULT_ROUND_OPTIONS } from '../../agent/round/round-options.js';

// Checkpoints of closed and abandoned conversations are deleted after the retention (counted from the last
// human start or reply), with their owner rows; recent conversations, open or closed, are kept.

const DAY = 86_400_000;

describe('pruning old conversations', () => {
  let world: DemoWorldFixture;
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let n = 0;

  beforeAll(async () => {
    world = await openDemoWorld('pruning', { identities: 8, seed: 4 });
    temp = await makeTempDir('pruning-checkpoints');
  }, 120_000);

  afterAll(async () => {
    await world?.close();
    await temp?.cleanup();
  });

  function open(file: string, clock: { t: number }, errors: string[]) {
    return createConversationService({
      deps: { gallery: world.gallery, textEncoder: new DemoTextEncoder(), options: DEFAULT_ROUND_OPTIONS, demo: true, witnessTimeoutSeconds: 120, readImage: world.readImage },
      checkpointFile: file,
      retentionDays: 30,
      now: () => clock.t,
      logError: (m) => errors.push(m),
    });
  }

  /** Checkpoint and owner rows of a thread, read from the file directly. */
  function rows(file: string, thread: string) {
    const db = openSqlite(file, { readonly: true });
    try {
      const count = (sql: string) => (db.prepare(sql).get(thread) as { n: number }).n;
      return {
        checkpoints: count('SELECT COUNT(*) AS n FROM checkpoints WHERE thread_id = ?'),
        writes: count('SELECT COUNT(*) AS n FROM writes WHERE thread_id = ?'),
        owner: count('SELECT COUNT(*) AS n FROM ctgi_thread_owner WHERE thread = ?'),
      };
    } finally {
      db.close();
    }
  }

  it('deletes threads idle past the retention, closed or abandoned, and keeps recent and active ones', async () => {
    const file = join(temp.dir, `checkpoints-${++n}.sqlite`);
    const clock = { t: Date.UTC(2026, 0, 1) };
    const errors: string[] = [];
    const service = open(file, clock, errors);
    const user = { id: 'U1' };
    try {
      const query = world.build.world.identities[0].vagueQueries[0];
      await service.start('web:p:old-open', user, query);
      await service.start('web:p:old-closed', user, query);
      await service.answer('web:p:old-closed', user, 'done');
      await service.start('web:p:kept-busy', user, query);
      clock.t += 29 * DAY;
      await service.start('web:p:recent-closed', user, query);
      await service.answer('web:p:recent-closed', user, 'done');
      // A reply within the retention keeps an old thread alive.
      await service.answer('web:p:kept-busy', user, 'skip');
      clock.t += 2 * DAY;
      await service.start('web:p:recent-open', user, query);

      expect(await service.prune()).toBe(2);
      for (const thread of ['web:p:old-open', 'web:p:old-closed']) {
        expect(rows(file, thread)).toEqual({ checkpoints: 0, writes: 0, owner: 0 });
        expect(await service.pending(thread)).toEqual([]);
        expect(await service.owner!(thread)).toBeUndefined();
      }
      for (const thread of ['web:p:kept-busy', 'web:p:recent-closed', 'web:p:recent-open']) {
        expect(rows(file, thread).checkpoints).toBeGreaterThan(0);
        expect(await service.owner!(thread)).toBe('U1');
      }
      expect((await service.pending('web:p:recent-open')).length).toBeGreaterThan(0);
      // A pruned thread starts again like a new one.
      expect((await service.start('web:p:old-open', user, query)).at(-1)?.kind).toMatch(/question|gallery/);
      expect(await service.prune()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await service.close();
    }
  }, 60_000);

  it('prunes at start, including threads from before activity was recorded', async () => {
    const file = join(temp.dir, `checkpoints-${++n}.sqlite`);
    const clock = { t: Date.UTC(2026, 0, 1) };
    const errors: string[] = [];
    const first = open(file, clock, errors);
    await first.start('web:p:legacy', { id: 'U2' }, world.build.world.identities[1].vagueQueries[0]);
    await first.close();
    // A file from before activity was kept: its threads get their clock when first seen.
    const db = openSqlite(file);
    db.exec('DROP TABLE ctgi_thread_activity');
    db.close();
    const second = open(file, clock, errors);
    await second.close();
    expect(rows(file, 'web:p:legacy').checkpoints).toBeGreaterThan(0);

    clock.t += 31 * DAY;
    const third = open(file, clock, errors);
    try {
      await vi.waitFor(async () => expect(await third.owner!('web:p:legacy')).toBeUndefined(), { timeout: 5_000 });
      expect(rows(file, 'web:p:legacy')).toEqual({ checkpoints: 0, writes: 0, owner: 0 });
      expect(errors).toEqual([]);
    } finally {
      await third.close();
    }
  }, 60_000);
});
