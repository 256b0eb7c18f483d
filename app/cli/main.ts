import { Command, CommanderError } from 'commander';
import { loadConfig, type Config } from '../../src/config/config.js';
import { userMessage } from '../../src/errors/ctgi-error.js';
import type { CliContext } from './cli-context.js';
import { registerCommands } from './commands/index.js';

/** Builds the `ctgi` program with every command registered. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('ctgi')
    .description('Conversational person search: CLIP retrieval, MLLM checks, and questions to the witness.')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    })
    .exitOverride();
  registerCommands(program, ctx);
  return program;
}

/**
 * Runs the CLI and returns the process exit code. Errors become one sentence on stderr; the stack
 * trace is shown only with CTGI_DEBUG=1.
 */
export async function main(argv: string[], streams: Partial<Pick<CliContext, 'stdin' | 'stdout' | 'stderr'>> = {}): Promise<number> {
  let config: Config | undefined;
  const ctx: CliContext = {
    config: () => (config ??= loadConfig()),
    stdin: streams.stdin ?? process.stdin,
    stdout: streams.stdout ?? process.stdout,
    stderr: streams.stderr ?? process.stderr,
  };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode ?? 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (or the help text).
      return err.exitCode === 0 ? 0 : 2;
    }
    ctx.stderr.write(`ctgi: ${userMessage(err)}\n`);
    if (debugEnabled(ctx)) ctx.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  }
}

function debugEnabled(ctx: CliContext): boolean {
  try {
    return ctx.config().debug;
  } catch {
    return false;
  }
}
