import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../../src/config/config.js';
import type { AuditSink, ConversationService } from '../../src/conversation/conversation-types.js';
import { SqliteWitnessLinkStore } from '../../src/witness/sqlite-witness-link-store.js';
import type { WitnessLinkStore } from '../../src/witness/witness-link-store.js';
import { WitnessLinks } from '../../src/witness/witness-links.js';

/**
 * Opens the witness-link store — the configured database's (shared by every process of a deployment), else a
 * SQLite file under CTGI_HOME — and the link flow over `service`; `close` closes the store.
 */
export async function openWitnessLinks(config: Config, service: ConversationService, audit: AuditSink): Promise<{ links: WitnessLinks; close: () => Promise<void> }> {
  let store: WitnessLinkStore;
  if (config.database) {
    const { openPostgresWitnessLinks } = await import('./open-postgres-stores.js');
    store = await openPostgresWitnessLinks(config.database);
  } else {
    mkdirSync(dirname(config.witness.linksFile), { recursive: true });
    store = SqliteWitnessLinkStore.open(config.witness.linksFile);
  }
  const links = new WitnessLinks({ store, service, audit, ttlMs: config.witness.linkMinutes * 60_000 });
  return { links, close: () => store.close() };
}
