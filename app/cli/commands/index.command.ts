import { Command, InvalidArgumentError } from 'commander';
import { dirname, isAbsolute, resolve } from 'node:path';
import { readDataset, selectSplit } from '../../../src/datasets/dataset-io.js';
import { CtgiError } from '../../../src/errors/ctgi-error.js';
import type { Gallery } from '../../../src/gallery/gallery.js';
import { DEFAULT_HNSW } from '../../../src/gallery/folder.gallery.js';
import { openGallery, readGalleryManifest } from '../../../src/gallery/open-gallery.js';
import { scanImageDir, storedPathFor } from '../../../src/gallery/image-scan.js';
import type { IngestItem, IngestReport } from '../../../src/gallery/ingest.js';
import { indexImages } from '../../../src/gallery/index-service.js';
import { cameraMatcher, itemsFromDataset, itemsFromFiles, readImageFacts } from '../../../src/gallery/ingest-items.js';
import { indexFootage } from '../../../src/footage/footage-index.js';
import type { CliContext } from '../cli-context.js';
import { writeJson } from '../io.js';
import { registerIndexCameras } from './index-cameras.command.js';
import { items as itemUnit, ProgressBar } from '../progress.js';
import { positiveInt } from '../options.js';
import { registerIndexMigrate } from './index-migrate.command.js';
import { DATABASE_FLAG, DATABASE_HELP, galleryRefOf, INDEX_HELP } from '../gallery-option.js';

interface IngestFlags {
  index: string;
  database?: string;
  halfvec?: boolean;
  lease: number;
  model?: string;
  images?: string;
  dataset?: string;
  imagesRoot?: string;
  split?: string;
  cameraPattern?: string;
  metadata?: string;
  followLinksOutside?: boolean;
  batchSize: number;
  saveEvery: number;
  m: number;
  efConstruction: number;
  ef: number;
  json?: boolean;
  video?: string;
  frames?: string;
  camera?: string;
  start?: string;
  fps?: number;
  detector?: string;
  confidence?: number;
}

const nonNegative = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number of seconds ≥ 0.');
  return n;
};

