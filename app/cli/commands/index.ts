import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { registerAudit } from './audit.command.js';
import { registerCaption } from './caption.command.js';
import { registerChat } from './chat.command.js';
import { registerDb } from './db.command.js';
import { registerDemo } from './demo.command.js';
import { registerDiscord } from './discord.command.js';
import { registerEmbed } from './embed.command.js';
import { registerIndex } from './index.command.js';
import { registerEval } from './eval.command.js';
import { registerMetrics } from './metrics.command.js';
import { registerModel } from './model.command.js';
import { registerSearch } from './search.command.js';
import { registerServe } from './serve.command.js';
import { registerSlack } from './slack.command.js';
import { registerTokenize } from './tokenize.command.js';
import { registerTrain } from './train.command.js';

/** Every top-level command, in help order. */
export function registerCommands(program: Command, ctx: CliContext): void {
  registerTokenize(program, ctx);
  registerEmbed(program, ctx);
  registerModel(program, ctx);
  registerIndex(program, ctx);
  registerSearch(program, ctx);
  registerMetrics(program, ctx);
  registerEval(program, ctx);
  registerCaption(program, ctx);
  registerTrain(program, ctx);
  registerDemo(program, ctx);
  registerServe(program, ctx);
  registerChat(program, ctx);
  registerAudit(program, ctx);
  registerDb(program, ctx);
  registerSlack(program, ctx);
  registerDiscord(program, ctx);
}
