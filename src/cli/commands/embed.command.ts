import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';

/** Placeholder: replaced by the real `embed` command. */
export function registerEmbed(_program: Command, _ctx: CliContext): void {}
