import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';

/** Placeholder: replaced by the real `model` command group. */
export function registerModel(_program: Command, _ctx: CliContext): void {}
