import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AuditStore } from '../../src/audit/audit-store.js';
import type { AuditTrail } from '../../src/audit/audit-trail.js';
import type { Config } from '../../src/config/config.js';
import type { AuditSink, ConversationService } from '../../src/conversation/conversation-types.js';
import type { SessionPersistence } from '../../bots/web/web-session-persistence.js';
import { estimateRate, formatEta, formatPercent, type RateSample } from './progress.js';

// What the long-running commands (serve, chat, slack, discord) share: opening the service and the audit
// trail, start-up progress, and waiting for a stop signal.

/** What opens the conversation service (agent/service/open-service.ts's `openConversationService`). */
export type ServiceOpener = (options: {
  config: Config;
  indexDir?: string;
  audit?: AuditSink;
  onProgress?: (message: string, fraction?: number) => void;
}) => Promise<ConversationService>;

/** The real service (agent/service/open-service.ts), loaded on first use. */
export const openService: ServiceOpener = async (options) => {
  // A dynamic import, so the CLI's other commands start without loading the agent stack (LangGraph, ONNX).
  const { openConversationService } = await import('../open-service.js');
  return openConversationService(options);
};

/** Opens the audit trail: in the configured database, else under CTGI_HOME (creating the directory). */
export async function openAudit(config: Config): Promise<AuditTrail> {
  if (config.database) {
    const { openPostgresAudit } = await import('./open-postgres-stores.js');
    return openPostgresAudit(config.database);
  }
  mkdirSync(dirname(config.conversation.auditFile), { recursive: true });
  return AuditStore.open(config.conversation.auditFile);
}

/** The web chat's shared session store when a database is configured; undefined → the SQLite file under CTGI_HOME. */
export async function openSessionPersistence(config: Config): Promise<SessionPersistence | undefined> {
  if (!config.database) return undefined;
  const { openPostgresSessions } = await import('./open-postgres-stores.js');
  return openPostgresSessions(config.database);
}

/** Opens the audit trail for an export: the configured database's, else the existing file under CTGI_HOME. */
export async function openAuditForExport(config: Config): Promise<AuditTrail> {
  if (config.database) return openAudit(config);
  return AuditStore.openReadOnly(config.conversation.auditFile);
}

/**
 * A promise that resolves on the first SIGINT or SIGTERM; a second signal exits at once (for a start-up that
 * is still building the demo world). `dispose` removes the handlers.
 */
export function untilSignal(): { stopped: Promise<NodeJS.Signals>; dispose: () => void } {
  let received = false;
  let handler: ((signal: NodeJS.Signals) => void) | undefined;
  const stopped = new Promise<NodeJS.Signals>((done) => {
    handler = (signal) => {
      if (received) process.exit(130);
      received = true;
      done(signal);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
  return {
    stopped,
    dispose: () => {
      process.off('SIGINT', handler!);
      process.off('SIGTERM', handler!);
    },
  };
}

/**
 * Prints the service's start-up progress (the demo world build) on stderr: on a terminal one line redrawn in
 * place with a bar and ETA, in logs a line per 10%. Phases come as (message, fraction) pairs.
 */
export function progressPrinter(stream: NodeJS.WritableStream, now: () => number = Date.now): { report: (message: string, fraction?: number) => void; finish: () => void } {
  const tty = (stream as { isTTY?: boolean }).isTTY === true;
  let current: string | undefined;
  let samples: RateSample[] = [];
  let lastStep = -1;
  let lastDrawMs = -Infinity;
  let open = false;
  const end = (): void => {
    if (open && tty) stream.write('\n');
    open = false;
  };
  return {
    report: (message, fraction) => {
      if (message !== current) {
        end();
        current = message;
        samples = [];
        lastStep = -1;
        lastDrawMs = -Infinity;
      }
      if (fraction === undefined) {
        stream.write(`${message}\n`);
        return;
      }
      const permille = Math.round(Math.max(0, Math.min(1, fraction)) * 1000);
      const t = now();
      samples.push({ atMs: t, done: permille });
      if (samples.length > 50) samples.shift();
      const pct = formatPercent(permille, 1000);
      const eta = permille > 0 && permille < 1000 ? ` ETA ${formatEta(permille, 1000, estimateRate(samples))}` : '';
      if (tty) {
        if (t - lastDrawMs < 100 && permille < 1000) return;
        lastDrawMs = t;
        const bar = `[${'#'.repeat(Math.floor(permille / 50))}${'-'.repeat(20 - Math.floor(permille / 50))}]`;
        stream.write(`\r${message} ${bar} ${pct}${eta}\x1b[K`);
        open = true;
      } else if (Math.floor(permille / 100) > lastStep) {
        // Logs get a line per 10%, not one per image.
        lastStep = Math.floor(permille / 100);
        stream.write(`${message} ${pct}${eta}\n`);
      }
    },
    finish: end,
  };
}

/** Exit code of a command stopped by Ctrl-C (128 + SIGINT), as shells report it. */
export const INTERRUPTED_EXIT_CODE = 130;

/**
 * Ctrl-C for long jobs: the first aborts `signal` after printing `message` (the job stops cleanly and keeps
 * what it finished), a second exits at once. `dispose` removes the handler.
 */
export function abortOnInterrupt(stream: NodeJS.WritableStream, message: string): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(INTERRUPTED_EXIT_CODE);
    controller.abort();
    stream.write(`\n${message}\n`);
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

/** What `--index VALUE` means here: a gallery name in the configured database, else a folder (made absolute). */
export function indexArgument(config: Config, index: string): string {
  return config.database ? index : resolve(index);
}
