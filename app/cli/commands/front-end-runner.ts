import type { AuditSink, ConversationService } from '../../../src/conversation/conversation-types.js';
import type { CliContext } from '../cli-context.js';
import { indexArgument, openAudit, openService, progressPrinter, type ServiceOpener } from '../runtime.js';
import type { WitnessFrontEndOptions } from '../../../bots/common/witness-front-end.js';
import { openWitnessLinks } from '../witness-runtime.js';

/** What a chat-platform command needs besides flags; tests pass a fake opener, their own stop signal and a hook. */
export interface FrontEndDeps<B> {
  open?: ServiceOpener;
  stopped: Promise<unknown>;
  onStarted?: (bot: B) => void;
}

/** One connected front end. */
export interface RunningFrontEnd {
  stop(): Promise<void>;
}

/**
 * Runs a chat-platform front end until `deps.stopped`: opens the audit trail and the conversation service
 * (building the demo world on first use), connects with `connect`, prints `banner`, then closes all three.
 */
export async function runFrontEnd<B extends RunningFrontEnd>(
  ctx: CliContext,
  flags: { index?: string },
  deps: FrontEndDeps<B>,
  connect: (service: ConversationService, audit: AuditSink, log: (line: string) => void, witness: WitnessFrontEndOptions) => Promise<B>,
  banner: (bot: B, service: ConversationService) => string,
): Promise<void> {
  const config = ctx.config();
  const log = (line: string): void => void ctx.stderr.write(`${line}\n`);
  const audit = await openAudit(config);
  let service: ConversationService | undefined;
  let bot: B | undefined;
  let witness: Awaited<ReturnType<typeof openWitnessLinks>> | undefined;
  try {
    const progress = progressPrinter(ctx.stderr);
    service = await (deps.open ?? openService)({ config, indexDir: flags.index ? indexArgument(config, flags.index) : undefined, audit, onProgress: progress.report });
    progress.finish();
    witness = await openWitnessLinks(config, service, audit);
    bot = await connect(service, audit, log, { links: witness.links, ...(config.witness.publicUrl ? { publicUrl: config.witness.publicUrl } : {}) });
    ctx.stdout.write(`${banner(bot, service)} Press Ctrl-C to stop.\n`);
    deps.onStarted?.(bot);
    await deps.stopped;
  } finally {
    await bot?.stop();
    await witness?.close();
    await service?.close();
    await audit.close();
  }
}
