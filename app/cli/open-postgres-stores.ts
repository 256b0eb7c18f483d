import type { AuditTrail } from '../../src/audit/audit-trail.js';
import { PostgresAuditStore } from '../../src/audit/postgres-audit-store.js';
import type { DatabaseConfig } from '../../src/config/config.js';
import { openDatabase } from '../../src/storage/open-database.js';
import { redactDatabaseUrl } from '../../src/storage/postgres.js';
import { PostgresSessionPersistence } from '../../bots/web/postgres-session-persistence.js';
import type { SessionPersistence } from '../../bots/web/web-session-persistence.js';
import { PostgresWitnessLinkStore } from '../../src/witness/postgres-witness-link-store.js';

// The PostgreSQL stores the long-running commands open when a database is configured; loaded on demand
// (runtime.ts imports this module dynamically), so commands without a database never load the driver.

/** The shared audit trail in `database`. */
export async function openPostgresAudit(database: DatabaseConfig): Promise<AuditTrail> {
  return new PostgresAuditStore(await openDatabase(database, { max: 4, applicationName: 'ctgi-audit' }), redactDatabaseUrl(database.url));
}

/** The web chat's shared sessions in `database`. */
export async function openPostgresSessions(database: DatabaseConfig): Promise<SessionPersistence> {
  return new PostgresSessionPersistence(await openDatabase(database, { max: 4, applicationName: 'ctgi-web' }));
}

/** The deployment's witness links in `database`. */
export async function openPostgresWitnessLinks(database: DatabaseConfig): Promise<PostgresWitnessLinkStore> {
  return new PostgresWitnessLinkStore(await openDatabase(database, { max: 4, applicationName: 'ctgi-witness' }));
}
