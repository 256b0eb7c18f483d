import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';

/** Placeholder: replaced by the real `tokenize` command. */
export function registerTokenize(_program: Command, _ctx: CliContext): void {}
