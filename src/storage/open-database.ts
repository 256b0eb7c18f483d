import { readFile } from 'node:fs/promises';
import type { DatabaseConfig } from '../config/config.js';
import { CtgiError } from '../errors/ctgi-error.js';
import { openPostgres, type OpenPostgresOptions, type PgPool } from './postgres.js';

/**
 * Opens a pool on the configured database (`config.database`): its URL, TLS mode and CA file; migrated unless
 * `migrate: false`. Credentials come only from the URL and are never part of a message.
 * @throws CtgiError as openPostgres, or NOT_FOUND when the CA file cannot be read.
 */
export async function openDatabase(database: DatabaseConfig, options: Omit<OpenPostgresOptions, 'tls' | 'ca'> = {}): Promise<PgPool> {
  let ca: string | undefined;
  if (database.caFile) {
    try {
      ca = await readFile(database.caFile, 'utf8');
    } catch (err) {
      throw new CtgiError('NOT_FOUND', `Cannot read the database CA file ${database.caFile} (CTGI_DATABASE_CA_FILE): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`, { cause: err });
    }
  }
  return openPostgres(database.url, { ...options, ...(database.tls ? { tls: database.tls } : {}), ...(ca ? { ca } : {}) });
}
