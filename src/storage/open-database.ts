import { readFile } from 'node:fs/promises';
import { CtgiError } from '../errors/ctgi-error.js';
import { openPostgres, type OpenPostgresOptions, type PgPool } from './postgres.js';

/** Where the shared database is: its URL, TLS mode, and the CA certificate (PEM, or a file holding it). */
export interface DatabaseTarget {
  url: string;
  tls?: 'disable' | 'require' | 'verify-full';
  ca?: string;
  caFile?: string;
}

/**
 * The PEM of the database's certificate authority: `ca` as given, else read from `caFile`, else undefined.
 * @throws CtgiError CONFIG_INVALID naming the file when it cannot be read.
 */
export async function databaseCa(target: Pick<DatabaseTarget, 'ca' | 'caFile'>): Promise<string | undefined> {
  if (target.ca !== undefined || !target.caFile) return target.ca;
  try {
    return await readFile(target.caFile, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CtgiError('CONFIG_INVALID', `Cannot read the database CA file ${target.caFile} (CTGI_DATABASE_CA_FILE): ${reason}.`, { cause: err });
  }
}

/**
 * Opens a pool on the configured database (`config.database`, or a `--database` URL with its TLS settings);
 * migrated unless `migrate: false`. Credentials come only from the URL and are never part of a message.
 * @throws CtgiError as openPostgres, or CONFIG_INVALID when the CA file cannot be read.
 */
export async function openDatabase(database: DatabaseTarget, options: Omit<OpenPostgresOptions, 'tls' | 'ca'> = {}): Promise<PgPool> {
  const ca = await databaseCa(database);
  return openPostgres(database.url, { ...options, ...(database.tls ? { tls: database.tls } : {}), ...(ca ? { ca } : {}) });
}
