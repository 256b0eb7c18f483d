import type { Command } from 'commander';
import { buildDemo, type DemoBuild } from '../../../src/demo/demo-build.js';
import type { CliContext } from '../cli-context.js';
import { items, ProgressBar } from '../progress.js';
import { registerDemoMllm } from './demo-mllm.command.js';
import { positiveInt } from '../options.js';

/** Builds a demo world with progress bars on stderr (shared by `demo build`, `eval --demo` and `serve`). */
export async function buildDemoWithProgress(ctx: CliContext, options: { out: string; identities: number; seed: number }): Promise<DemoBuild> {
  let bar: ProgressBar | undefined;
  let phase: string | undefined;
  const build = await buildDemo({
    ...options,
    onProgress: (p, done, total) => {
      if (p !== phase) {
        bar?.finish();
        phase = p;
        bar = new ProgressBar({ label: p === 'render' ? 'rendering demo people' : 'indexing demo gallery', total, unit: items('images'), stream: ctx.stderr });
      }
      bar!.update(done);
    },
  });
  bar?.finish();
  return build;
}

/** `ctgi demo build|mllm`: the synthetic demo world (always labelled demo). */
export function registerDemo(program: Command, ctx: CliContext): void {
  const demo = program
    .command('demo')
    .description('The synthetic demo world: rendered pedestrians, an attribute encoder and a local MLLM, for trying ctgi without real data.');

  demo
    .command('build')
    .description('Render a synthetic population, write captions, vague witness queries and a CUHK-PEDES-format dataset, and index it.')
    .option('--identities <n>', 'number of people', positiveInt('--identities'), 500)
    .option('--seed <n>', 'the seed changes the whole world', positiveInt('--seed'), 1)
    .option('--out <dir>', 'where the world goes', 'indexes/demo')
    .action(async (flags: { identities: number; seed: number; out: string }) => {
      const build = await buildDemoWithProgress(ctx, flags);
      const images = build.world.identities.reduce((n, p) => n + p.images.length, 0);
      ctx.stdout.write(
        [
          `Demo world (synthetic data, seed ${build.world.seed}): ${build.world.identities.length} people, ${images} images in ${build.out}`,
          `  gallery index: ${build.indexDir}  (search it: ctgi search --index ${build.indexDir} "woman with a red bag")`,
          `  dataset:       ${build.out}/reid_raw.json (CUHK-PEDES format)`,
          `  ground truth:  ${build.out}/ground-truth.json; vague witness queries: ${build.out}/queries.json`,
          '',
        ].join('\n'),
      );
    });

  registerDemoMllm(demo, ctx);
}
