import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { AUDIT_FORMATS, type AuditFormat } from '../../../src/audit/audit-format.js';
import type { AuditTrail } from '../../../src/audit/audit-trail.js';
import { isoInstantRefusal, parseIsoInstant } from '../../../src/util/iso-instant.js';
import type { CliContext } from '../cli-context.js';
import { openAuditForExport } from '../runtime.js';

interface ExportFlags {
  since: string;
  until?: string;
  format: AuditFormat;
  out?: string;
}

function instant(name: string) {
  return (value: string): string => {
    const parsed = parseIsoInstant(value);
    if (!parsed.ok) throw new InvalidArgumentError(isoInstantRefusal(name, value, parsed.reason));
    return parsed.instant;
  };
}

function format(value: string): AuditFormat {
  if (!(AUDIT_FORMATS as readonly string[]).includes(value)) throw new InvalidArgumentError(`--format must be one of: ${AUDIT_FORMATS.join(', ')}.`);
  return value as AuditFormat;
}

/** Writes the export to `out` (via a temporary sibling renamed into place) or to stdout; returns the row count. */
async function writeExport(ctx: CliContext, store: AuditTrail, flags: ExportFlags): Promise<number> {
  const lines = store.exportLines(flags.format, { since: flags.since, until: flags.until });
  const header = flags.format === 'csv' ? 1 : 0;
  let count = 0;
  if (!flags.out) {
    for await (const line of lines) {
      count++;
      if (!ctx.stdout.write(line)) await new Promise<void>((done) => ctx.stdout.once('drain', () => done()));
    }
    return count - header;
  }
  const path = resolve(flags.out);
  const tmp = `${path}.tmp-${process.pid}`;
  const file = createWriteStream(tmp, { mode: 0o600 });
  try {
    for await (const line of lines) {
      count++;
      if (!file.write(line)) await new Promise<void>((done) => file.once('drain', () => done()));
    }
    file.end();
    await finished(file);
    await rename(tmp, path);
  } catch (err) {
    file.destroy();
    await rm(tmp, { force: true });
    throw err;
  }
  return count - header;
}

/** `ctgi audit export`: the audit trail as JSONL or CSV. */
export function registerAudit(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('The audit trail: who searched for whom, what was asked and answered, which images were shown.');
  audit
    .command('export')
    .description('Export audit records (oldest first) as JSON lines or CSV.')
    .requiredOption('--since <iso>', 'first instant to include, e.g. 2024-05-01 or 2024-05-01T12:00:00Z', instant('--since'))
    .option('--until <iso>', 'first instant to leave out (default: now and later included)', instant('--until'))
    .option('--format <jsonl|csv>', 'output format', format, 'jsonl' as AuditFormat)
    .option('--out <file>', 'write to this file (created with owner-only permissions) instead of stdout')
    .action(async (flags: ExportFlags) => {
      const store = await openAuditForExport(ctx.config());
      try {
        const rows = await writeExport(ctx, store, flags);
        if (flags.out) ctx.stderr.write(`Wrote ${rows} audit records to ${resolve(flags.out)}.\n`);
      } finally {
        await store.close();
      }
    });
}
