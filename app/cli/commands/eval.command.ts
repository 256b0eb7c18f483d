import { InvalidArgumentError, type Command } from 'commander';
import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { FORMAT_LAYOUTS } from '../../../src/datasets/dataset-formats.js';
import { readDataset, selectSplit } from '../../../src/datasets/dataset-io.js';
import { evaluationView } from '../../../src/datasets/dataset-split.js';
import { CtgiError } from '../../../src/errors/ctgi-error.js';
import { evaluationJson, formatEvaluationTable, type EvaluationLabels } from '../../../src/eval/eval-report.js';
import { runEvaluation, type EvaluationProgress } from '../../../src/eval/run-evaluation.js';
import { evalIndexDir, evaluateMtiOnDataset, type MtiDatasetEvalResult, type QueryStyle } from '../../../agent/eval/mti-dataset-eval.js';
import type { DemoBuild } from '../../../src/demo/demo-build.js';
import { DEMO_MLLM_MODEL, startDemoMllmServer } from '../../../src/demo/demo-mllm-server.js';
import { DATASET_FILE, QUERIES_FILE } from '../../../src/demo/world-files.js';
import type { Mllm } from '../../../src/mllm/mllm.js';
import { openLlmClients } from '../../../src/mllm/open-clients.js';
import { OpenAiMllm } from '../../../src/mllm/openai-chat.js';
import { evaluateCaptionAware, type CaptionAwareRow } from '../../../src/demo/caption-aware.js';
import { captionDemoGallery, demoJobFile } from '../../../src/demo/caption-demo.js';
import { openImageEncoder, openTextEncoder } from '../../../src/models/open-encoders.js';
import type { CliContext } from '../cli-context.js';
import { writeJson } from '../io.js';
import { items, ProgressBar } from '../progress.js';
import { buildDemoWithProgress } from './demo.command.js';
import { nonNegativeNumber, positiveInt, unitInterval } from '../options.js';
import { DATABASE_FLAG, DATABASE_HELP, galleryRefOf } from '../gallery-option.js';
import { DEFAULT_LAMBDA } from '../../../agent/round/round-options.js';

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
  mti?: boolean;
  queries?: number;
  lambda: number;
  captions?: boolean;
  queriesFile?: string;
  queryStyle: QueryStyle;
  witness: 'none' | 'simulated';
  witnessLlmUrl?: string;
  witnessLlmModel?: string;
  mllmUrl?: string;
  mllmModel?: string;
  index?: string;
  database?: string;
  dialogues: number;
  baseline?: string;
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
    .option('--baseline <dir>', 'also evaluate this model (e.g. the base of a `ctgi train` output) and print its rows first')
    .option('--plot <file.png>', 'also draw the CMC curve (ranks 1–50) to this PNG file')
    .option('--batch-size <n>', 'images or captions per inference batch', positiveInt('--batch-size'), 16)
    .option('--mti', 'also run the MTI dialogue per query (the product’s dialogue graph; on by default with --demo)')
    .option('--no-mti', 'with --demo: plain retrieval only, no MTI rows')
    .option('--rounds <n>', 'MTI dialogue rounds per query', positiveInt('--rounds'), 2)
    .option('--queries <n>', 'evaluate an evenly spread sample of this many queries (default: all)', positiveInt('--queries'))
    .option('--lambda <x>', 'Eq. 7 weight of the original description in MTI re-ranking', unitInterval('--lambda'), DEFAULT_LAMBDA)
    .option('--queries-file <file>', 'with --mti: queries as JSON [{"identity", "text"}] (default: every caption of the split)')
    .option('--query-style <style>', 'with --mti and no queries file: caption | first-sentence', queryStyle, 'caption')
    .option('--witness <mode>', 'with --mti: none | simulated (answers only from the target’s captions)', witnessMode, 'simulated')
    .option('--witness-llm-url <url>', 'with --mti: an OpenAI-compatible LLM the simulated witness answers through (told to use the captions alone)')
    .option('--witness-llm-model <name>', 'with --witness-llm-url: its model name')
    .option('--mllm-url <url>', 'with --mti: OpenAI-compatible MLLM base URL (default: CTGI_MLLM_BASE_URL)')
    .option('--mllm-model <name>', 'with --mllm-url: its model name')
    .option('--index <dir>', 'with --mti: the gallery index of the split (built there when missing; default: a cache under CTGI_HOME; with a database: its name)')
    .option(DATABASE_FLAG, `with --mti and --index: ${DATABASE_HELP}`)
    .option('--dialogues <n>', 'with --mti: dialogues run at once (1 makes a run exactly repeatable)', positiveInt('--dialogues'), 32)
    .option('--mllm-latency-ms <t>', 'with --demo: simulated latency of each demo MLLM call', nonNegativeNumber('--mllm-latency-ms'), 500)
    .option('--captions', 'with --demo: caption the gallery with MTG (demo MLLM, resumable) and add caption-aware retrieval rows')
    .action((flags: EvalFlags) => (flags.demo ? runDemoEval(ctx, flags) : flags.mti ? runMtiEval(ctx, flags) : runEval(ctx, flags)));
}

