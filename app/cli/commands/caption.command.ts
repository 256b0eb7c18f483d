import { InvalidArgumentError, type Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DEFAULT_MLLM_MAX_RETRIES, DEFAULT_MLLM_TIMEOUT_MS, DEFAULT_TEMPERATURE, type Config, type LlmEndpointConfig } from '../../../src/config/config.js';
import { datasetToJson } from '../../../src/datasets/dataset-io.js';
import { CtgiError } from '../../../src/errors/ctgi-error.js';
import type { Gallery } from '../../../src/gallery/gallery.js';
import { openGallery } from '../../../src/gallery/open-gallery.js';
import type { MllmCallSink } from '../../../src/mllm/call-log.js';
import type { Mllm } from '../../../src/mllm/mllm.js';
import { openLlmClients } from '../../../src/mllm/open-clients.js';
import { CallMeter } from '../../../src/mtg/call-meter.js';
import { captionedEntries, inputFromDataset, inputFromFolder, type CaptionInput } from '../../../src/mtg/caption-inputs.js';
import { runCaptionJob, type CaptionJobReport } from '../../../src/mtg/caption-job.js';
import { GalleryCaptionWriter, outputPaths, TurnLog } from '../../../src/mtg/caption-outputs.js';
import { formatSummary, summariseCaptions, WORD_COUNTER, type TokenCounter } from '../../../src/mtg/caption-summary.js';
import { CaptionJobStore } from '../../../src/mtg/job-store.js';
import { DEFAULT_MTG_PROMPTS, loadMtgPrompts } from '../../../src/mtg/mtg-prompts.js';
import { buildQuestionPool } from '../../../src/mtg/question-pool.js';
import { PacedMllm, RequestPacer } from '../../../src/mtg/request-pacer.js';
import { findTokenizerFiles, loadTokenizer, loadTokenizerFromPath } from '../../../src/text/vocab-loader.js';
import { writeFileAtomic } from '../../../src/util/atomic-write.js';
import type { CliContext } from '../cli-context.js';
import { writeJson } from '../io.js';
import { items as itemUnit, ProgressBar } from '../progress.js';
import { positiveInt } from '../options.js';
import { DATABASE_FLAG, DATABASE_HELP, galleryRefOf } from '../gallery-option.js';
import { abortOnInterrupt, INTERRUPTED_EXIT_CODE } from '../runtime.js';

interface CaptionFlags {
  images?: string;
  dataset?: string;
  imagesRoot?: string;
  out: string;
  rounds: number;
  index?: string;
  database?: string;
  concurrency?: number;
  prompts?: string;
  mllmUrl?: string;
  mllmModel?: string;
  reconstructorUrl?: string;
  reconstructorModel?: string;
  rpm?: number;
  vocab?: string;
  model?: string;
  log?: string;
  jobs?: string;
  json?: boolean;
}

const rounds = (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 50) throw new InvalidArgumentError('--rounds must be a whole number from 0 to 50.');
  return n;
};

/** `ctgi caption`: MTG pseudo-captions for a folder of images or a dataset (DESIGN.md flow 4). */
export function registerCaption(program: Command, ctx: CliContext): void {
  program
    .command('caption')
    .description('Write multi-turn (MTG) captions for person images: dataset file, JSONL turn log and summary; re-runs resume.')
    .option('--images <dir>', 'folder of images, searched recursively (output in CUHK-PEDES style)')
    .option('--dataset <file>', 'CUHK-PEDES / ICFG-PEDES / RSTPReid file whose images to caption (output in the same format)')
    .option('--images-root <dir>', 'folder the dataset’s image paths are relative to (default: the dataset file’s folder)')
    .requiredOption('--out <file>', 'dataset file to write; OUT.turns.jsonl, OUT.summary.json and OUT.jobs.sqlite go beside it')
    .option('--rounds <n>', 'question rounds per image', rounds, 6)
    .option('--index <dir>', 'gallery index to store the captions and per-attribute answers in (with a database: its name)')
    .option(DATABASE_FLAG, DATABASE_HELP)
    .option('--concurrency <n>', 'images in flight at once (default: CTGI_MLLM_CONCURRENCY)', positiveInt('--concurrency'))
    .option('--prompts <file>', 'JSON file replacing the default prompts or question pool')
    .option('--mllm-url <url>', 'OpenAI-compatible base URL of the MLLM (overrides CTGI_MLLM_BASE_URL)')
    .option('--mllm-model <name>', 'MLLM model name (overrides CTGI_MLLM_MODEL)')
    .option('--reconstructor-url <url>', 'base URL of the Reconstructor LLM (default: the MLLM’s)')
    .option('--reconstructor-model <name>', 'Reconstructor model name (default: the MLLM’s)')
    .option('--rpm <n>', 'at most this many requests per minute, over both models', positiveInt('--rpm'))
    .option('--vocab <file>', 'CLIP vocabulary for the token counts of the summary (e.g. bpe_simple_vocab_16e6.txt.gz)')
    .option('--model <dir>', 'CLIP model directory whose tokenizer counts the summary’s tokens')
    .option('--log <file>', 'turn log path (default: OUT.turns.jsonl)')
    .option('--jobs <file>', 'job table path (default: OUT.jobs.sqlite)')
    .option('--json', 'print the summary as JSON')
    .action((flags: CaptionFlags) => runCaption(ctx, flags));
}

