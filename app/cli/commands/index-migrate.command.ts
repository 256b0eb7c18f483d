import type { Command } from 'commander';
import { CtgiError } from '../../../src/errors/ctgi-error.js';
import { migrateGallery } from '../../../src/gallery/gallery-copy.js';
import type { CliContext } from '../cli-context.js';
import { writeJson } from '../io.js';
import { items as itemUnit, ProgressBar } from '../progress.js';

interface MigrateFlags {
  from: string;
  to: string;
  database?: string;
  halfvec?: boolean;
  json?: boolean;
}

/** `ctgi index migrate`: copy a gallery between a folder and the database, without re-encoding. */
export function registerIndexMigrate(index: Command, ctx: CliContext): void {
  index
    .command('migrate')
    .description('Copy a gallery folder into the database (--from DIR --to NAME), or a database gallery into a folder (--from NAME --to DIR); vectors are copied, not re-encoded. Run it again to resume.')
    .requiredOption('--from <dir|name>', 'a gallery folder, or the name of a gallery in the database')
    .requiredOption('--to <name|dir>', 'the gallery name in the database (from a folder), or a folder (from the database)')
    .option('--database <url>', 'PostgreSQL URL (default: CTGI_DATABASE_URL)')
    .option('--halfvec', 'a new database gallery stores embeddings as halfvec (half the space)')
    .option('--json', 'print the report as JSON')
    .action(async (flags: MigrateFlags) => {
      const config = ctx.config();
      const database = flags.database ? { ...config.database, url: flags.database } : config.database;
      if (!database) throw new CtgiError('BAD_INPUT', '`ctgi index migrate` copies between a folder and a database: give --database URL or set CTGI_DATABASE_URL.');
      let bar: ProgressBar | undefined;
      const report = await migrateGallery({
        from: flags.from,
        to: flags.to,
        database,
        ...(flags.halfvec ? { vector: 'halfvec' as const } : {}),
        onProgress: (done, total) => {
          bar ??= new ProgressBar({ label: 'copying', total, unit: itemUnit('images'), stream: ctx.stderr });
          bar.update(done);
        },
      });
      bar?.finish();
      if (flags.json) return writeJson(ctx.stdout, report);
      const lines = [
        `${report.from} → ${report.to}: ${report.copied} image${report.copied === 1 ? '' : 's'} copied, ${report.alreadyThere} already there, ${report.captions} captions, ${report.answers} attribute answers, ${report.skipped} skipped-file records.`,
      ];
      if (report.conflicts.length > 0) lines.push(`Not copied, the target holds other bytes at the same path (${report.conflicts.length}):`, ...report.conflicts.map((c) => `  ${c.path}`));
      ctx.stdout.write(lines.join('\n') + '\n');
    });
}