/**
 * `eval --demo`: the synthetic world's vague witness queries through the same runner as `eval --mti` (the
 * world's dataset file, queries file and index), with the demo MLLM served in-process over HTTP.
 */
async function runDemoEval(ctx: CliContext, flags: EvalFlags): Promise<void> {
  if (flags.model || flags.dataset || flags.imagesRoot) {
    throw new CtgiError('BAD_INPUT', '--demo evaluates the synthetic demo world; leave out --model, --dataset and --images-root.');
  }
  const out = join(ctx.config().home, 'demo', `seed-${flags.seed}-people-${flags.identities}`);
  const build = await buildDemoWithProgress(ctx, { out, identities: flags.identities, seed: flags.seed });
  const mti = flags.mti ?? true;
  const server = mti ? await startDemoMllmServer({ latencyMs: flags.mllmLatencyMs, seed: build.world.seed }) : undefined;
  try {
    // A local server with no batch limit: every dialogue's K checks go out at once, as to a vLLM server.
    const mllm = server ? new OpenAiMllm({ baseUrl: server.url, model: DEMO_MLLM_MODEL, maxRetries: 0, maxConcurrency: 256 }) : undefined;
    if (mti) ctx.stderr.write(`MTI: ${flags.rounds} round(s) per query in two modes through the dialogue graph, demo MLLM latency ${flags.mllmLatencyMs} ms per call\n`);
    const result = await evaluateMtiOnDataset({
      modelDir: build.modelDir,
      datasetFile: join(build.out, DATASET_FILE),
      imagesRoot: build.out,
      split: 'test',
      queriesFile: join(build.out, QUERIES_FILE),
      ...(flags.queries ? { queries: flags.queries } : {}),
      indexDir: build.indexDir,
      witness: mti ? 'simulated' : 'none',
      ...(mllm ? { mllm } : {}),
      rounds: flags.rounds,
      options: { lambda: flags.lambda },
      concurrency: flags.dialogues,
      onProgress: progressTo(ctx),
    });
    const captionRows = flags.captions ? await captionAwareRows(ctx, build, flags.queries) : undefined;
    const title = `Demo world (synthetic data), seed ${build.world.seed}: ${result.queries} vague queries over ${result.gallery} images of ${build.world.identities.length} people`;
    if (flags.json) {
      writeJson(ctx.stdout, { seed: build.world.seed, identities: build.world.identities.length, ...mtiJson(result), ...(captionRows ? { captionAware: captionRows } : {}) });
      return;
    }
    const lines = mtiTable(title, result, flags.lambda, flags.mllmLatencyMs);
    if (captionRows) {
      lines.push('', `Caption-aware retrieval (MTG captions, weight ${captionRows.find((r) => r.mode === 'caption-aware')?.weight ?? ''}):`, TABLE_HEADER);
      for (const r of captionRows) lines.push(tableRow(r.mode, 0, r));
    }
    ctx.stdout.write([...lines, ''].join('\n'));
  } finally {
    await server?.close();
  }
}