async function runCaption(ctx: CliContext, flags: CaptionFlags): Promise<void> {
  if (Boolean(flags.images) === Boolean(flags.dataset)) throw new CtgiError('BAD_INPUT', 'Give exactly one of --images DIR or --dataset FILE.');
  if (flags.imagesRoot && !flags.dataset) throw new CtgiError('BAD_INPUT', '--images-root goes with --dataset; with --images the folder is the root.');
  if (flags.vocab && flags.model) throw new CtgiError('BAD_INPUT', 'Give at most one of --vocab FILE or --model DIR for the token counts.');
  const config = ctx.config();
  const input: CaptionInput = flags.dataset
    ? await inputFromDataset(flags.dataset, flags.imagesRoot ?? dirname(resolve(flags.dataset)))
    : await inputFromFolder(flags.images!);
  const prompts = flags.prompts ? await loadMtgPrompts(flags.prompts) : DEFAULT_MTG_PROMPTS;
  const concurrency = flags.concurrency ?? config.mllmConcurrency;
  const meter = new CallMeter();
  const pipelineModels = openModels(config, flags, concurrency, meter.record);
  const tokens = await tokenCounter(flags);
  const paths = outputPaths(flags.out, { log: flags.log, jobs: flags.jobs });
  for (const note of input.notes) ctx.stderr.write(`${note}\n`);

  await mkdir(dirname(paths.jobs), { recursive: true });
  await mkdir(dirname(paths.dataset), { recursive: true });
  const store = CaptionJobStore.open(paths.jobs, JSON.stringify({ rounds: flags.rounds, prompts: prompts.signature }));
  let gallery: Gallery | undefined;
  let interrupt: ReturnType<typeof abortOnInterrupt> | undefined;
  let report: CaptionJobReport;
  try {
    gallery = flags.index ? await openGallery(galleryRefOf(ctx, { ...flags, index: flags.index })) : undefined;
    const writer = gallery ? new GalleryCaptionWriter(gallery) : undefined;
    const log = await TurnLog.open(paths.log, store.records());
    const already = store.doneKeys();
    const initial = input.items.filter((i) => already.has(i.key)).length;
    const bar = new ProgressBar({ label: 'captioning', total: input.items.length, unit: itemUnit('images'), stream: ctx.stderr, initial });
    interrupt = abortOnInterrupt(ctx.stderr, 'Stopping: finishing the images in flight (press Ctrl-C again to quit at once; finished images are kept either way).');
    report = await runCaptionJob({
      items: input.items,
      store,
      pipeline: { ...pipelineModels, prompts, pool: buildQuestionPool(prompts), rounds: flags.rounds, meter },
      concurrency,
      limits: { maxPixels: config.maxImagePixels, maxBytes: config.maxImageBytes },
      signal: interrupt.signal,
      beforeCommit: ({ item, result }) => writer?.write(item, result.caption, result.answers),
      afterCommit: ({ item, result }) => (result.ok ? log.append(item.key, 'done', result.turns, null) : log.append(item.key, 'failed', result.turns, result.reason)),
      onSkip: (item, reason) => bar.log(`skipped ${item.key}: ${reason}`),
      onProgress: (done) => bar.update(done),
    });
    bar.finish();
    if (writer && writer.missing.length > 0) {
      ctx.stderr.write(`${writer.missing.length} captioned image(s) are not in the index ${gallery!.location}, so their captions are only in the output file (first: ${writer.missing[0]}).\n`);
    }
  } finally {
    interrupt?.dispose();
    await gallery?.close({ save: false });
  }

  try {
    const records = store.records();
    if (report.interrupted) {
      const done = records.filter((r) => r.status === 'done').length;
      ctx.stderr.write(`Interrupted: ${done} of ${input.items.length} images are captioned and kept in ${paths.jobs}; run the same command again to resume.\n`);
      ctx.exitCode = INTERRUPTED_EXIT_CODE;
      return;
    }
    const captions = new Map(records.filter((r) => r.status === 'done').map((r) => [r.key, r.caption ?? '']));
    const entries = captionedEntries(input.entries, captions);
    if (entries.length === 0) {
      const first = report.failed[0];
      throw new CtgiError('UPSTREAM_FAILED', `None of the ${input.items.length} images could be captioned${first ? ` (first: ${first.key}: ${first.reason})` : ''}; every reason is in ${paths.log}.`);
    }
    await writeFileAtomic(paths.dataset, datasetToJson({ format: input.format, entries }));
    const summary = {
      ...summariseCaptions(records, input.items.length, tokens),
      output: paths.dataset,
      format: input.format,
      log: paths.log,
      thisRun: { captioned: report.captioned, failed: report.failed.length, alreadyDone: report.alreadyDone, elapsedMs: report.elapsedMs },
    };
    await writeFileAtomic(paths.summary, `${JSON.stringify(summary, null, 1)}\n`);
    if (flags.json) writeJson(ctx.stdout, summary);
    else ctx.stdout.write(`Wrote ${entries.length} entries to ${paths.dataset} (${input.format}); turn log ${paths.log}.\n${formatSummary(summary)}`);
  } finally {
    store.close();
  }
}