/** `ctgi index build|add|remove|info`. */
export function registerIndex(program: Command, ctx: CliContext): void {
  const index = program.command('index').description('Build and maintain gallery indexes (CLIP vectors in HNSW + metadata in SQLite).');

  const withIngestOptions = (cmd: Command) =>
    cmd
      .option('--images <dir>', 'folder of images, searched recursively (jpg, png, webp)')
      .option('--dataset <file>', 'CUHK-PEDES / ICFG-PEDES / RSTPReid dataset JSON')
      .option('--images-root <dir>', 'folder the dataset’s image paths are relative to (default: the dataset file’s folder)')
      .option('--split <name>', 'only this split of the dataset (default: all)')
      .option('--camera-pattern <regex>', 'camera id from the indexed path: first capture group, e.g. "^([^/]+)/"')
      .option('--metadata <file>', 'JSON array of {path, camera?, capturedAt?, personId?}')
      .option('--follow-links-outside', 'with --images: also index symbolic links to files outside the folder (skipped by default)')
      .option('--batch-size <n>', 'images per inference batch', positiveInt('--batch-size'), 16)
      .option('--save-every <seconds>', 'checkpoint the HNSW graph this often', nonNegative, 30)
      .option('--m <n>', 'HNSW M (new indexes only)', positiveInt('--m'), DEFAULT_HNSW.M)
      .option('--ef-construction <n>', 'HNSW efConstruction (new indexes only)', positiveInt('--ef-construction'), DEFAULT_HNSW.efConstruction)
      .option('--ef <n>', 'HNSW ef at query time (new indexes only)', positiveInt('--ef'), DEFAULT_HNSW.ef)
      .option('--lease <seconds>', 'with a database: seconds a claimed batch stays this worker\'s without a renewal; a killed worker\'s images return to the queue after it', positiveNumber('--lease'), 60)
      .option('--json', 'print the report as JSON')
      .option(DATABASE_FLAG, DATABASE_HELP);

  withIngestOptions(
    index
      .command('build')
      .description('Create an index, or add what is new to it (re-runs resume where a previous run stopped).')
      .requiredOption('--model <dir>', 'CLIP model directory')
      .requiredOption('--index <dir>', INDEX_HELP)
      .option('--video <file|dir>', 'footage: a video file or a folder of videos (decoded with ffmpeg); person crops are indexed')
      .option('--frames <dir>', 'footage: a folder of frame images, in name order')
      .option('--camera <name>', 'footage: the camera the footage comes from')
      .option('--start <iso>', 'footage: date and time of the first frame (default: from the file names)')
      .option('--fps <n>', 'footage: frames per second to sample (and the rate of --frames without times in their names)', positiveNumber('--fps'), 2)
      .option('--detector <path>', 'footage: Ultralytics ONNX person detector (file, or folder with model.onnx)')
      .option('--confidence <p>', 'footage: minimum detection score', positiveNumber('--confidence'), 0.35)
      .option('--halfvec', 'with a database: store a new gallery’s embeddings as 16-bit halfvec (half the space)'),
  ).action((flags: IngestFlags) => (flags.video || flags.frames ? runFootage(ctx, flags) : runIngest(ctx, flags, true)));

  withIngestOptions(
    index
      .command('add')
      .description('Add image files or folders to an existing index.')
      .requiredOption('--index <dir>', INDEX_HELP)
      .option('--model <dir>', 'CLIP model directory (default: the one the index was built with)')
      .argument('[files...]', 'image files to add'),
  ).action((files: string[], flags: IngestFlags) => runIngest(ctx, flags, false, files));

  index
    .command('remove')
    .description('Remove images from an index by their indexed path (or file path).')
    .requiredOption('--index <dir>', INDEX_HELP)
    .option(DATABASE_FLAG, DATABASE_HELP)
    .argument('<paths...>', 'paths as indexed (see `ctgi search`), or files under the images root')
    .action(async (paths: string[], flags: { index: string; database?: string }) => {
      const gallery = await openGallery(galleryRefOf(ctx, flags));
      try {
        const root = gallery.manifest.imagesRoot;
        const stored = paths.map((p) => (isAbsolute(p) ? storedPathFor(p, root) : p));
        const { removed, missing } = await gallery.remove(stored);
        ctx.stdout.write(`Removed ${removed} image${removed === 1 ? '' : 's'}; the index holds ${await gallery.count()}.\n`);
        if (missing.length > 0) ctx.stdout.write(`Not in the index (${missing.length}):\n${missing.map((p) => `  ${p}`).join('\n')}\n`);
      } finally {
        await gallery.close();
      }
    });

  registerIndexCameras(index, ctx);

  index
    .command('info')
    .description('Describe an index: model, vector count, cameras, skipped files.')
    .requiredOption('--index <dir>', INDEX_HELP)
    .option(DATABASE_FLAG, DATABASE_HELP)
    .option('--json', 'print JSON')
    .action(async (flags: { index: string; database?: string; json?: boolean }) => {
      const gallery = await openGallery(galleryRefOf(ctx, flags));
      try {
        const m = gallery.manifest;
        const info = {
          index: gallery.location,
          model: m.model,
          images: await gallery.count(),
          imagesRoot: m.imagesRoot,
          hnsw: m.hnsw,
          cameras: await gallery.cameras(),
          skipped: await gallery.listSkipped(),
          createdAt: m.createdAt,
          updatedAt: m.updatedAt,
        };
        if (flags.json) return writeJson(ctx.stdout, info);
        const lines = [
          `index:        ${info.index}`,
          `model:        ${m.model.id} (${m.model.layout}, ${m.model.dim}-d, ${m.model.contextLength}-token text)`,
          `images:       ${info.images}${m.imagesRoot ? ` under ${m.imagesRoot}` : ''}`,
          `hnsw:         M ${m.hnsw.M}, efConstruction ${m.hnsw.efConstruction}, ef ${m.hnsw.ef}`,
          `cameras:      ${info.cameras.length ? info.cameras.map((c) => `${c.camera} (${c.count})`).join(', ') : 'none recorded'}`,
          `skipped:      ${info.skipped.length} unreadable file${info.skipped.length === 1 ? '' : 's'}`,
          ...info.skipped.slice(0, 20).map((s) => `  ${s.path}: ${s.reason}`),
          ...(info.skipped.length > 20 ? [`  … and ${info.skipped.length - 20} more (--json lists all)`] : []),
          `updated:      ${m.updatedAt}`,
        ];
        ctx.stdout.write(lines.join('\n') + '\n');
      } finally {
        await gallery.close({ save: false });
      }
    });

  registerIndexMigrate(index, ctx);
}

