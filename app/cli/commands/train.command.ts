import { InvalidArgumentError, type Command } from 'commander';
import { TRAIN_DEFAULTS, trainAdapter, type TrainResult } from '../../../src/train/train-adapter.js';
import type { EpochRecord } from '../../../src/train/train-loop.js';
import type { CliContext } from '../cli-context.js';
import { writeJson } from '../io.js';
import { items, ProgressBar } from '../progress.js';
import { abortOnInterrupt, INTERRUPTED_EXIT_CODE } from '../runtime.js';
import { positiveInt } from '../options.js';

interface TrainFlags {
  model: string;
  dataset: string;
  imagesRoot: string;
  out: string;
  split: string;
  valSplit?: string;
  valFraction: number;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  rank: number;
  patience: number;
  textOnly?: boolean;
  force?: boolean;
  json?: boolean;
}

/** `ctgi train`: a light adapter over a frozen CLIP model, learned from (pseudo-)captions; writes a model directory. */
export function registerTrain(program: Command, ctx: CliContext): void {
  program
    .command('train')
    .summary('Adapt a CLIP model to a captioned dataset (frozen towers, a learned adapter; writes a new model directory).')
    .description(
      'Learn a residual adapter over a frozen CLIP model from a captioned dataset (MTG pseudo-captions from `ctgi caption`, or any ' +
        'CUHK-PEDES / ICFG-PEDES / RSTPReid file) with the SDM and contrastive losses; the best epoch by validation mAP is written as a ' +
        'model directory every command takes. Frozen embeddings are cached in OUT.embeddings (a re-run reuses them).',
    )
    .requiredOption('--model <dir>', 'base model directory (Hugging Face or immich ONNX export)')
    .requiredOption('--dataset <file>', 'captions: reid_raw.json, ICFG-PEDES.json or data_captions.json')
    .requiredOption('--images-root <dir>', 'folder the dataset’s image paths are relative to')
    .requiredOption('--out <dir>', 'the adapted model directory to write')
    .option('--split <name>', 'split to train on', TRAIN_DEFAULTS.split)
    .option('--val-split <name>', 'split to validate on (default: hold out --val-fraction of the training people)')
    .option('--val-fraction <x>', 'share of the training split’s people held out for validation', fraction, TRAIN_DEFAULTS.valFraction)
    .option('--epochs <n>', 'training epochs', positiveInt('--epochs'), TRAIN_DEFAULTS.epochs)
    .option('--batch-size <n>', 'pairs per step', positiveInt('--batch-size'), TRAIN_DEFAULTS.batchSize)
    .option('--lr <x>', 'peak learning rate (after warm-up)', positiveNumber('--lr'), TRAIN_DEFAULTS.lr)
    .option('--seed <n>', 'seed of the initialisation, the validation draw and the batch order', positiveInt('--seed'), TRAIN_DEFAULTS.seed)
    .option('--rank <n>', 'rank of each side’s adapter (at most the embedding dimension)', positiveInt('--rank'), TRAIN_DEFAULTS.rank)
    .option('--patience <n>', 'stop after this many epochs without a better validation mAP', positiveInt('--patience'), TRAIN_DEFAULTS.patience)
    .option('--text-only', 'adapt the text tower only: indexes built with the base model stay valid')
    .option('--force', 'replace --out if it exists')
    .option('--json', 'print one JSON object instead of the table')
    .action((flags: TrainFlags) => runTrain(ctx, flags));
}

