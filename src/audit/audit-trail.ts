import type { AuditSink } from '../conversation/conversation-types.js';
import type { AuditFormat } from './audit-format.js';

// The port of the audit trail: written by the conversation service and the front ends (AuditSink), exported
// by `ctgi audit export`. Adapters: a SQLite file under CTGI_HOME (audit-store.ts) and PostgreSQL
// (postgres-audit-store.ts), shared by every process of a deployment.

/** Which rows an export covers: `since` ≤ at < `until` (ISO 8601 instants; either may be absent). */
export interface AuditRange {
  since?: string;
  until?: string;
}

/** An open audit trail. */
export interface AuditTrail extends AuditSink {
  /** Where the trail is, for messages (a path, or the database without its password). */
  readonly location: string;
  /** The records in `range`, oldest first, as export lines (CSV starts with its header line). @throws CtgiError BAD_INPUT for a bad instant. */
  exportLines(format: AuditFormat, range?: AuditRange): AsyncIterable<string>;
  /** Waits for records being written, then closes; idempotent. */
  close(): Promise<void>;
}
