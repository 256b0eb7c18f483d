import type { Command } from 'commander';
import { CtgiError } from '../../../src/errors/ctgi-error.js';
import { openDatabase } from '../../../src/storage/open-database.js';
import { migratePostgres, redactDatabaseUrl } from '../../../src/storage/postgres.js';
import type { CliContext } from '../cli-context.js';
import { DATABASE_FLAG } from '../gallery-option.js';

/** `ctgi db migrate`: brings the shared PostgreSQL database to this ctgi's schema (also done on every open). */
export function registerDb(program: Command, ctx: CliContext): void {
  const db = program.command('db').description('Maintain the shared PostgreSQL database (CTGI_DATABASE_URL).');
  db.command('migrate')
    .description('Apply pending schema migrations (under a lock: safe while other ctgi processes start) and list them.')
    .option(DATABASE_FLAG, 'PostgreSQL URL (default: CTGI_DATABASE_URL)')
    .action(async (flags: { database?: string }) => {
      const configured = ctx.config().database;
      const url = flags.database ?? configured?.url;
      if (!url) throw new CtgiError('BAD_INPUT', 'ctgi db migrate needs a database: give --database postgres://USER:PASSWORD@HOST:PORT/DATABASE or set CTGI_DATABASE_URL.');
      const where = redactDatabaseUrl(url);
      const pool = await openDatabase({ ...configured, url }, { migrate: false, max: 1 });
      try {
        const applied = await migratePostgres(pool, where);
        ctx.stdout.write(applied.length > 0 ? `Applied ${applied.length} migration${applied.length === 1 ? '' : 's'} to ${where}:\n${applied.map((m) => `  ${m}`).join('\n')}\n` : `${where} is up to date.\n`);
      } finally {
        await pool.end();
      }
    });
}
