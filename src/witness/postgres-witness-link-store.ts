import type { BotEvents, ThreadKey } from '../conversation/conversation-types.js';
import type { PgPool } from '../storage/postgres.js';
import { witnessLinkOf, type RelayedEvents, type WitnessLink, type WitnessLinkRow, type WitnessLinkStore } from './witness-link-store.js';

// The PostgreSQL adapter of the witness-link store (tables of migration 0005): every process of a deployment,
// on any host, sees the same links, binds a browser at most once and takes each relayed answer once.

/** Witness links in the deployment's database; the pool is the caller's unless `ownsPool`. */
export class PostgresWitnessLinkStore implements WitnessLinkStore {
  readonly #pool: PgPool;
  readonly #ownsPool: boolean;
  #closed = false;

  constructor(pool: PgPool, options: { ownsPool?: boolean } = {}) {
    this.#pool = pool;
    this.#ownsPool = options.ownsPool ?? true;
  }

  async insert(link: WitnessLink): Promise<void> {
    await this.#pool.query(
      'INSERT INTO ctgi_witness_links (id, secret_hash, thread, created_by, created_at, expires_at, revoked_at, browser_hash, show_gallery) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
      [link.id, link.secretHash, link.thread, link.createdBy, link.createdAt, link.expiresAt, link.revokedAt ?? null, link.browserHash ?? null, link.showGallery],
    );
  }

  async get(id: string): Promise<WitnessLink | undefined> {
    const { rows } = await this.#pool.query<WitnessLinkRow>('SELECT * FROM ctgi_witness_links WHERE id = $1', [id]);
    return rows[0] ? witnessLinkOf(rows[0]) : undefined;
  }

  async activeFor(thread: ThreadKey, now: number): Promise<WitnessLink[]> {
    const { rows } = await this.#pool.query<WitnessLinkRow>('SELECT * FROM ctgi_witness_links WHERE thread = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at, id', [thread, now]);
    return rows.map(witnessLinkOf);
  }

  async bindBrowser(id: string, browserHash: string): Promise<boolean> {
    const r = await this.#pool.query('UPDATE ctgi_witness_links SET browser_hash = $1 WHERE id = $2 AND browser_hash IS NULL', [browserHash, id]);
    return r.rowCount === 1;
  }

  async revoke(id: string, at: number): Promise<void> {
    await this.#pool.query('UPDATE ctgi_witness_links SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [at, id]);
  }

  async setShowGallery(id: string, show: boolean): Promise<void> {
    await this.#pool.query('UPDATE ctgi_witness_links SET show_gallery = $1 WHERE id = $2', [show, id]);
  }

  async enqueueRelay(thread: ThreadKey, events: BotEvents, at: number): Promise<void> {
    await this.#pool.query('INSERT INTO ctgi_witness_relay (thread, events, at) VALUES ($1, $2, $3)', [thread, JSON.stringify(events), at]);
  }

  async takeRelay(prefix: string): Promise<RelayedEvents[]> {
    // DELETE … RETURNING takes each row once, whichever process polls; rows another poller holds are skipped.
    const { rows } = await this.#pool.query<{ id: string; thread: string; events: BotEvents }>(
      `DELETE FROM ctgi_witness_relay WHERE id IN (
         SELECT id FROM ctgi_witness_relay WHERE left(thread, length($1)) = $1 ORDER BY id FOR UPDATE SKIP LOCKED
       ) RETURNING id, thread, events`,
      [prefix],
    );
    return rows.map((r) => ({ id: Number(r.id), thread: r.thread, events: r.events })).sort((a, b) => a.id - b.id);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsPool) await this.#pool.end();
  }
}