/**
 * The MLLM and the Reconstructor (openLlmClients): the flags win over configuration, the Reconstructor
 * falls back to the MLLM's endpoint, and each client may have every image of the run in flight. Both
 * share one pacer when --rpm is given.
 * @throws CtgiError CONFIG_INVALID when no MLLM is configured.
 */
function openModels(config: Config, flags: CaptionFlags, concurrency: number, onCall: MllmCallSink): { mllm: Mllm; reconstructor: Mllm } {
  if (Boolean(flags.mllmUrl) !== Boolean(flags.mllmModel)) throw new CtgiError('BAD_INPUT', 'Give --mllm-url and --mllm-model together.');
  const mllm: LlmEndpointConfig | undefined = flags.mllmUrl
    ? { ...(config.mllm ?? endpointDefaults()), baseUrl: flags.mllmUrl, model: flags.mllmModel! }
    : config.mllm;
  if (!mllm) {
    throw new CtgiError('CONFIG_INVALID', 'ctgi caption needs an MLLM: set CTGI_MLLM_BASE_URL and CTGI_MLLM_MODEL, or pass --mllm-url URL --mllm-model NAME (e.g. `ctgi demo mllm` serves one).');
  }
  const base = (flags.mllmUrl ? undefined : config.reconstructor) ?? mllm;
  const reconstructor = { ...base, baseUrl: flags.reconstructorUrl ?? base.baseUrl, model: flags.reconstructorModel ?? base.model };
  const clients = openLlmClients({ ...config, mllm, reconstructor, mllmConcurrency: Math.max(config.mllmConcurrency, concurrency) }, { onCall });
  const pacer = flags.rpm ? new RequestPacer(flags.rpm) : undefined;
  const wrap = (m: Mllm) => (pacer ? new PacedMllm(m, pacer) : m);
  return { mllm: wrap(clients.mllm!), reconstructor: wrap(clients.reconstructor ?? clients.mllm!) };
}

function endpointDefaults(): LlmEndpointConfig {
  return { baseUrl: '', model: '', apiKey: undefined, temperature: DEFAULT_TEMPERATURE, timeoutMs: DEFAULT_MLLM_TIMEOUT_MS, maxRetries: DEFAULT_MLLM_MAX_RETRIES };
}

/** The summary's token counter: the CLIP BPE of --vocab or --model, else words + 2 (said so in the summary). */
async function tokenCounter(flags: CaptionFlags): Promise<TokenCounter> {
  const source = flags.vocab ?? flags.model;
  if (!source) return WORD_COUNTER;
  const tokenizer = flags.vocab ? await loadTokenizerFromPath(flags.vocab) : await loadTokenizer(await findTokenizerFiles(flags.model!));
  return { name: `CLIP BPE (${source})`, count: (text) => tokenizer.encodeRaw(text).length + 2 };
}