async function runFootage(ctx: CliContext, flags: IngestFlags): Promise<void> {
  if (!flags.camera || !flags.detector) throw new CtgiError('BAD_INPUT', 'Indexing footage needs --camera NAME and --detector PATH.');
  if (flags.images || flags.dataset) throw new CtgiError('BAD_INPUT', 'Give footage (--video or --frames) or images (--images or --dataset), not both.');
  if (galleryRefOf(ctx, flags).kind !== 'folder') throw new CtgiError('BAD_INPUT', 'Footage is indexed into gallery folders only (its crops are stored beside the index); leave out --database (and CTGI_DATABASE_URL) for footage.');
  const config = ctx.config();
  const bar = new ProgressBar({ label: 'footage', total: undefined, unit: itemUnit('frames'), stream: ctx.stderr });
  let frames = 0;
  const result = await indexFootage({
    indexDir: flags.index,
    modelDir: flags.model,
    detector: flags.detector,
    detectorOptions: { confidence: flags.confidence ?? 0.35 },
    camera: flags.camera,
    ...(flags.video ? { video: flags.video } : {}),
    ...(flags.frames ? { frames: flags.frames } : {}),
    start: flags.start ?? null,
    fps: flags.fps ?? 2,
    batchSize: flags.batchSize,
    limits: { maxPixels: config.maxImagePixels, maxBytes: config.maxImageBytes },
    hnsw: { M: flags.m, efConstruction: flags.efConstruction, ef: flags.ef },
    saveEverySeconds: flags.saveEvery,
    onFrame: () => bar.update(++frames),
  });
  bar.finish();
  if (flags.json) return writeJson(ctx.stdout, result);
  const lines = result.sources.map((s) =>
    s.unchanged
      ? `${s.source}: already indexed.`
      : `${s.source}: ${plural(s.frames, 'frame')}${s.resumedFrom > 0 ? ` (resumed at frame ${s.resumedFrom})` : ''}, ${plural(s.detections, 'detection')}, ${plural(s.tracks, 'track')}, ${plural(s.crops, 'crop')}.` +
        (s.badFrames.length > 0 ? ` ${plural(s.badFrames.length, 'unreadable frame')} skipped (first: ${s.badFrames[0].reason})` : '') +
        (s.stopped ? ` ${s.stopped}` : ''),
  );
  lines.push(`${result.dir}: ${plural(result.ingest.added, 'crop')} added; the index holds ${plural(result.size, 'image')}.`);
  ctx.stdout.write(lines.join('\n') + '\n');
}

