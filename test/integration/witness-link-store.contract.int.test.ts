import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WitnessLink, WitnessLinkStore } from '../../src/witness/witness-link-store.js';
import { SqliteWitnessLinkStore } from '../../src/witness/sqlite-witness-link-store.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { hasPostgres, makeTestDatabase, POSTGRES_SKIP_REASON } from '../helpers/postgres.js';
import { openPostgres } from '../../src/storage/postgres.js';
import { PostgresWitnessLinkStore } from '../../src/witness/postgres-witness-link-store.js';

// One suite every WitnessLinkStore adapter passes; a PostgreSQL adapter joins with one call at the bottom.
// `second` opens another handle on the same data, as another process (ctgi slack beside ctgi serve) would.

export interface WitnessLinkStoreCase {
  store: WitnessLinkStore;
  second: () => Promise<WitnessLinkStore>;
}

let serial = 0;
function link(over: Partial<WitnessLink> = {}): WitnessLink {
  const n = ++serial;
  return { id: n.toString(16).padStart(16, '0'), secretHash: 'ab'.repeat(32), thread: 'slack:C1:1.1', createdBy: 'U1', createdAt: 1000, expiresAt: 9000, showGallery: false, ...over };
}

/** The behaviour every WitnessLinkStore adapter must share. */
export function witnessLinkStoreContract(name: string, factory: () => Promise<WitnessLinkStoreCase>): void {
  describe(`WitnessLinkStore contract: ${name}`, () => {
    const open: WitnessLinkStore[] = [];
    const fresh = async (): Promise<WitnessLinkStoreCase> => {
      const c = await factory();
      open.push(c.store);
      return {
        store: c.store,
        second: async () => {
          const s = await c.second();
          open.push(s);
          return s;
        },
      };
    };
    afterAll(async () => {
      for (const s of open) await s.close();
    });

    it('keeps links as inserted and finds the live ones of a thread', async () => {
      const { store } = await fresh();
      const a = link();
      const b = link({ thread: 'web:local:x', showGallery: true });
      const expired = link({ expiresAt: 1500 });
      await store.insert(a);
      await store.insert(b);
      await store.insert(expired);
      expect(await store.get(a.id)).toEqual(a);
      expect(await store.get(b.id)).toEqual(b);
      expect(await store.get('ffffffffffffffff')).toBeUndefined();
      expect((await store.activeFor('slack:C1:1.1', 2000)).map((l) => l.id)).toEqual([a.id]);
      await store.revoke(a.id, 2500);
      await store.revoke(a.id, 2600); // the first revocation stands
      expect((await store.get(a.id))?.revokedAt).toBe(2500);
      expect(await store.activeFor('slack:C1:1.1', 2000)).toEqual([]);
      await store.setShowGallery(a.id, true);
      expect((await store.get(a.id))?.showGallery).toBe(true);
    });

    it('binds a link to one browser only, across handles', async () => {
      const { store, second } = await fresh();
      const other = await second();
      const l = link();
      await store.insert(l);
      const results = await Promise.all([store.bindBrowser(l.id, 'cd'.repeat(32)), other.bindBrowser(l.id, 'ef'.repeat(32))]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const bound = (await other.get(l.id))!.browserHash;
      expect(bound).toBe(results[0] ? 'cd'.repeat(32) : 'ef'.repeat(32));
      expect(await store.bindBrowser(l.id, '01'.repeat(32))).toBe(false);
    });

    it('relays events to the platform they belong to, each batch once, in order', async () => {
      const { store, second } = await fresh();
      const other = await second();
      await store.enqueueRelay('slack:C1:1.1', [{ kind: 'text', tone: 'info', text: 'one' }], 1);
      await store.enqueueRelay('discord:D1:2', [{ kind: 'text', tone: 'info', text: 'two' }], 2);
      await store.enqueueRelay('slack:C1:1.2', [{ kind: 'text', tone: 'info', text: 'three' }], 3);
      const [a, b] = await Promise.all([other.takeRelay('slack:'), store.takeRelay('slack:')]);
      const taken = [...a, ...b];
      expect(taken.map((t) => [t.thread, t.events])).toEqual([
        ['slack:C1:1.1', [{ kind: 'text', tone: 'info', text: 'one' }]],
        ['slack:C1:1.2', [{ kind: 'text', tone: 'info', text: 'three' }]],
      ]);
      expect(await store.takeRelay('slack:')).toEqual([]);
      expect((await other.takeRelay('discord:')).map((t) => t.thread)).toEqual(['discord:D1:2']);
      // A prefix is matched literally (no LIKE wildcards).
      await store.enqueueRelay('web:local:a', [], 4);
      expect(await store.takeRelay('w_b:')).toEqual([]);
    });
  });
}

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await makeTempDir('witness-store-contract');
});
afterAll(() => tmp.cleanup());

witnessLinkStoreContract('SqliteWitnessLinkStore', async () => {
  const path = join(tmp.dir, `links-${++serial}.sqlite`);
  return { store: SqliteWitnessLinkStore.open(path), second: async () => SqliteWitnessLinkStore.open(path) };
});

if (!hasPostgres) console.warn(POSTGRES_SKIP_REASON);
describe.skipIf(!hasPostgres)('on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof makeTestDatabase>> | undefined;
  afterAll(async () => {
    await db?.drop();
  });
  witnessLinkStoreContract('PostgresWitnessLinkStore', async () => {
    db ??= await makeTestDatabase('witness');
    const url = db.url;
    // Each case gets empty tables; `second` is another process's pool on the same data.
    const first = await openPostgres(url);
    await first.query('TRUNCATE ctgi_witness_links, ctgi_witness_relay');
    return { store: new PostgresWitnessLinkStore(first), second: async () => new PostgresWitnessLinkStore(await openPostgres(url)) };
  });
});