/** `eval --mti`: plain retrieval and MTI per dialogue round on any dataset with any model and MLLM. */
async function runMtiEval(ctx: CliContext, flags: EvalFlags): Promise<void> {
  if (!flags.model || !flags.dataset || !flags.imagesRoot) {
    throw new CtgiError('BAD_INPUT', 'ctgi eval --mti needs --model DIR, --dataset FILE and --images-root DIR (or use --demo).');
  }
  const config = ctx.config();
  const imagesRoot = resolve(flags.imagesRoot);
  await requireDirectory(imagesRoot, '--images-root', 'the folder the dataset’s image paths are relative to');
  const llm = (url: string | undefined, model: string | undefined, option: string): OpenAiMllm | undefined => {
    if (!url) return undefined;
    if (!model) throw new CtgiError('BAD_INPUT', `${option}-url needs ${option}-model too (the model name the server serves).`);
    return new OpenAiMllm({ baseUrl: url, model, maxRetries: 2, maxConcurrency: config.mllmConcurrency });
  };
  const configured = openLlmClients(config);
  const mllm: Mllm | undefined = llm(flags.mllmUrl, flags.mllmModel, '--mllm') ?? configured.mllm;
  const reconstructor: Mllm | undefined = flags.mllmUrl ? mllm : (configured.reconstructor ?? mllm);
  const witnessLlm = llm(flags.witnessLlmUrl, flags.witnessLlmModel, '--witness-llm');
  if (witnessLlm && flags.witness !== 'simulated') throw new CtgiError('BAD_INPUT', '--witness-llm-url answers for the simulated witness; leave it out with --witness none.');
  if (!mllm && flags.witness === 'none') throw new CtgiError('BAD_INPUT', 'With no MLLM (--mllm-url or CTGI_MLLM_BASE_URL) and --witness none there is no dialogue to run; drop --mti or configure one.');
  const result = await evaluateMtiOnDataset({
    modelDir: flags.model,
    datasetFile: flags.dataset,
    imagesRoot,
    split: flags.split,
    ...(flags.queriesFile ? { queriesFile: flags.queriesFile } : {}),
    queryStyle: flags.queryStyle,
    ...(flags.queries ? { queries: flags.queries } : {}),
    indexDir: flags.index ? galleryRefOf(ctx, { ...flags, index: flags.index }) : evalIndexDir(config.home, flags.dataset, flags.split, flags.model),
    witness: flags.witness,
    ...(witnessLlm ? { witnessLlm } : {}),
    ...(mllm ? { mllm } : {}),
    ...(reconstructor ? { reconstructor } : {}),
    rounds: flags.rounds,
    options: { lambda: flags.lambda },
    batchSize: flags.batchSize,
    limits: { maxPixels: config.maxImagePixels, maxBytes: config.maxImageBytes },
    concurrency: flags.dialogues,
    onProgress: progressTo(ctx),
  });
  reportDatasetProblems(ctx, result.skippedEntries);
  if (flags.json) return writeJson(ctx.stdout, mtiJson(result));
  const title = `${flags.dataset} (${flags.split}): ${result.queries} queries over ${result.gallery} images${result.excluded > 0 ? `; ${result.excluded} queries left out (their person has no image in the split)` : ''}`;
  ctx.stdout.write([...mtiTable(title, result, flags.lambda), ''].join('\n'));
}

const TABLE_HEADER = 'mode                round     R1     R5    R10    mAP   mINP';

function mtiJson(result: MtiDatasetEvalResult) {
  return { queries: result.queries, gallery: result.gallery, excluded: result.excluded, rows: result.rows, mti: { modes: result.modes, wallMs: result.wallMs }, notices: result.notices };
}

function mtiTable(title: string, result: MtiDatasetEvalResult, lambda: number, latencyMs?: number): string[] {
  const lines = [title, TABLE_HEADER, ...result.rows.map((r) => tableRow(r.mode, r.round, r))];
  if (result.modes.length > 0) {
    lines.push('', `MTI through the dialogue graph (λ = ${lambda}${latencyMs !== undefined ? `, MLLM latency ${latencyMs} ms` : ''}, ${(result.wallMs / 1000).toFixed(1)} s in all):`);
    for (const m of result.modes) {
      const rounds = m.perRound.map((r) => `round ${r.round}: ${r.mllmCalls.toFixed(1)} calls, ${r.witnessQuestions.toFixed(1)} questions, ${Math.round(r.meanMs)} ms`).join('; ');
      lines.push(`  ${m.mode.padEnd(18)} ${m.mllmCallsPerDialogue.toFixed(1)} MLLM calls and ${m.witnessQuestionsPerDialogue.toFixed(1)} witness questions per dialogue, ${m.earlyStops} early stops (${rounds})`);
    }
  }
  for (const n of result.notices) lines.push(`Notice: ${n}`);
  return lines;
}

