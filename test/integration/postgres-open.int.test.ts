import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres, openPostgres, redactDatabaseUrl } from '../../src/storage/postgres.js';
import { hasPostgres, makeTestDatabase, POSTGRES_SKIP_REASON } from '../helpers/postgres.js';

if (!hasPostgres) console.warn(POSTGRES_SKIP_REASON);

describe('opening PostgreSQL: sentences, never credentials', () => {
  it('names an unreachable server without its password', async () => {
    const err = await openPostgres('postgres://ctgi:s3cret-pw@127.0.0.1:1/ctgi').catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'CtgiError', code: 'UPSTREAM_FAILED' });
    expect((err as Error).message).toContain('127.0.0.1:1');
    expect((err as Error).message).not.toContain('s3cret-pw');
    expect(redactDatabaseUrl('postgres://u:pw@h:5/d')).toBe('postgres://u:***@h:5/d');
  });

  it('refuses a URL that is not postgres://', async () => {
    await expect(openPostgres('mysql://h/d')).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(openPostgres('not a url')).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

describe.skipIf(!hasPostgres)('migrations on a real server', () => {
  let db: Awaited<ReturnType<typeof makeTestDatabase>>;
  beforeAll(async () => {
    db = await makeTestDatabase('open');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('migrates once, concurrently from several processes’ pools, and installs pgvector', async () => {
    const pools = await Promise.all([1, 2, 3].map(() => openPostgres(db.url, { migrate: false, max: 2 })));
    try {
      await Promise.all(pools.map((p) => migratePostgres(p)));
      const applied = await pools[0].query<{ name: string }>('SELECT name FROM ctgi_migrations');
      expect(new Set(applied.rows.map((r) => r.name)).size).toBe(applied.rows.length);
      expect(applied.rows.map((r) => r.name)).toContain('0001_pgvector');
      const ext = await pools[0].query("SELECT 1 FROM pg_extension WHERE extname = 'vector'");
      expect(ext.rowCount).toBe(1);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('refuses a schema newer than the code, naming the migration', async () => {
    const pool = await openPostgres(db.url);
    try {
      await pool.query("INSERT INTO ctgi_migrations (name, run_on) VALUES ('9999_from_the_future', now())");
      await expect(migratePostgres(pool)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('9999_from_the_future') });
    } finally {
      await pool.query("DELETE FROM ctgi_migrations WHERE name = '9999_from_the_future'");
      await pool.end();
    }
  });
});