async function runTrain(ctx: CliContext, flags: TrainFlags): Promise<void> {
  const config = ctx.config();
  let bar: ProgressBar | undefined;
  let barKey = '';
  const barFor = (key: string, label: string, total: number, noun: string, initial = 0) => {
    if (barKey !== key) {
      bar?.finish();
      bar = new ProgressBar({ label, total, unit: items(noun), stream: ctx.stderr, initial });
      barKey = key;
    }
    return bar!;
  };
  const interrupt = abortOnInterrupt(ctx.stderr, 'Stopping after this step: the best epoch so far will be written (press Ctrl-C again to quit at once; cached embeddings are kept either way).');
  let result: TrainResult;
  try {
    result = await trainAdapter({
      modelDir: flags.model,
      datasetFile: flags.dataset,
      imagesRoot: flags.imagesRoot,
      outDir: flags.out,
      split: flags.split,
      valSplit: flags.valSplit,
      valFraction: flags.valFraction,
      epochs: flags.epochs,
      batchSize: flags.batchSize,
      lr: flags.lr,
      seed: flags.seed,
      rank: flags.rank,
      patience: flags.patience,
      textOnly: flags.textOnly,
      force: flags.force,
      limits: { maxPixels: config.maxImagePixels, maxBytes: config.maxImageBytes },
      signal: interrupt.signal,
      onEmbed: (p) => {
        if (barKey !== `embed-${p.kind}` && p.done === p.total) {
          bar?.finish();
          bar = undefined;
          barKey = `embed-${p.kind}`;
          ctx.stderr.write(`embedding ${p.kind}: all ${p.total} already in the cache\n`);
          return;
        }
        barFor(`embed-${p.kind}`, `embedding ${p.kind}`, p.total, p.kind, p.done).update(p.done);
      },
      onStep: (s) => barFor(`epoch-${s.epoch}`, `epoch ${s.epoch}/${flags.epochs}`, s.steps, 'steps').update(s.step),
      onEpoch: (r) => {
        bar?.finish();
        barKey = '';
        ctx.stderr.write(`${formatRecord(r)}\n`);
      },
    });
  } finally {
    bar?.finish();
    interrupt.dispose();
  }
  if (flags.json) {
    writeJson(ctx.stdout, { ...result, loop: result.loop && { ...result.loop, best: undefined } });
  } else {
    ctx.stdout.write(summary(result));
  }
  if (result.loop?.stoppedBy === 'interrupted' || !result.exported) ctx.exitCode = INTERRUPTED_EXIT_CODE;
}

function formatRecord(r: EpochRecord): string {
  const loss = r.loss === undefined ? 'base model  ' : `loss ${r.loss.toFixed(4)}`;
  return `epoch ${String(r.epoch).padStart(3)}  ${loss}  validation R1 ${r.R1.toFixed(2)}  mAP ${r.mAP.toFixed(2)}${r.best && r.epoch > 0 ? '  (best so far)' : ''}`;
}

function summary(r: TrainResult): string {
  if (!r.exported || !r.loop) return `Interrupted while embedding; nothing was trained. The embeddings done so far are kept in ${r.cacheDir} and a re-run reuses them.\n`;
  const base = r.loop.records[0];
  const best = r.loop.records.find((x) => x.epoch === r.loop!.bestEpoch)!;
  const why = { epochs: 'all epochs run', 'early-stop': 'stopped early: validation stopped improving', interrupted: 'interrupted: kept the best epoch so far' }[r.loop.stoppedBy];
  return [
    `Adapted model written to ${r.exported.outDir}`,
    `  model id:     ${r.exported.modelId}`,
    `  data:         ${r.pairs} caption–image pairs of ${r.identities} people; validation on ${r.validationIdentities} other people`,
    `  best epoch:   ${r.loop.bestEpoch} of ${r.loop.records.length - 1} (${why})`,
    `  validation:   R1 ${base.R1.toFixed(2)} → ${best.R1.toFixed(2)}, mAP ${base.mAP.toFixed(2)} → ${best.mAP.toFixed(2)} (base → adapted)`,
    r.loop.bestEpoch === 0 ? '  No epoch beat the base model on validation, so the adapter is the identity: the output embeds exactly like the base.' : '',
    `  export check: max |Δ| ${r.exported.maxDiff.toExponential(1)} between the ONNX graphs and the trainer`,
    `  speed:        ${Math.round(r.loop.pairsPerSecond)} pairs/s`,
    `  cache:        ${r.cacheDir} (frozen embeddings; delete it when done)`,
    '',
  ]
    .filter((l) => l !== '')
    .join('\n') + '\n';
}

function fraction(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('--val-fraction must be a number between 0 and 1, e.g. 0.1.');
  return n;
}

function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError(`${name} must be a positive number, e.g. 0.001.`);
    return n;
  };
}