/** Progress on stderr: a bar for indexing and one per MTI mode. */
function progressTo(ctx: CliContext): (phase: string, done: number, total: number) => void {
  const bars = new PhaseProgress(ctx.stderr);
  return (phase, done, total) =>
    phase === 'index' ? bars.step(phase, 'indexing the split', 'images', done, total) : bars.step(phase, `${phase} dialogues`, 'dialogues', done, total);
}

function queryStyle(value: string): QueryStyle {
  if (value !== 'caption' && value !== 'first-sentence') throw new InvalidArgumentError('--query-style must be caption or first-sentence.');
  return value;
}

function witnessMode(value: string): 'none' | 'simulated' {
  if (value !== 'none' && value !== 'simulated') throw new InvalidArgumentError('--witness must be none or simulated.');
  return value;
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

  const progress = new PhaseProgress(ctx.stderr);
  const evaluate = async (modelDir: string) => {
    const { encoder: imageEncoder } = await openImageEncoder(modelDir, { batchSize: flags.batchSize, limits: { maxPixels: config.maxImagePixels, maxBytes: config.maxImageBytes } });
    try {
      const textEncoder = await openTextEncoder(modelDir, { batchSize: flags.batchSize });
      try {
        const result = await runEvaluation({ textEncoder, imageEncoder, view, imagesRoot, onProgress: (e) => progress.update(e) });
        progress.finish();
        const labels: EvaluationLabels = { model: imageEncoder.modelId, dataset: datasetFile, datasetName: FORMAT_LAYOUTS[dataset.format].title, split: flags.split };
        return { result, labels };
      } finally {
        await textEncoder.close();
      }
    } finally {
      await imageEncoder.close();
    }
  };
  // With --baseline, the base model first, so the adapted one's rows print beside its reference.
  const baseline = flags.baseline ? await evaluate(flags.baseline) : undefined;
  const { result, labels } = await evaluate(model);
  if (flags.plot) {
    // vega is loaded only when a chart is asked for: it would add ~0.1 s to every other command's start.
    const { writeCmcChartPng } = await import('../../../src/eval/cmc-chart.js');
    const m = result.metrics;
    await writeCmcChartPng(
      { cmc: m.cmc, model: labels.model, dataset: labels.datasetName, split: labels.split, queries: result.queries, gallery: result.gallery, mAP: m.mAP, mINP: m.mINP },
      flags.plot,
    );
  }
  if (flags.json) {
    writeJson(ctx.stdout, { ...evaluationJson(result, labels), ...(baseline ? { baseline: evaluationJson(baseline.result, baseline.labels) } : {}) });
    return;
  }
  if (baseline) ctx.stdout.write(`Baseline (${flags.baseline}):\n${formatEvaluationTable(baseline.result, baseline.labels)}\n${model}:\n`);
  ctx.stdout.write(formatEvaluationTable(result, labels));
  if (flags.plot) ctx.stdout.write(`\nCMC curve written to ${flags.plot}\n`);
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

/** One progress bar per phase of a run, on stderr: a new bar when the phase changes, closed when it completes. */
class PhaseProgress {
  #bar: ProgressBar | undefined;
  #phase: string | undefined;

  constructor(private readonly stream: NodeJS.WritableStream) {}

  /** The evaluation's phases: embedding the gallery, then the captions, then ranking. */
  update(event: EvaluationProgress): void {
    if (event.phase === 'ranking') {
      if (this.#phase !== 'ranking') {
        this.finish();
        this.#phase = 'ranking';
        this.stream.write('ranking: scoring every caption against every gallery image\n');
      }
      return;
    }
    this.step(event.phase, event.phase === 'images' ? 'embedding gallery' : 'embedding captions', event.phase, event.done, event.total);
  }

  /** Progress of `phase`, shown as `label` counting `unit`. */
  step(phase: string, label: string, unit: string, done: number, total: number): void {
    if (phase !== this.#phase) {
      this.finish();
      this.#phase = phase;
      this.#bar = new ProgressBar({ label, total, unit: items(unit), stream: this.stream });
    }
    this.#bar?.update(done);
    if (done === total) this.finish();
  }

  finish(): void {
    this.#bar?.finish();
    this.#bar = undefined;
    this.#phase = undefined;
  }
}