function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a number above 0.`);
    return n;
  };
}

async function runIngest(ctx: CliContext, flags: IngestFlags, create: boolean, files: string[] = []): Promise<void> {
  const sources = [flags.images, flags.dataset, files.length > 0 ? 'files' : undefined].filter(Boolean).length;
  if (sources !== 1) {
    throw new CtgiError('BAD_INPUT', create ? 'Give exactly one of --images DIR or --dataset FILE.' : 'Give image files, --images DIR or --dataset FILE (one of them).');
  }
  const config = ctx.config();
  const ref = galleryRefOf(ctx, flags, { halfvec: flags.halfvec ?? false });
  const existing = create ? undefined : await readGalleryManifest(ref);
  const camera = cameraMatcher(flags.cameraPattern);
  const facts = flags.metadata ? await readImageFacts(flags.metadata) : undefined;
  let root: string;
  let build: (indexRoot: string | null) => Promise<IngestItem[]>;
  let ignored: string[] = [];
  let unreadable: (indexRoot: string | null) => Array<{ path: string; reason: string }> = () => [];
  const notes: string[] = [];
  if (flags.dataset) {
    const dataset = await readDataset(flags.dataset);
    const entries = flags.split ? selectSplit(dataset, flags.split) : dataset.entries;
    for (const s of dataset.skipped) notes.push(`dataset entry ${s.index} skipped: ${s.reason}`);
    root = resolve(flags.imagesRoot ?? dirname(resolve(flags.dataset)));
    build = async () => itemsFromDataset(entries, root, camera, facts);
  } else if (flags.images) {
    root = resolve(flags.images);
    const scan = await scanImageDir(root, { followLinksOutside: flags.followLinksOutside });
    ignored = scan.ignored;
    unreadable = (indexRoot) => scan.skipped.map((s) => ({ path: storedPathFor(s.path, indexRoot ?? root), reason: s.reason }));
    if (scan.skipped.some((s) => s.outsideRoot)) notes.push('Symbolic links to files outside the images folder were skipped; pass --follow-links-outside to index them.');
    build = async (indexRoot) => itemsFromFiles(scan.images, indexRoot ?? root, camera, facts);
  } else {
    root = existing?.imagesRoot ?? process.cwd();
    build = async (indexRoot) => itemsFromFiles(files.map((f) => resolve(f)), indexRoot, camera, facts);
  }
  let bar: ProgressBar | undefined;
  const result = await indexImages({
    indexDir: ref,
    leaseSeconds: flags.lease,
    ...(flags.model ? { modelDir: flags.model } : {}),
    imagesRoot: root,
    // Paths of an existing index stay relative to the root it was created with.
    items: (indexRoot) => (flags.dataset ? build(root) : build(indexRoot)),
    skipped: unreadable,
    hnsw: { M: flags.m, efConstruction: flags.efConstruction, ef: flags.ef },
    batchSize: flags.batchSize,
    limits: { maxPixels: config.maxImagePixels, maxBytes: config.maxImageBytes },
    saveEverySeconds: flags.saveEvery,
    log: (message) => ctx.stderr.write(`${message}\n`),
    onProgress: (done, total) => {
      bar ??= new ProgressBar({ label: 'indexing', total, unit: itemUnit('images'), stream: ctx.stderr });
      bar.update(done);
    },
  });
  bar?.finish();
  if (flags.json) {
    writeJson(ctx.stdout, { index: result.dir, images: result.size, ...result.report, ignored, notes, ...(result.shared ? { shared: result.shared } : {}) });
    return;
  }
  if (result.shared) {
    const { worker, run, reclaimed } = result.shared;
    const taken = reclaimed > 0 ? `, including ${plural(reclaimed, 'batch')} taken over from a stopped worker` : '';
    notes.push(`Shared run ${run.id}: ${run.done} of ${run.items} images done by all workers; this worker (${worker}) handled ${plural(result.report.considered, 'image')}${taken}.`);
  }
  ctx.stdout.write(formatReport(result.dir, result.size, result.report, ignored, notes));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function formatReport(dir: string, total: number, r: IngestReport, ignored: string[], notes: string[]): string {
  const lines = [
    `${dir}: ${plural(r.added, 'image')} added, ${r.unchanged} already indexed, ${r.replaced} re-indexed, ${plural(r.duplicates.length, 'duplicate')}, ${r.skipped.length} skipped; the index holds ${plural(total, 'image')}.`,
  ];
  if (r.skipped.length > 0) lines.push(`Skipped ${plural(r.skipped.length, 'unreadable file')}:`, ...r.skipped.map((s) => `  ${s.path}: ${s.reason}`));
  if (r.duplicates.length > 0) lines.push(`Not added, same bytes as an indexed image (${r.duplicates.length}):`, ...r.duplicates.map((d) => `  ${d.path} = ${d.of}`));
  if (ignored.length > 0) lines.push(`Ignored ${plural(ignored.length, 'file')} that are not .jpg/.jpeg/.png/.webp images:`, ...ignored.map((p) => `  ${p}`));
  lines.push(...notes);
  return lines.join('\n') + '\n';
}
