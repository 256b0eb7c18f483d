import { InvalidArgumentError, type Command } from 'commander';
import type { AuditSink, ConversationService } from '../../../src/conversation/conversation-types.js';
import { startWebServer, webServerOptions, type WebServer } from '../../../bots/web/web-server.js';
import { isLoopbackHost } from '../../../bots/web/web-security.js';
import type { Config } from '../../../src/config/config.js';
import { CtgiError } from '../../../src/errors/ctgi-error.js';
import type { CliContext } from '../cli-context.js';
import { indexArgument, openAudit, openService, openSessionPersistence, progressPrinter, untilSignal, type ServiceOpener } from '../runtime.js';
import { openWitnessLinks } from '../witness-runtime.js';

export interface ServeFlags {
  host?: string;
  port?: number;
  index?: string;
}

/** What `runServe` needs besides flags; tests pass a fake opener and their own stop signal. */
export interface ServeDeps {
  open?: ServiceOpener;
  /** Resolves when the server should stop (SIGINT/SIGTERM in the command). */
  stopped: Promise<unknown>;
  /** Called once the chat is listening (tests read the URL from it). */
  onListening?: (server: WebServer) => void;
}

/**
 * Opens the audit trail and the conversation service, serves the web chat until `stopped`, then closes all
 * three. @throws CtgiError CONFIG_INVALID for a non-loopback host without CTGI_WEB_TOKEN (before any work).
 */
export async function runServe(ctx: CliContext, flags: ServeFlags, deps: ServeDeps): Promise<void> {
  const config = ctx.config();
  const host = flags.host ?? config.web.host;
  const port = flags.port ?? config.web.port;
  const token = config.web.token;
  // Checked before the demo world is built, which can take minutes on first start.
  if (!isLoopbackHost(host) && !token) {
    throw new CtgiError('CONFIG_INVALID', `Refusing to serve the web chat on ${host} without an access token: set CTGI_WEB_TOKEN (16+ characters), or bind to 127.0.0.1.`);
  }
  const audit = await openAudit(config);
  let service: ConversationService | undefined;
  let web: WebServer | undefined;
  let witness: Awaited<ReturnType<typeof openWitnessLinks>> | undefined;
  try {
    const progress = progressPrinter(ctx.stderr);
    let stopping = false;
    void deps.stopped.then(() => (stopping = true));
    service = await (deps.open ?? openService)({ config, indexDir: flags.index ? indexArgument(config, flags.index) : undefined, audit, onProgress: progress.report });
    progress.finish();
    if (stopping) return;
    const sessionPersistence = await openSessionPersistence(config);
    witness = await openWitnessLinks(config, service, audit);
    const log = (line: string) => void ctx.stderr.write(`${line}\n`);
    web = await startWebServer({
      ...webServerOptions(config.web),
      ...(sessionPersistence ? { sessionPersistence } : {}),
      service,
      host,
      port,
      token,
      audit,
      log,
      witnessLinks: witness.links,
      ...(config.witness.publicUrl ? { publicUrl: config.witness.publicUrl } : {}),
    });
    ctx.stdout.write(`ctgi web chat: ${web.url}${service.demo ? '  (demo data: the synthetic demo world; set CTGI_INDEX to search your own gallery)' : ''}\n`);
    if (!isLoopbackHost(host)) ctx.stdout.write(`Listening on ${host} port ${web.port}: other machines use this machine's address.\n`);
    if (token) ctx.stdout.write(`Access token required: open ${web.url}?token=<CTGI_WEB_TOKEN> once, or send Authorization: Bearer <CTGI_WEB_TOKEN>.\n`);
    ctx.stdout.write('Press Ctrl-C to stop.\n');
    deps.onListening?.(web);
    await deps.stopped;
    ctx.stdout.write('Stopping the web chat.\n');
  } finally {
    await web?.close();
    await witness?.close();
    await service?.close();
    await audit.close();
  }
}




function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_535) throw new InvalidArgumentError('--port must be a port number from 0 to 65535.');
  return n;
}

/** `ctgi serve`: the web chat (what `npm start` runs). */
export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('Serve the web chat (http://127.0.0.1:3000 by default) over the configured gallery, or the demo world when none is set.')
    .option('--port <n>', 'port to listen on (0 picks a free one; default CTGI_WEB_PORT or 3000)', portNumber)
    .option('--host <address>', 'address to bind (default CTGI_WEB_HOST or 127.0.0.1; any other needs CTGI_WEB_TOKEN)')
    .option('--index <dir>', 'gallery index directory (default CTGI_INDEX, else the demo world)')
    .action(async (flags: ServeFlags) => {
      const signal = untilSignal();
      try {
        await runServe(ctx, flags, { stopped: signal.stopped });
      } finally {
        signal.dispose();
      }
    });
}
