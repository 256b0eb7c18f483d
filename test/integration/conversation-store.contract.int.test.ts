// One contract for every ConversationStore adapter (SQLite under CTGI_HOME, PostgreSQL), plus what only a
// shared store promises: two processes' stores over one database serialise a thread and claim a timer once.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationStore } from '../../agent/service/conversation-store.js';
import { PostgresConversationStore } from '../../agent/service/postgres-conversation-store.js';
import { SqliteConversationStore } from '../../agent/service/sqlite-conversation-store.js';
import { openPostgres } from '../../src/storage/postgres.js';
import { hasPostgres, makeTestDatabase, POSTGRES_SKIP_REASON } from '../helpers/postgres.js';
import { makeTempDir } from '../helpers/temp-dir.js';

if (!hasPostgres) console.warn(POSTGRES_SKIP_REASON);

/** A checkpoint for `thread` written through the store's checkpointer (what a dialogue turn leaves). */
async function checkpoint(store: ConversationStore, thread: string): Promise<void> {
  const config = { configurable: { thread_id: thread, checkpoint_ns: '' } };
  const cp = { v: 4, id: `cp-${thread}-${Date.now()}`, ts: new Date().toISOString(), channel_values: { x: 1 }, channel_versions: { x: 1 }, versions_seen: {} };
  await store.checkpointer.put(config, cp, { source: 'input', step: -1, parents: {} }, { x: 1 });
}

/** The behaviour every ConversationStore adapter shares. */
function conversationStoreContract(name: string, open: () => Promise<ConversationStore>): void {
  describe(`ConversationStore contract: ${name}`, () => {
    let store: ConversationStore;
    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store?.close();
    });

    it('keeps owners and activity, lists idle threads oldest first and adopts unrecorded ones', async () => {
      expect(await store.ownerOf('web:a:1')).toBeUndefined();
      await store.setOwner('web:a:1', 'U1');
      await store.setOwner('web:a:1', 'U2');
      expect(await store.ownerOf('web:a:1')).toBe('U2');
      await store.touch('web:a:2', 2_000);
      await store.touch('web:a:3', 1_000);
      expect(await store.lastActive('web:a:2')).toBe(2_000);
      expect(await store.idleBefore(1_500)).toEqual(['web:a:3']);
      expect(await store.idleBefore(5_000)).toEqual(['web:a:3', 'web:a:2']);
      // A thread with an owner or checkpoints but no activity record gets one now.
      await checkpoint(store, 'web:a:4');
      await store.adoptUnrecorded(3_000);
      expect(await store.lastActive('web:a:1')).toBe(3_000);
      expect(await store.lastActive('web:a:4')).toBe(3_000);
      expect(await store.lastActive('web:a:2')).toBe(2_000);
    });

    it('forgets a thread: checkpoints, owner, activity and timer', async () => {
      await checkpoint(store, 'web:f:1');
      await store.setOwner('web:f:1', 'U1');
      await store.touch('web:f:1', 10);
      const armed = await store.armTimer('web:f:1', 'q:1', 0, true);
      await store.forget('web:f:1');
      expect(await store.checkpointer.getTuple({ configurable: { thread_id: 'web:f:1', checkpoint_ns: '' } })).toBeUndefined();
      expect(await store.ownerOf('web:f:1')).toBeUndefined();
      expect(await store.lastActive('web:f:1')).toBeUndefined();
      expect(await store.claimTimer('web:f:1', armed.armId)).toBe(false);
    });

    it('arms a timer once per target, replaces it on a new turn, and lets it be claimed exactly once', async () => {
      const first = await store.armTimer('web:t:1', 'q:1', 5_000, true);
      // Another look at the same pending question keeps the timer (and its due time) already armed.
      expect(await store.armTimer('web:t:1', 'q:1', 9_000, false)).toEqual(first);
      expect(await store.dueTimers(4_999)).not.toContainEqual(first);
      expect(await store.dueTimers(5_000)).toContainEqual(first);
      const claims = await Promise.all([store.claimTimer('web:t:1', first.armId), store.claimTimer('web:t:1', first.armId)]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await store.dueTimers(10_000)).not.toContainEqual(first);
      // A new turn re-arms: the old arming can no longer be claimed.
      const second = await store.armTimer('web:t:1', 'q:1', 6_000, true);
      expect(second.armId).not.toBe(first.armId);
      const third = await store.armTimer('web:t:1', 'g:1', 7_000, false);
      expect(third).toMatchObject({ target: 'g:1', dueMs: 7_000 });
      expect(await store.claimTimer('web:t:1', second.armId)).toBe(false);
      expect(await store.claimTimer('web:t:1', third.armId)).toBe(true);
    });

    it('delivers a broadcast to its receiver', async () => {
      const got: Array<[string, unknown]> = [];
      const claims: boolean[] = [];
      store.onBroadcast((thread, events, claim) => {
        got.push([thread, events]);
        void Promise.all([claim(), claim()]).then((c) => claims.push(...c));
      });
      await store.broadcast('web:b:1', [{ kind: 'text', tone: 'info', text: 'No answer in time; "quoted" \u0000' }]);
      await expect.poll(() => got).toEqual([['web:b:1', [{ kind: 'text', tone: 'info', text: 'No answer in time; "quoted" \u0000' }]]]);
      await expect.poll(() => claims.sort()).toEqual([false, true]);
    });

    it('runs a locked turn and passes its result and errors through', async () => {
      expect(await store.withThreadLock('web:l:1', async () => 42)).toBe(42);
      await expect(store.withThreadLock('web:l:1', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      expect(await store.withThreadLock('web:l:1', async () => 'again')).toBe('again');
    });
  });
}

