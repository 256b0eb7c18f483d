import { InvalidArgumentError, type Command } from 'commander';
import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { FORMAT_LAYOUTS } from '../../datasets/dataset-formats.js';
import { readDataset, selectSplit } from '../../datasets/dataset-io.js';
import { evaluationView } from '../../datasets/dataset-split.js';
import { CtgiError } from '../../errors/ctgi-error.js';
import { evaluationJson, formatEvaluationTable, type EvaluationLabels } from '../../eval/eval-report.js';
import { runEvaluation, type EvaluationProgress } from '../../eval/run-evaluation.js';
import { demoMtiRunner } from '../../../agent/round/mti-demo-eval.js';
import { DEFAULT_LAMBDA } from '../../../agent/round/mti-round.js';
import type { DemoBuild } from '../../demo/demo-build.js';
import { evaluateDemoRetrieval } from '../../demo/demo-eval.js';
import { DEMO_MLLM_MODEL, startDemoMllmServer } from '../../demo/demo-mllm-server.js';
import { OpenAiMllm } from '../../mllm/openai-chat.js';
import { evaluateCaptionAware, type CaptionAwareRow } from '../../mtg/caption-aware.js';
import { captionDemoGallery, demoJobFile } from '../../mtg/caption-demo.js';
import { openImageEncoder, openTextEncoder } from '../../models/open-encoders.js';
import type { CliContext } from '../cli-context.js';
import { writeJson } from '../io.js';
import { items, ProgressBar } from '../progress.js';
import { buildDemoWithProgress } from './demo.command.js';
import { positiveInt } from './embed.command.js';

interface EvalFlags {
  model?: string;
  dataset?: string;
  imagesRoot?: string;
  demo?: boolean;
  seed: number;
  identities: number;
  split: string;
  json?: boolean;
  plot?: string;
  batchSize: number;
  rounds: number;
  mllmLatencyMs: number;
  mti: boolean;
  queries?: number;
  lambda: number;
  captions?: boolean;
}

/** Dataset entries skipped as malformed that are named one by one on stderr; the rest are counted. */
const LISTED_DATASET_PROBLEMS = 10;

/** `ctgi eval`: R1/R5/R10, mAP, mINP and rSum of a model on a dataset split, optionally with a CMC plot. */
export function registerEval(program: Command, ctx: CliContext): void {
  program
    .command('eval')
    .summary('Evaluate a model on a person search dataset split (R1/R5/R10, mAP, mINP; CMC plot).')
    .description(
      'Evaluate a CLIP model on a text-based person search dataset: each caption is a query, each image of the split is in the gallery once, ' +
        'a match is an image of the same person (R1/R5/R10, mAP, mINP in percent).',
    )
    .option('--model <dir>', 'model directory (Hugging Face or immich ONNX export)')
    .option('--dataset <file>', 'CUHK-PEDES reid_raw.json, ICFG-PEDES ICFG-PEDES.json or RSTPReid data_captions.json')
    .option('--images-root <dir>', 'folder the dataset’s image paths are relative to')
    .option('--demo', 'benchmark on the synthetic demo world’s vague witness queries instead (built on first use)')
    .option('--seed <n>', 'with --demo: the world’s seed', positiveInt('--seed'), 1)
    .option('--identities <n>', 'with --demo: number of people', positiveInt('--identities'), 500)
    .option('--split <name>', 'split to evaluate', 'test')
    .option('--json', 'print one JSON object instead of the table')
    .option('--plot <file.png>', 'also draw the CMC curve (ranks 1–50) to this PNG file')
    .option('--batch-size <n>', 'images or captions per inference batch', positiveInt('--batch-size'), 16)
    .option('--rounds <n>', 'with --demo: MTI dialogue rounds per query', positiveInt('--rounds'), 2)
    .option('--mllm-latency-ms <t>', 'with --demo: simulated latency of each demo MLLM call', nonNegativeNumber('--mllm-latency-ms'), 500)
    .option('--no-mti', 'with --demo: plain retrieval only, no MTI rows')
    .option('--queries <n>', 'with --demo: evaluate an evenly spread sample of this many queries (default: all)', positiveInt('--queries'))
    .option('--lambda <x>', 'with --demo: Eq. 7 weight of the original description in MTI re-ranking', unitInterval('--lambda'), DEFAULT_LAMBDA)
    .option('--captions', 'with --demo: caption the gallery with MTG (demo MLLM, resumable) and add caption-aware retrieval rows')
    .action((flags: EvalFlags) => (flags.demo ? runDemoEval(ctx, flags) : runEval(ctx, flags)));
}

/**
 * `eval --demo`: plain retrieval on the demo world's vague queries, then MTI per dialogue round with the
 * demo MLLM served in-process over HTTP (MLLM only, and MLLM + simulated witness), with cost and timing.
 */
