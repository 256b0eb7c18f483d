// The only module that imports `pg` (and node-pg-migrate): every PostgreSQL connection of the product (galleries,
// conversation checkpoints, audit trail, job queues) is a pool opened here, migrated to this code's schema.
import { fileURLToPath } from 'node:url';
import { readdir } from 'node:fs/promises';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { CtgiError } from '../errors/ctgi-error.js';

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;
export type PgQueryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/** Where the versioned schema lives: numbered SQL files with `-- Up Migration` / `-- Down Migration` parts. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));
/** The table node-pg-migrate keeps the applied migrations in. */
export const MIGRATIONS_TABLE = 'ctgi_migrations';

export interface OpenPostgresOptions {
  /** Pool size (default 8). */
  max?: number;
  /**
   * Keep this many connections open however long they sit idle (default 0: idle ones close after 10 s). A
   * search pool keeps one, so a search after a pause neither reconnects nor starts on a fresh server backend
   * (whose first searches are slower: it maps the shared buffers the index lives in on first touch).
   */
  keepOpen?: number;
  /** Shown in pg_stat_activity (default `ctgi`). */
  applicationName?: string;
  /** Apply pending migrations, under an advisory lock other processes wait on (default true). */
  migrate?: boolean;
  /** TLS: `disable`, `require` (encrypted, any certificate) or `verify-full` (default: what the URL's sslmode says). */
  tls?: 'disable' | 'require' | 'verify-full';
  /** PEM of the certificate authority for `verify-full` (e.g. read from CTGI_DATABASE_CA_FILE). */
  ca?: string;
}

/** The URL without its password, for messages (credentials are never printed or logged). */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the configured database URL';
  }
}

/**
 * Opens a pool on a PostgreSQL URL, checks the server answers and has pgvector, and (by default) migrates
 * the schema. @throws CtgiError UPSTREAM_FAILED (unreachable, refused, no pgvector) / CONFIG_INVALID (bad URL,
 * schema newer than this code) with one sentence naming the server without its password.
 */
export async function openPostgres(url: string, options: OpenPostgresOptions = {}): Promise<PgPool> {
  const where = redactDatabaseUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CtgiError('CONFIG_INVALID', 'The database URL is not a URL; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE.');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new CtgiError('CONFIG_INVALID', `The database URL must start with postgres:// (got ${parsed.protocol}//).`);
  }
  const ssl = options.tls === undefined ? undefined : options.tls === 'disable' ? false : options.tls === 'require' ? { rejectUnauthorized: false } : { rejectUnauthorized: true, ...(options.ca ? { ca: options.ca } : {}) };
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 8,
    application_name: options.applicationName ?? 'ctgi',
    connectionTimeoutMillis: 10_000,
    min: options.keepOpen ?? 0,
    // TCP keepalives, so a connection kept open is not silently dropped by a firewall or NAT in between.
    keepAlive: true,
    ...(ssl !== undefined ? { ssl } : {}),
  });
  // An idle client losing its server (a restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  // Nor may a checked-out client between two queries (a turn holding its thread lock): the error reaches the
  // holder through its next query, and the client is discarded when released with that error.
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new CtgiError('UPSTREAM_FAILED', `Cannot reach the database ${where}: ${describePgError(err)}.`, { cause: err });
  }
  try {
    if (options.migrate ?? true) await migratePostgres(pool, where);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  return pool;
}

/** Applies pending migrations (waiting on other processes doing the same). @throws CtgiError as openPostgres. */
export async function migratePostgres(pool: PgPool, where = 'the database'): Promise<string[]> {
  const available = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_available_extensions WHERE name = 'vector'");
  if (available.rows[0].n === 0) {
    throw new CtgiError('UPSTREAM_FAILED', `The database ${where} has no pgvector extension; install it (the postgresql-NN-pgvector package, or the pgvector/pgvector container image) and run \`ctgi db migrate\` again.`);
  }
  const known = new Set((await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).map((f) => f.replace(/\.sql$/, '')));
  const table = await pool.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [MIGRATIONS_TABLE]);
  if (table.rows[0].t !== null) {
    const applied = await pool.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY run_on, id`);
    const unknown = applied.rows.map((r) => r.name).filter((n) => !known.has(n));
    if (unknown.length > 0) {
      throw new CtgiError('CONFIG_INVALID', `The database ${where} has a newer schema than this ctgi (migration ${unknown.at(-1)}); upgrade ctgi on this machine.`);
    }
  }
  const client = await pool.connect();
  try {
    const ran = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      migrationsTable: MIGRATIONS_TABLE,
      direction: 'up',
      checkOrder: false,
      advisoryLockMode: 'wait',
      log: () => undefined,
    });
    return ran.map((m) => m.name);
  } catch (err) {
    if (err instanceof CtgiError) throw err;
    throw new CtgiError('UPSTREAM_FAILED', `Migrating the database ${where} failed: ${describePgError(err)}.`, { cause: err });
  } finally {
    client.release();
  }
}

/** Runs `fn` in one transaction on one client (rolled back when it throws). */
export async function inTransaction<T>(pool: PgPool, fn: (client: PgClient) => Promise<T>, options: { settings?: readonly string[] } = {}): Promise<T> {
  const client = await pool.connect();
  try {
    // Settings (`SET LOCAL …`, fixed text without parameters) go in BEGIN's round trip.
    await client.query(['BEGIN', ...(options.settings ?? [])].join('; '));
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** A short reason for a pg/network error (no stack, no credentials). */
export function describePgError(err: unknown): string {
  const e = err as { code?: string; message?: string; errors?: Array<{ message?: string }> };
  if (e.code === 'ECONNREFUSED') return 'the connection was refused (is PostgreSQL running on that host and port?)';
  if (e.code === 'ENOTFOUND') return 'the host name does not resolve';
  if (e.code === '28P01' || e.code === '28000') return 'authentication failed (check the user and password)';
  if (e.code === '3D000') return 'the database does not exist';
  const message = e.message || e.errors?.map((x) => x.message).join('; ') || String(err);
  return message.replace(/postgres(ql)?:\/\/[^\s]*/g, (m) => redactDatabaseUrl(m));
}