let temp: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => {
  temp = await makeTempDir('conversation-store');
});
afterAll(async () => {
  await temp?.cleanup();
});

conversationStoreContract('SQLite', async () => SqliteConversationStore.open(join(temp.dir, `checkpoints-${Math.random()}.sqlite`)));

describe.skipIf(!hasPostgres)('PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof makeTestDatabase>>;
  beforeAll(async () => {
    db = await makeTestDatabase('convstore');
  });
  afterAll(async () => {
    await db?.drop();
  });
  /** A store as one process opens it: its own pools. */
  const openStore = async () => PostgresConversationStore.open(await openPostgres(db.url, { max: 4 }), await openPostgres(db.url, { migrate: false, max: 4 }));

  conversationStoreContract('PostgreSQL', openStore);

  describe('two processes over one database', () => {
    let a: ConversationStore;
    let b: ConversationStore;
    beforeAll(async () => {
      // Started at once: migrations and the checkpointer's setup run under their locks, once.
      [a, b] = await Promise.all([openStore(), openStore()]);
    });
    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()]);
    });

    it('never run two turns of one thread at once, but run different threads side by side', async () => {
      const log: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((done) => (release = done));
      const first = a.withThreadLock('web:x:1', async () => {
        log.push('a in');
        await held;
        log.push('a out');
      });
      await expect.poll(() => log).toEqual(['a in']);
      const second = b.withThreadLock('web:x:1', async () => void log.push('b in'));
      // Another thread is not held up by the first one's lock.
      await b.withThreadLock('web:x:2', async () => void log.push('b other'));
      expect(log).toEqual(['a in', 'b other']);
      release();
      await Promise.all([first, second]);
      expect(log).toEqual(['a in', 'b other', 'a out', 'b in']);
    });

    it('let exactly one process claim a timer both armed, and see each other’s owners and activity', async () => {
      const armed = await a.armTimer('web:y:1', 'q:3', 1_000, true);
      expect(await b.armTimer('web:y:1', 'q:3', 2_000, false)).toEqual(armed);
      expect(await b.dueTimers(1_000)).toContainEqual(armed);
      const claims = await Promise.all([a.claimTimer('web:y:1', armed.armId), b.claimTimer('web:y:1', armed.armId)]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      await a.setOwner('web:y:1', 'U9');
      await a.touch('web:y:1', 77);
      expect(await b.ownerOf('web:y:1')).toBe('U9');
      expect(await b.lastActive('web:y:1')).toBe(77);
    });

    it('deliver one process’s broadcast to every process', async () => {
      const got: string[] = [];
      const claimed: string[] = [];
      a.onBroadcast((thread, _e, claim) => {
        got.push(`a ${thread}`);
        void claim().then((mine) => mine && claimed.push(thread));
      });
      b.onBroadcast((thread, _e, claim) => {
        got.push(`b ${thread}`);
        void claim().then((mine) => mine && claimed.push(thread));
      });
      // The LISTEN connections open asynchronously: broadcast until both have heard one.
      await expect
        .poll(async () => {
          await a.broadcast('web:z:1', []);
          return new Set(got);
        })
        .toEqual(new Set(['a web:z:1', 'b web:z:1']));
      // Each broadcast was claimed by one of the two processes only.
      got.length = 0;
      claimed.length = 0;
      await a.broadcast('web:z:2', []);
      await expect.poll(() => got.filter((g) => g.endsWith('z:2')).sort()).toEqual(['a web:z:2', 'b web:z:2']);
      await expect.poll(() => claimed.filter((t) => t === 'web:z:2')).toEqual(['web:z:2']);
    });
  });
});
