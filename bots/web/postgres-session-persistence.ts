// Web sessions in PostgreSQL (ctgi_web_sessions, migration 0003): a session created through one `ctgi serve`
// works on every other server of the deployment. Only the SHA-256 of a cookie secret is stored.
import type { PgPool } from '../../src/storage/postgres.js';
import type { SessionPersistence, StoredSession } from './web-session-persistence.js';

interface Row {
  secret_sha256: string;
  id: string;
  thread: string;
  address: string;
  shown_images: unknown;
  last_seen_ms: string;
}

/** PostgreSQL adapter of SessionPersistence over a migrated pool (ended on close). */
export class PostgresSessionPersistence implements SessionPersistence {
  readonly #pool: PgPool;

  constructor(pool: PgPool) {
    this.#pool = pool;
  }

  async load(seenSinceMs: number): Promise<StoredSession[]> {
    await this.#pool.query('DELETE FROM ctgi_web_sessions WHERE last_seen_ms < $1', [Math.round(seenSinceMs)]);
    const r = await this.#pool.query<Row>('SELECT * FROM ctgi_web_sessions ORDER BY last_seen_ms');
    return r.rows.map(fromRow);
  }

  async find(secretHash: string): Promise<StoredSession | undefined> {
    const r = await this.#pool.query<Row>('SELECT * FROM ctgi_web_sessions WHERE secret_sha256 = $1', [secretHash]);
    return r.rows[0] ? fromRow(r.rows[0]) : undefined;
  }

  async save(s: StoredSession): Promise<void> {
    // Two servers may each have shown the session images: the stored list is the union, never the last writer's.
    await this.#pool.query(
      `INSERT INTO ctgi_web_sessions AS w (secret_sha256, id, thread, address, shown_images, last_seen_ms) VALUES ($1, $2, $3, $4, $5::jsonb, $6)
       ON CONFLICT (secret_sha256) DO UPDATE SET thread = excluded.thread, last_seen_ms = GREATEST(w.last_seen_ms, excluded.last_seen_ms),
         shown_images = (SELECT coalesce(jsonb_agg(DISTINCT x), '[]'::jsonb) FROM jsonb_array_elements(w.shown_images || excluded.shown_images) AS x)`,
      [s.secretHash, s.id, s.thread, s.address, JSON.stringify(s.shownImages), Math.round(s.lastSeenMs)],
    );
  }

  async remove(secretHash: string): Promise<void> {
    await this.#pool.query('DELETE FROM ctgi_web_sessions WHERE secret_sha256 = $1', [secretHash]);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

function fromRow(r: Row): StoredSession {
  const ids = Array.isArray(r.shown_images) ? r.shown_images.filter((x): x is number => Number.isInteger(x)) : [];
  return { secretHash: r.secret_sha256, id: r.id, thread: r.thread, address: r.address, shownImages: ids, lastSeenMs: Number(r.last_seen_ms) };
}
