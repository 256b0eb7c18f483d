import type { Command } from 'commander';
import type { SlackBot } from '../../../bots/slack/slack-bot.js';
import type { CliContext } from '../cli-context.js';
import { runFrontEnd, type FrontEndDeps } from './front-end-runner.js';
import { untilSignal } from '../runtime.js';

/** What `runSlack` needs besides flags; tests pass a fake opener, their own stop signal and a fake Slack. */
export interface SlackDeps extends FrontEndDeps<SlackBot> {
  /** Web API base URL (default Slack's). */
  slackApiUrl?: string;
}

/**
 * Runs the Slack bot until `stopped`: checks the tokens, opens the audit trail and the conversation service,
 * connects, then closes all three. @throws CtgiError CONFIG_INVALID when a token is missing (before any work).
 */
export async function runSlack(ctx: CliContext, flags: { index?: string }, deps: SlackDeps): Promise<void> {
  const config = ctx.config();
  // Loaded on use: @slack/bolt costs every other command its start-up time otherwise.
  const { assertSlackConfig, startSlackBot } = await import('../../../bots/slack/slack-bot.js');
  assertSlackConfig(config.slack);
  await runFrontEnd(
    ctx,
    flags,
    deps,
    (service, audit, log, witness) => startSlackBot({ config: config.slack, service, audit, log, slackApiUrl: deps.slackApiUrl, witness }),
    (bot, service) => `ctgi Slack bot running (${bot.mode === 'socket' ? 'Socket Mode' : `HTTP on port ${bot.port}`})${service.demo ? ' over the demo world (set CTGI_INDEX for your own gallery)' : ''}.`,
  );
}

/** `ctgi slack`: the Slack bot (Socket Mode by default). */
export function registerSlack(program: Command, ctx: CliContext): void {
  program
    .command('slack')
    .description('Run the Slack bot: /ctgi and @mentions start searches in threads (needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN; see bots/slack/manifest.yaml).')
    .option('--index <dir>', 'gallery index directory (default CTGI_INDEX, else the demo world)')
    .action(async (flags: { index?: string }) => {
      const signal = untilSignal();
      try {
        await runSlack(ctx, flags, { stopped: signal.stopped });
      } finally {
        signal.dispose();
      }
    });
}
