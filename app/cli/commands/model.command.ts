import type { Command } from 'commander';
import { describeModel, formatModelInfo } from '../../../src/models/model-info.js';
import { stretchModel } from '../../../src/models/pes/stretch-model.js';
import type { CliContext } from '../cli-context.js';
import { writeJson } from '../io.js';
import { registerModelPull } from './model-pull.command.js';
import { positiveInt } from '../options.js';

/** `ctgi model pull|info|stretch`. */
export function registerModel(program: Command, ctx: CliContext): void {
  const model = program.command('model').description('Download, inspect and stretch CLIP models.');
  registerModelPull(model, ctx);

  model
    .command('info')
    .description('Print a model directory’s layout, embedding size, context length and preprocessing.')
    .argument('<dir>', 'model directory')
    .option('--json', 'print JSON')
    .action(async (dir: string, opts: { json?: boolean }) => {
      const info = await describeModel(dir);
      if (opts.json) writeJson(ctx.stdout, info);
      else ctx.stdout.write(formatModelInfo(info));
    });

  model
    .command('stretch')
    .description('Write a copy whose text encoder takes more tokens (Long-CLIP positional-embedding stretching).')
    .requiredOption('--model <dir>', 'source model directory')
    .requiredOption('--out <dir>', 'new model directory (must not exist)')
    .option('--length <n>', 'new context length', positiveInt('--length'), 248)
    .option('--keep <n>', 'leading positions kept as trained', positiveInt('--keep'), 20)
    .action(async (opts: { model: string; out: string; length: number; keep: number }) => {
      const r = await stretchModel({ modelDir: opts.model, outDir: opts.out, length: opts.length, keep: opts.keep });
      const rewritten = [
        `position table ${r.report.positionTable}`,
        ...r.report.positionIds.map((n) => `position ids ${n}`),
        ...r.report.causalMasks.map((n) => `causal mask ${n}`),
        ...r.report.shapeConstants.map((n) => `shape constant ${n}`),
      ];
      ctx.stderr.write(
        `Wrote ${r.modelId}: text encoder stretched from ${r.from} → ${r.to} positions (first ${r.keep} kept, factor ${(r.to - r.keep) / (r.from - r.keep)}).\n` +
          `Rewrote: ${rewritten.join('; ')}.\n` +
          `Self-check: ${r.probes} probes of at most ${r.keep} tokens embed identically (max difference ${r.maxProbeDiff.toExponential(1)}).\n`,
      );
      ctx.stdout.write(`${r.outDir}\n`);
    });
}
