import { randomBytes } from 'node:crypto';
import { openPostgres, type PgPool } from '../../src/storage/postgres.js';

/**
 * The server the Postgres tests use: `CTGI_TEST_DATABASE_URL` (`.ci/run` starts one with
 * ../shared/tools/pg-test-server.sh and exports it). Unset: those tests are skipped with `POSTGRES_SKIP_REASON`.
 */
export const TEST_DATABASE_URL = process.env.CTGI_TEST_DATABASE_URL;
export const hasPostgres = Boolean(TEST_DATABASE_URL);
export const POSTGRES_SKIP_REASON = 'PostgreSQL tests skipped: CTGI_TEST_DATABASE_URL is not set (start a server with ../shared/tools/pg-test-server.sh start DIR PORT).';

/** A fresh, empty database on the test server for one test file; `drop` removes it (call from afterAll). */
export async function makeTestDatabase(prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!TEST_DATABASE_URL) throw new Error(POSTGRES_SKIP_REASON);
  const name = `ctgi_${prefix.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const admin: PgPool = await openPostgres(TEST_DATABASE_URL, { migrate: false, max: 1 });
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const pool = await openPostgres(TEST_DATABASE_URL, { migrate: false, max: 1 });
      try {
        await pool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await pool.end();
      }
    },
  };
}