async function runDemoEval(ctx: CliContext, flags: EvalFlags): Promise<void> {
  if (flags.model || flags.dataset || flags.imagesRoot) {
    throw new CtgiError('BAD_INPUT', '--demo evaluates the synthetic demo world; leave out --model, --dataset and --images-root.');
  }
  const out = join(ctx.config().home, 'demo', `seed-${flags.seed}-people-${flags.identities}`);
  const build = await buildDemoWithProgress(ctx, { out, identities: flags.identities, seed: flags.seed });
  if (flags.mti) ctx.stderr.write(`MTI: ${flags.rounds} round(s) per query in two modes, demo MLLM latency ${flags.mllmLatencyMs} ms per call\n`);
  const mti = flags.mti
    ? demoMtiRunner({
        rounds: flags.rounds,
        latencyMs: flags.mllmLatencyMs,
        lambda: flags.lambda,
        onProgress: (mode, done) => ctx.stderr.write(`  ${mode}: ${done} dialogues done\n`),
      })
    : undefined;
  const result = await evaluateDemoRetrieval(build, { queries: flags.queries, mti });
  const captionRows = flags.captions ? await captionAwareRows(ctx, build, flags.queries) : undefined;
  if (flags.json) {
    writeJson(ctx.stdout, {
      seed: result.seed,
      identities: result.identities,
      queries: result.queries,
      gallery: result.gallery,
      rows: result.rows,
      ...(result.mti ? { mti: result.mti } : {}),
      ...(captionRows ? { captionAware: captionRows } : {}),
    });
    return;
  }
  const header = 'mode                round     R1     R5    R10    mAP   mINP';
  const rows = result.rows.map((r) => tableRow(r.mode, r.round, r));
  const lines = [`Demo world (synthetic data), seed ${result.seed}: ${result.queries} vague queries over ${result.gallery} images of ${result.identities} people`, header, ...rows];
  if (result.mti) {
    const m = result.mti;
    lines.push('', `MTI (λ = ${m.lambda}, MLLM latency ${m.mllmLatencyMs} ms, ${(m.wallMs / 1000).toFixed(1)} s in all):`);
    for (const s of m.modes) {
      lines.push(`  ${s.mode.padEnd(18)} ${s.mllmCallsPerDialogue.toFixed(1)} MLLM calls and ${s.witnessQuestionsPerDialogue.toFixed(1)} witness questions per dialogue, ${Math.round(s.meanRoundMs)} ms per round`);
    }
    const t = m.timing;
    lines.push(
      `  timing over ${t.sample} dialogues run one at a time: one MLLM call ${Math.round(t.oneCallMs)} ms; a round with the K checks in parallel ` +
        `${Math.round(t.parallelRoundMs)} ms (${t.roundToCall.toFixed(2)}× one call, ${t.parallelVerificationCalls.toFixed(1)} checks); ` +
        `checking them one by one ${Math.round(t.sequentialRoundMs)} ms (${t.sequentialVerificationCalls.toFixed(1)} checks), ${t.speedup.toFixed(1)}× slower`,
    );
  }
  if (captionRows) {
    lines.push('', `Caption-aware retrieval (MTG captions, weight ${captionRows.find((r) => r.mode === 'caption-aware')?.weight ?? ''}):`, header);
    for (const r of captionRows) lines.push(tableRow(r.mode, 0, r));
  }
  ctx.stdout.write([...lines, ''].join('\n'));
}

/**
 * Captions the demo gallery with MTG through the demo MLLM (resuming an earlier run's job file), then scores
 * plain and caption-aware retrieval on the same queries.
 */
async function captionAwareRows(ctx: CliContext, build: DemoBuild, queries: number | undefined): Promise<CaptionAwareRow[]> {
  // Concise initial captions, as real captioners give, so the question rounds have attributes to add.
  const server = await startDemoMllmServer({ seed: build.world.seed, captionStyle: 'concise' });
  try {
    const mllm = new OpenAiMllm({ baseUrl: server.url, model: DEMO_MLLM_MODEL, maxRetries: 0, maxConcurrency: 16 });
    let bar: ProgressBar | undefined;
    await captionDemoGallery(build, {
      jobFile: demoJobFile(build, 6, 'concise'),
      mllm,
      concurrency: 16,
      onProgress: (done, total) => {
        bar ??= new ProgressBar({ label: 'captioning demo gallery (MTG)', total, unit: items('images'), stream: ctx.stderr });
        bar.update(done);
      },
    });
    bar?.finish();
  } finally {
    await server.close();
  }
  return (await evaluateCaptionAware(build, { ...(queries ? { queries } : {}) })).rows;
}

/** One row of the demo table: mode, round and the metrics in percent. */
function tableRow(mode: string, round: number, m: { R1: number; R5: number; R10: number; mAP: number; mINP: number }): string {
  return [mode.padEnd(18), String(round).padStart(5), ...[m.R1, m.R5, m.R10, m.mAP, m.mINP].map((x) => x.toFixed(1).padStart(6))].join(' ');
}

function nonNegativeNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!value.trim() || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number of at least 0.`);
    return n;
  };
}

function unitInterval(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!value.trim() || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`${name} must be a number between 0 and 1.`);
    return n;
  };
}

async function runEval(ctx: CliContext, flags: EvalFlags): Promise<void> {
  if (!flags.model || !flags.dataset || !flags.imagesRoot) {
    throw new CtgiError('BAD_INPUT', 'ctgi eval needs --model DIR, --dataset FILE and --images-root DIR (or --demo).');
  }
  const model = flags.model;
  const datasetFile = flags.dataset;
  const config = ctx.config();
  const imagesRoot = resolve(flags.imagesRoot);
  await requireDirectory(imagesRoot, '--images-root', 'the folder the dataset’s image paths are relative to');
  if (flags.plot) await requireDirectory(dirname(resolve(flags.plot)), '--plot', 'the folder the PNG goes in');

  const dataset = await readDataset(datasetFile);
  reportDatasetProblems(ctx, dataset.skipped);
  const view = evaluationView(selectSplit(dataset, flags.split));

  const { encoder: imageEncoder } = await openImageEncoder(model, {
    batchSize: flags.batchSize,
    limits: { maxPixels: config.maxImagePixels, maxBytes: config.maxImageBytes },
  });
  try {
    const textEncoder = await openTextEncoder(model, { batchSize: flags.batchSize });
    try {
      const progress = new PhaseProgress(ctx.stderr);
      const result = await runEvaluation({ textEncoder, imageEncoder, view, imagesRoot, onProgress: (e) => progress.update(e) });
      progress.finish();
      const labels: EvaluationLabels = {
        model: imageEncoder.modelId,
        dataset: datasetFile,
        datasetName: FORMAT_LAYOUTS[dataset.format].title,
        split: flags.split,
      };
      if (flags.plot) {
        // vega is loaded only when a chart is asked for: it would add ~0.1 s to every other command's start.
        const { writeCmcChartPng } = await import('../../eval/cmc-chart.js');
        const m = result.metrics;
        await writeCmcChartPng(
          { cmc: m.cmc, model: labels.model, dataset: labels.datasetName, split: labels.split, queries: result.queries, gallery: result.gallery, mAP: m.mAP, mINP: m.mINP },
          flags.plot,
        );
      }
      if (flags.json) {
        writeJson(ctx.stdout, evaluationJson(result, labels));
      } else {
        ctx.stdout.write(formatEvaluationTable(result, labels));
        if (flags.plot) ctx.stdout.write(`\nCMC curve written to ${flags.plot}\n`);
      }
    } finally {
      await textEncoder.close();
    }
  } finally {
    await imageEncoder.close();
  }
}

/** @throws CtgiError NOT_FOUND or BAD_INPUT naming the option when `dir` is not a directory. */
async function requireDirectory(dir: string, option: string, what: string): Promise<void> {
  const stats = await stat(dir).catch(() => undefined);
  if (stats === undefined) throw new CtgiError('NOT_FOUND', `${option}: ${dir} does not exist; give ${what}.`);
  if (!stats.isDirectory()) throw new CtgiError('BAD_INPUT', `${option}: ${dir} is not a directory; give ${what}.`);
}

function reportDatasetProblems(ctx: CliContext, skipped: Array<{ index: number; reason: string }>): void {
  if (skipped.length === 0) return;
  ctx.stderr.write(`Skipped ${skipped.length} malformed dataset entr${skipped.length === 1 ? 'y' : 'ies'}:\n`);
  for (const s of skipped.slice(0, LISTED_DATASET_PROBLEMS)) ctx.stderr.write(`  entry ${s.index}: ${s.reason}\n`);
  if (skipped.length > LISTED_DATASET_PROBLEMS) ctx.stderr.write(`  … and ${skipped.length - LISTED_DATASET_PROBLEMS} more\n`);
}

/** One progress bar per phase of the run (images, then captions), on stderr. */
class PhaseProgress {
  #bar: ProgressBar | undefined;
  #phase: EvaluationProgress['phase'] | undefined;

  constructor(private readonly stream: NodeJS.WritableStream) {}

  update(event: EvaluationProgress): void {
    if (event.phase !== this.#phase) {
      this.#bar?.finish();
      this.#phase = event.phase;
      this.#bar = undefined;
      if (event.phase === 'ranking') {
        this.stream.write('ranking: scoring every caption against every gallery image\n');
        return;
      }
      const label = event.phase === 'images' ? 'embedding gallery' : 'embedding captions';
      this.#bar = new ProgressBar({ label, total: event.total, unit: items(event.phase), stream: this.stream });
    }
    this.#bar?.update(event.done);
  }

  finish(): void {
    this.#bar?.finish();
    this.#bar = undefined;
  }
}
