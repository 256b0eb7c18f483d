import { userInfo } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { ConversationService, GalleryItem } from '../../../src/conversation/conversation-types.js';
import { runTerminalChat } from '../../../bots/terminal/terminal-chat.js';
import type { Config } from '../../../src/config/config.js';
import { readManifest } from '../../../src/gallery/gallery-manifest.js';
import type { CliContext } from '../cli-context.js';
import { indexArgument, openAudit, openService, progressPrinter, type ServiceOpener } from '../runtime.js';

/** Runs the terminal dialogue on the context's streams; closes the service and audit trail at the end. */
export async function runChat(ctx: CliContext, flags: { index?: string }, open: ServiceOpener = openService): Promise<void> {
  const config = ctx.config();
  const audit = await openAudit(config);
  let service: ConversationService | undefined;
  try {
    const progress = progressPrinter(ctx.stderr);
    const indexDir = flags.index ? indexArgument(config, flags.index) : undefined;
    service = await open({ config, indexDir, audit, onProgress: progress.report });
    progress.finish();
    const describeImage = await imagePaths(config, indexDir);
    await runTerminalChat({ service, input: ctx.stdin, output: ctx.stdout, user: { id: osUser(), name: osUser() }, describeImage });
  } finally {
    await service?.close();
    await audit.close();
  }
}

/**
 * Shows gallery paths resolved against the index's images root, so they can be opened as printed. The demo
 * world's index lives at <CTGI_HOME>/demo/index; when the manifest cannot be read, paths are shown as stored.
 */
async function imagePaths(config: Config, indexDir: string | undefined): Promise<((item: GalleryItem) => string) | undefined> {
  const dir = indexDir ?? config.conversation.indexDir ?? join(config.home, 'demo', 'index');
  try {
    const root = (await readManifest(dir)).imagesRoot;
    if (!root) return undefined;
    return (item) => (isAbsolute(item.path) ? item.path : join(root, item.path));
  } catch {
    return undefined;
  }
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'terminal';
  }
}

/** `ctgi chat`: the dialogue in a terminal. */
export function registerChat(program: Command, ctx: CliContext): void {
  program
    .command('chat')
    .description('Search by conversation in the terminal: numbered answers, galleries listed with rank, score and image path.')
    .option('--index <dir>', 'gallery index directory (default CTGI_INDEX, else the demo world)')
    .action(async (flags: { index?: string }) => {
      await runChat(ctx, flags);
    });
}
