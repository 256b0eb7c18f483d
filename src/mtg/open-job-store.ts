import { mkdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { DatabaseConfig } from '../config/config.js';
import type { CaptionJobStore } from './job-store.js';
import { SqliteCaptionJobStore } from './sqlite-job-store.js';

/**
 * Opens the job table of a caption run: with a database, the job named `jobs` (default: the output file's
 * name), so the run resumes from any host; without one, the SQLite file `jobs` (default OUT.jobs.sqlite).
 * @throws CtgiError BAD_INPUT when the job was started with other `settings`.
 */
export async function openCaptionJobStore(options: { database: DatabaseConfig | undefined; out: string; jobs: string | undefined; jobsFile: string; settings: string }): Promise<CaptionJobStore> {
  if (options.database) {
    // Loaded on demand: a run without a database never loads the driver.
    const [{ openDatabase }, { redactDatabaseUrl }, { PostgresCaptionJobStore }] = await Promise.all([
      import('../storage/open-database.js'),
      import('../storage/postgres.js'),
      import('./postgres-job-store.js'),
    ]);
    const pool = await openDatabase(options.database, { max: 2, applicationName: 'ctgi-caption' });
    try {
      return await PostgresCaptionJobStore.open(pool, options.jobs ?? basename(options.out), options.settings, redactDatabaseUrl(options.database.url));
    } catch (err) {
      await pool.end();
      throw err;
    }
  }
  await mkdir(dirname(options.jobsFile), { recursive: true });
  return SqliteCaptionJobStore.open(options.jobsFile, options.settings);
}
