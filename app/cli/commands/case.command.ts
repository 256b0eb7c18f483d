import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { verifyCaseZip } from '../../../agent/case/case-verify.js';
import type { ConversationService } from '../../../src/conversation/conversation-types.js';
import { CtgiError } from '../../../src/errors/ctgi-error.js';
import type { CliContext } from '../cli-context.js';
import { indexArgument, openAudit, openService, type ServiceOpener } from '../runtime.js';

/**
 * `ctgi case export`: writes the thread's case zip (to `--out`, else under <CTGI_HOME>/cases/) and prints where.
 * The operator at the console may export any thread; a refusal (unknown thread) is audited and thrown.
 */
export async function runCaseExport(ctx: CliContext, thread: string, flags: { out?: string; index?: string }, open: ServiceOpener = openService): Promise<string> {
  const config = ctx.config();
  const audit = await openAudit(config);
  let service: ConversationService | undefined;
  try {
    service = await open({ config, ...(flags.index ? { indexDir: indexArgument(config, flags.index) } : {}), audit });
    if (!service.exportCase) throw new CtgiError('INTERNAL', 'This conversation service cannot export cases.');
    const user = osUser();
    const result = await service.exportCase(thread, { id: user, name: `${user} (cli)` }, { anyOwner: true, ...(flags.out ? { out: resolve(flags.out) } : {}) });
    if (!result.ok) throw new CtgiError('NOT_FOUND', result.text);
    ctx.stdout.write(`Wrote the case of ${thread} to ${result.path} (${result.files} files, ${result.bytes} bytes); check it with: ctgi case verify ${result.path}\n`);
    return result.path;
  } finally {
    await service?.close();
    await audit.close();
  }
}

/** `ctgi case verify`: checks every file of a case zip against its manifest; fails naming each file that does not match. */
export async function runCaseVerify(ctx: CliContext, file: string): Promise<boolean> {
  const check = await verifyCaseZip(resolve(file));
  if (check.ok) {
    ctx.stdout.write(`OK: ${check.verified} files match their SHA-256 in the manifest (case of ${check.thread}, exported ${check.exportedAt}).\n`);
    return true;
  }
  ctx.stderr.write(`FAILED: ${file} does not verify (${check.verified} files match):\n${check.problems.map((p) => `  ${p}\n`).join('')}`);
  ctx.exitCode = 1;
  return false;
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'console';
  }
}

/** `ctgi case export|verify`. */
export function registerCase(program: Command, ctx: CliContext): void {
  const cases = program.command('case').description('A conversation as a case: transcript, galleries, images, audit rows and a report in one zip with SHA-256 hashes.');
  cases
    .command('export')
    .description('Export the case of a conversation (its thread id, e.g. web:<session>:<conversation> from the audit trail) as a zip.')
    .argument('<thread>', 'conversation thread id (platform:channel:thread)')
    .option('--out <file>', 'zip to write (default: <CTGI_HOME>/cases/case-<thread>-<time>.zip)')
    .option('--index <dir>', 'gallery index the conversation searched (default CTGI_INDEX, else the demo world)')
    .action(async (thread: string, flags: { out?: string; index?: string }) => {
      await runCaseExport(ctx, thread, flags);
    });
  cases
    .command('verify')
    .description('Check every file of a case zip against the SHA-256 hashes in its manifest.')
    .argument('<zip>', 'case zip written by ctgi case export')
    .action(async (file: string) => {
      await runCaseVerify(ctx, file);
    });
}
