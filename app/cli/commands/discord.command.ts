import type { Command } from 'commander';
import type { DiscordBot } from '../../../bots/discord/discord-bot.js';
import type { CliContext } from '../cli-context.js';
import { runFrontEnd, type FrontEndDeps } from './front-end-runner.js';
import { untilSignal } from '../runtime.js';

// discord.js is loaded on use: it costs every other command most of a second otherwise.

/** What `runDiscord` needs besides flags; tests pass a fake opener, their own stop signal and a fake Discord. */
export interface DiscordDeps extends FrontEndDeps<DiscordBot> {
  /** REST base URL (default Discord's). */
  restApi?: string;
}

/**
 * Runs the Discord bot until `stopped`: checks the token, opens the audit trail and the conversation service,
 * connects, then closes all three. @throws CtgiError CONFIG_INVALID without DISCORD_TOKEN (before any work).
 */
export async function runDiscord(ctx: CliContext, flags: { index?: string }, deps: DiscordDeps): Promise<void> {
  const config = ctx.config();
  const { assertDiscordConfig, startDiscordBot } = await import('../../../bots/discord/discord-bot.js');
  assertDiscordConfig(config.discord);
  await runFrontEnd(
    ctx,
    flags,
    deps,
    (service, audit, log, witness) => startDiscordBot({ config: config.discord, service, audit, log, restApi: deps.restApi, witness }),
    (_bot, service) => `ctgi Discord bot running${service.demo ? ' over the demo world (set CTGI_INDEX for your own gallery)' : ''}; /search starts a search, /witness in its thread hands it to a witness.`,
  );
}

/** `ctgi discord register`: registers /search for DISCORD_APPLICATION_ID, in one guild or globally. */
export async function runDiscordRegister(ctx: CliContext, flags: { guild?: string }, deps: { restApi?: string } = {}): Promise<void> {
  const { registerDiscordCommands } = await import('../../../bots/discord/discord-commands.js');
  const result = await registerDiscordCommands(ctx.config().discord, { guildId: flags.guild, restApi: deps.restApi });
  const where = result.scope === 'global' ? 'globally (Discord may take up to an hour to show it everywhere)' : `in guild ${result.scope}`;
  ctx.stdout.write(`Registered ${result.names.map((n) => `/${n}`).join(', ')} ${where}.\n`);
}

/** `ctgi discord` (run the bot) and `ctgi discord register` (register /search). */
export function registerDiscord(program: Command, ctx: CliContext): void {
  const discord = program
    .command('discord')
    .description('Run the Discord bot: /search opens a thread per search (needs DISCORD_TOKEN; register the command first with `ctgi discord register`).')
    .option('--index <dir>', 'gallery index directory (default CTGI_INDEX, else the demo world)')
    .action(async (flags: { index?: string }) => {
      const signal = untilSignal();
      try {
        await runDiscord(ctx, flags, { stopped: signal.stopped });
      } finally {
        signal.dispose();
      }
    });
  discord
    .command('register')
    .description('Register the /search slash command for DISCORD_APPLICATION_ID (globally, or in one server with --guild).')
    .option('--guild <id>', 'register in this server only (appears immediately; handy while testing)')
    .action(async (flags: { guild?: string }) => {
      await runDiscordRegister(ctx, flags);
    });
}
