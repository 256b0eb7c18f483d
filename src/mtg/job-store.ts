import { CtgiError } from '../errors/ctgi-error.js';
import { openSqlite, type SqliteDatabase } from '../storage/sqlite.js';
import type { MtgTurn } from './caption-image.js';

// The MTG job table: one row per finished image (captioned, or failed with the reason), committed as the
// image finishes. A re-run skips every `done` row and retries the failed ones, so a job killed at any
// moment loses at most the images that were in flight.

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

/** One finished image of the job. */
export interface JobRecord {
  /** The image as the input lists it (its dataset path, or its path under the images folder). */
  key: string;
  status: 'done' | 'failed';
  initialCaption: string | null;
  caption: string | null;
  turns: MtgTurn[];
  error: string | null;
  /** Runs that worked on the image. */
  attempts: number;
  finishedAt: string;
}

interface Row {
  key: string;
  status: 'done' | 'failed';
  initial_caption: string | null;
  caption: string | null;
  turns: string;
  error: string | null;
  attempts: number;
  finished_at: string;
}

/** The job table of one `ctgi caption` output, in its own SQLite file. */
export class CaptionJobStore {
  private constructor(
    readonly path: string,
    private readonly db: SqliteDatabase,
  ) {}

  /**
   * Opens (creating) the job file and checks it was started with the same `settings` (rounds, prompts):
   * mixing captions made two ways in one output would go unnoticed.
   * @throws CtgiError BAD_INPUT when the settings differ or the file is not a job file.
   */
  static open(path: string, settings: string): CaptionJobStore {
    const db = openSqlite(path);
    try {
      db.exec(SCHEMA);
      const row = db.prepare("SELECT value FROM meta WHERE key = 'settings'").get() as { value: string } | undefined;
      if (!row) db.prepare("INSERT INTO meta (key, value) VALUES ('settings', ?)").run(settings);
      else if (row.value !== settings) {
        throw new CtgiError(
          'BAD_INPUT',
          `The job file ${path} belongs to a run with other settings (rounds or prompts); re-run with the same settings to resume, or delete it (or pick another --out) to start over.`,
        );
      }
    } catch (err) {
      db.close();
      if ((err as { name?: string }).name === 'CtgiError') throw err;
      throw new CtgiError('BAD_INPUT', `${path} is not a ctgi caption job file (${(err as Error).message}); delete it or pick another --out.`, { cause: err });
    }
    return new CaptionJobStore(path, db);
  }

  /** Keys of the images already captioned. */
  doneKeys(): Set<string> {
    return new Set((this.db.prepare("SELECT key FROM jobs WHERE status = 'done'").all() as Array<{ key: string }>).map((r) => r.key));
  }

  /** Records a captioned image (replacing a failure from an earlier run). */
  markDone(key: string, initialCaption: string, caption: string, turns: MtgTurn[]): void {
    this.upsert(key, 'done', initialCaption, caption, turns, null);
  }

  /** Records an image that could not be captioned, with the reason. */
  markFailed(key: string, error: string, turns: MtgTurn[]): void {
    this.upsert(key, 'failed', null, null, turns, error);
  }

  /** Every finished image, in the order they finished. */
  records(): JobRecord[] {
    return (this.db.prepare('SELECT key, status, initial_caption, caption, turns, error, attempts, finished_at FROM jobs ORDER BY seq').all() as Row[]).map((r) => ({
      key: r.key,
      status: r.status,
      initialCaption: r.initial_caption,
      caption: r.caption,
      turns: JSON.parse(r.turns) as MtgTurn[],
      error: r.error,
      attempts: r.attempts,
      finishedAt: r.finished_at,
    }));
  }

  close(): void {
    this.db.close();
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
