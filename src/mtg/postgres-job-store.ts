// The MTG job table in PostgreSQL (migration 0004): one named job per `ctgi caption` run, its images in
// ctgi_caption_job_image, so a run resumes from the database on any host and a finished image is never lost.
import { CtgiError } from '../errors/ctgi-error.js';
import type { PgPool } from '../storage/postgres.js';
import type { MtgTurn } from './caption-image.js';
import { jobRecordOf, settingsMismatch, type CaptionJobStore, type JobRecord, type JobRow } from './job-store.js';

/** PostgreSQL adapter of CaptionJobStore: the job `name` over a migrated pool (ended on close). */
export class PostgresCaptionJobStore implements CaptionJobStore {
  readonly location: string;

  private constructor(
    private readonly pool: PgPool,
    private readonly name: string,
    where: string,
  ) {
    this.location = `"${name}" in ${where}`;
  }

  /**
   * Opens (creating) the job `name` and checks it was started with the same `settings`.
   * @throws CtgiError BAD_INPUT when the settings differ or the name is empty.
   */
  static async open(pool: PgPool, name: string, settings: string, where: string): Promise<PostgresCaptionJobStore> {
    if (!name.trim() || name.length > 500) throw new CtgiError('BAD_INPUT', 'A caption job name (--jobs) must be 1 to 500 characters.');
    const clean = noNul(name);
    await pool.query('INSERT INTO ctgi_caption_job (name, settings) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [clean, settings]);
    const row = await pool.query<{ settings: string }>('SELECT settings FROM ctgi_caption_job WHERE name = $1', [clean]);
    const store = new PostgresCaptionJobStore(pool, clean, where);
    if (row.rows[0]?.settings !== settings) throw new CtgiError('BAD_INPUT', settingsMismatch(store.location));
    return store;
  }

  async doneKeys(): Promise<Set<string>> {
    const r = await this.pool.query<{ key: string }>("SELECT key FROM ctgi_caption_job_image WHERE job = $1 AND status = 'done'", [this.name]);
    return new Set(r.rows.map((x) => x.key));
  }

  async markDone(key: string, initialCaption: string, caption: string, turns: MtgTurn[]): Promise<void> {
    await this.upsert(key, 'done', initialCaption, caption, turns, null);
  }

  async markFailed(key: string, error: string, turns: MtgTurn[]): Promise<void> {
    await this.upsert(key, 'failed', null, null, turns, error);
  }

  async records(): Promise<JobRecord[]> {
    const r = await this.pool.query<JobRow>(
      'SELECT key, status, initial_caption, caption, turns, error, attempts, finished_at FROM ctgi_caption_job_image WHERE job = $1 ORDER BY seq',
      [this.name],
    );
    return r.rows.map(jobRecordOf);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async upsert(key: string, status: 'done' | 'failed', initialCaption: string | null, caption: string | null, turns: MtgTurn[], error: string | null): Promise<void> {
    // A row moves to the end of the finish order when it is rewritten (a retried failure): a fresh seq.
    await this.pool.query(
        `INSERT INTO ctgi_caption_job_image AS j (job, key, status, initial_caption, caption, turns, error, attempts, finished_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8)
         ON CONFLICT (job, key) DO UPDATE SET seq = nextval(pg_get_serial_sequence('ctgi_caption_job_image', 'seq')), status = excluded.status,
           initial_caption = excluded.initial_caption, caption = excluded.caption, turns = excluded.turns, error = excluded.error,
           attempts = j.attempts + 1, finished_at = excluded.finished_at`,
      [this.name, noNul(key), status, nul(initialCaption), nul(caption), JSON.stringify(turns), nul(error), new Date().toISOString()],
    );
  }
}

/** PostgreSQL text cannot hold NUL (JSON escapes it, so only raw strings need this). */
function noNul(text: string): string {
  return text.includes('\u0000') ? text.replace(/\u0000/g, '\uFFFD') : text;
}

function nul(text: string | null): string | null {
  return text === null ? null : noNul(text);
}
