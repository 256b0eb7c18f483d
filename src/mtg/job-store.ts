import type { MtgTurn } from './caption-image.js';

// The port of the MTG job table: one row per finished image (captioned, or failed with the reason),
// committed as the image finishes. A re-run skips every `done` row and retries the failed ones, so a job
// killed at any moment loses at most the images that were in flight. Adapters: a SQLite file beside the
// output (sqlite-job-store.ts) and a named job in PostgreSQL (postgres-job-store.ts).

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

/** The job table of one `ctgi caption` run. */
export interface CaptionJobStore {
  /** Where the job is kept, for messages (a file, or a job name in the database). */
  readonly location: string;
  /** Keys of the images already captioned. */
  doneKeys(): Promise<Set<string>>;
  /** Records a captioned image (replacing a failure from an earlier run). */
  markDone(key: string, initialCaption: string, caption: string, turns: MtgTurn[]): Promise<void>;
  /** Records an image that could not be captioned, with the reason. */
  markFailed(key: string, error: string, turns: MtgTurn[]): Promise<void>;
  /** Every finished image, in the order they finished. */
  records(): Promise<JobRecord[]>;
  close(): Promise<void>;
}

/** The refusal when a job is resumed with other settings. */
export function settingsMismatch(location: string): string {
  return `The job ${location} belongs to a run with other settings (rounds or prompts); re-run with the same settings to resume, or delete it (or pick another --out or --jobs) to start over.`;
}

/** A job row as both adapters store it (turns as JSON text). */
export interface JobRow {
  key: string;
  status: 'done' | 'failed';
  initial_caption: string | null;
  caption: string | null;
  turns: string;
  error: string | null;
  attempts: number;
  finished_at: string;
}

/** The record a stored job row stands for. */
export function jobRecordOf(row: JobRow): JobRecord {
  return {
    key: row.key,
    status: row.status,
    initialCaption: row.initial_caption,
    caption: row.caption,
    turns: JSON.parse(row.turns) as MtgTurn[],
    error: row.error,
    attempts: row.attempts,
    finishedAt: row.finished_at,
  };
}
