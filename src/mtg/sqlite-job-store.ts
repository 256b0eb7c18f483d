import { CtgiError } from '../errors/ctgi-error.js';
import { openSqlite, type SqliteDatabase } from '../storage/sqlite.js';
import type { MtgTurn } from './caption-image.js';
import { jobRecordOf, settingsMismatch, type CaptionJobStore, type JobRecord, type JobRow } from './job-store.js';

// The embedded adapter of the MTG job table (job-store.ts): its own SQLite file beside the output.

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  seq             INTEGER PRIMARY KEY,
  key             TEXT NOT NULL UNIQUE,
  status          TEXT NOT NULL CHECK (status IN ('done', 'failed')),
  initial_caption TEXT,
  caption         TEXT,
  turns           TEXT NOT NULL,
  error           TEXT,
  attempts        INTEGER NOT NULL,
  finished_at     TEXT NOT NULL
);
`;

/** The job table of one `ctgi caption` output, in its own SQLite file. */
export class SqliteCaptionJobStore implements CaptionJobStore {
  private constructor(
    readonly path: string,
    private readonly db: SqliteDatabase,
  ) {}

  /**
   * Opens (creating) the job file and checks it was started with the same `settings` (rounds, prompts):
   * mixing captions made two ways in one output would go unnoticed.
   * @throws CtgiError BAD_INPUT when the settings differ or the file is not a job file.
   */
  static open(path: string, settings: string): SqliteCaptionJobStore {
    const db = openSqlite(path);
    try {
      db.exec(SCHEMA);
      const row = db.prepare("SELECT value FROM meta WHERE key = 'settings'").get() as { value: string } | undefined;
      if (!row) db.prepare("INSERT INTO meta (key, value) VALUES ('settings', ?)").run(settings);
      else if (row.value !== settings) {
        throw new CtgiError('BAD_INPUT', settingsMismatch(`file ${path}`));
      }
    } catch (err) {
      db.close();
      if ((err as { name?: string }).name === 'CtgiError') throw err;
      throw new CtgiError('BAD_INPUT', `${path} is not a ctgi caption job file (${(err as Error).message}); delete it or pick another --out.`, { cause: err });
    }
    return new SqliteCaptionJobStore(path, db);
  }

  get location(): string {
    return this.path;
  }

  async doneKeys(): Promise<Set<string>> {
    return new Set((this.db.prepare("SELECT key FROM jobs WHERE status = 'done'").all() as Array<{ key: string }>).map((r) => r.key));
  }

  async markDone(key: string, initialCaption: string, caption: string, turns: MtgTurn[]): Promise<void> {
    this.upsert(key, 'done', initialCaption, caption, turns, null);
  }

  async markFailed(key: string, error: string, turns: MtgTurn[]): Promise<void> {
    this.upsert(key, 'failed', null, null, turns, error);
  }

  async records(): Promise<JobRecord[]> {
    return (this.db.prepare('SELECT key, status, initial_caption, caption, turns, error, attempts, finished_at FROM jobs ORDER BY seq').all() as JobRow[]).map(jobRecordOf);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private upsert(key: string, status: 'done' | 'failed', initialCaption: string | null, caption: string | null, turns: MtgTurn[], error: string | null): void {
    // A row moves to the end of the finish order when it is rewritten (a retried failure).
    this.db.transaction(() => {
      const before = this.db.prepare('SELECT attempts FROM jobs WHERE key = ?').get(key) as { attempts: number } | undefined;
      this.db.prepare('DELETE FROM jobs WHERE key = ?').run(key);
      this.db
        .prepare('INSERT INTO jobs (key, status, initial_caption, caption, turns, error, attempts, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(key, status, initialCaption, caption, JSON.stringify(turns), error, (before?.attempts ?? 0) + 1, new Date().toISOString());
    })();
  }
}
