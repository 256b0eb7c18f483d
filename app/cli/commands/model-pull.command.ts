import type { Command } from 'commander';
import { FetchHubClient } from '../../../src/models/store/hub-client.js';
import { DETECTOR_ALIASES, MODEL_ALIASES } from '../../../src/models/store/model-aliases.js';
import { ModelStore } from '../../../src/models/store/model-store.js';
import type { RetryPolicy } from '../../../src/models/store/transient-error.js';
import type { CliContext } from '../cli-context.js';
import { BYTES, ProgressBar } from '../progress.js';

/** Test seams for `model pull`; production uses the defaults. */
export interface ModelPullDeps {
  retry?: RetryPolicy;
}

/**
 * Adds `ctgi model pull NAME|REPO_ID [--revision main]` to the `model` group: downloads a CLIP model from
 * the hub (HF_ENDPOINT, HF_TOKEN) into the model store, progress on stderr, its directory on stdout.
 */
export function registerModelPull(model: Command, ctx: CliContext, deps: ModelPullDeps = {}): void {
  model
    .command('pull')
    .description('Download a CLIP model (ONNX), or a person detector for footage, from the Hugging Face hub into the model store and print its directory.')
    .argument('<name>', `a hub repository owner/name, or an alias: ${Object.keys(MODEL_ALIASES).join(', ')}; detector: ${Object.keys(DETECTOR_ALIASES).join(', ')}`)
    .option('--revision <revision>', 'branch, tag or commit to pull', 'main')
    .action(async (name: string, opts: { revision: string }) => {
      const config = ctx.config();
      const store = new ModelStore({
        modelsDir: config.modelsDir,
        hub: new FetchHubClient({ endpoint: config.hfEndpoint, token: config.hfToken }),
        ...(deps.retry ? { retry: deps.retry } : {}),
      });
      let bar: ProgressBar | undefined;
      try {
        const result = await store.pull(name, {
          revision: opts.revision,
          observer: {
            start: ({ totalBytes, doneBytes, files }) => {
              if (files === 0) return;
              bar = new ProgressBar({ label: `Pulling ${name}`, total: totalBytes, unit: BYTES, initial: doneBytes, stream: ctx.stderr });
            },
            progress: (done) => bar?.update(done),
          },
        });
        bar?.finish();
        const what = `${result.repo} (revision ${result.revision}${result.commit ? `, commit ${result.commit.slice(0, 12)}` : ''})`;
        ctx.stderr.write(result.upToDate ? `${what} is already up to date.\n` : `Pulled ${what}.\n`);
        // A detector's folder holds its one graph, so it is what `index build --detector` takes as is.
        ctx.stdout.write(`${result.dir}\n`);
      } catch (err) {
        bar?.finish(`Pulling ${name}: stopped.`);
        throw err;
      }
    });
}
