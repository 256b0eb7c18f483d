import { readdir, stat, unlink, writeFile, mkdir } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { CtgiError, isCtgiError } from '../errors/ctgi-error.js';
import type { GalleryManifest } from '../gallery/gallery-manifest.js';
import { storedPathFor } from '../gallery/image-scan.js';
import { openIndexRun, type IndexRun } from '../gallery/index-service.js';
import { mergeIngestReports, type IngestItem, type IngestReport } from '../gallery/ingest.js';
import type { ImageLimits } from '../vision/image-limits.js';
import { encodeRawPng } from '../vision/sharp-adapter.js';
import { withSignatures } from './appearance.js';
import { cropQuality, offerCrop, sharpness } from './crop-quality.js';
import { openVideo } from './ffmpeg-frames.js';
import { folderStem, openFrameFolder } from './folder-frames.js';
import { readProgress, writeProgress, type FootageProgress, type KeptCrop, type SourceProgress } from './footage-progress.js';
import { addMs, type Frame, type FrameSource } from './frame-source.js';
import { openOnnxDetector, type DetectorOptions, type PersonDetector } from './onnx-detector.js';
import { BoxTracker, type TrackerOptions } from './tracker.js';

// The footage flow: frames → person detections → tracks → the best crops of each track (PNG files under the
// index folder) → the index flow's ingest, with camera, capture time, box, track id, source and frame time.
// Tracks are committed when they end and at least every `commitEveryFrames` frames the state is saved, so
// a killed build re-decodes only what it had not committed.

const VIDEO_EXTENSIONS = new Set(['.mp4', '.m4v', '.mov', '.mkv', '.avi', '.webm', '.ts', '.mts', '.mpg', '.mpeg', '.wmv', '.flv']);

/** What footage to index and how. */
export interface FootageRequest {
  indexDir: string;
  /** CLIP model directory; required when the index does not exist yet. */
  modelDir?: string;
  /** An ONNX detector file or folder, or a detector already open (the caller closes it). */
  detector: string | PersonDetector;
  detectorOptions?: DetectorOptions;
  camera: string;
  /** A video file or a folder of videos (decoded with ffmpeg) … */
  video?: string;
  /** … or a folder of frame images. */
  frames?: string;
  /** Absolute time of the first frame (ISO-8601); else from the file names. */
  start?: string | null;
  /** Sampling rate of videos, and the rate of a frames folder whose names carry no time (default 2). */
  fps?: number;
  tracker?: TrackerOptions;
  /** Crops kept per track (default 3). */
  cropsPerTrack?: number;
  /** Detections a track needs before its crops are indexed (default 2). */
  minTrackHits?: number;
  /** Frames between saved states (default 20). */
  commitEveryFrames?: number;
  batchSize?: number;
  limits?: ImageLimits;
  hnsw?: GalleryManifest['hnsw'];
  saveEverySeconds?: number;
  /** Called after every processed frame. */
  onFrame?: (source: string, frame: Frame, detections: number) => void;
}

/** What happened to one source. */
export interface SourceReport {
  source: string;
  /** The frame decoding started at (0, or where a previous run stopped). */
  resumedFrom: number;
  frames: number;
  detections: number;
  tracks: number;
  crops: number;
  /** Already fully indexed with the same size and modification time. */
  unchanged: boolean;
  badFrames: Array<{ frame: number; reason: string }>;
  /** Why decoding stopped early (a corrupt or truncated file); what came before is indexed. */
  stopped?: string;
}

/** What a footage build did. */
export interface FootageResult {
  dir: string;
  size: number;
  sources: SourceReport[];
  ingest: IngestReport;
}

/**
 * Indexes person crops from footage into the gallery at `indexDir` (created when missing), resumably.
 * @throws CtgiError for bad arguments, a missing ffmpeg, or a detector or model that cannot be opened.
 */
export async function indexFootage(request: FootageRequest): Promise<FootageResult> {
  if ((request.video === undefined) === (request.frames === undefined)) throw new CtgiError('BAD_INPUT', 'Give exactly one of --video FILE|DIR or --frames DIR.');
  const fps = request.fps ?? 2;
  if (!(fps > 0 && fps <= 120)) throw new CtgiError('BAD_INPUT', `--fps must be between 0 and 120 frames per second, not ${fps}.`);
  if (!request.camera.trim()) throw new CtgiError('BAD_INPUT', '--camera must name the camera.');
  const start = request.start ?? null;
  if (start !== null && !Number.isFinite(Date.parse(start))) throw new CtgiError('BAD_INPUT', `--start ${start} is not an ISO-8601 date and time.`);
  const sources = await listSources(request, fps, start);
  const detector = typeof request.detector === 'string' ? await openOnnxDetector(request.detector, request.detectorOptions) : request.detector;
  try {
    const indexDir = resolve(request.indexDir);
    const run = await openIndexRun({
      indexDir,
      imagesRoot: join(indexDir, 'crops'),
      ...(request.modelDir ? { modelDir: request.modelDir } : {}),
      ...(request.batchSize ? { batchSize: request.batchSize } : {}),
      ...(request.limits ? { limits: request.limits } : {}),
      ...(request.hnsw ? { hnsw: request.hnsw } : {}),
      ...(request.saveEverySeconds !== undefined ? { saveEverySeconds: request.saveEverySeconds } : {}),
    });
    try {
      const total: IngestReport = { considered: 0, added: 0, unchanged: 0, replaced: 0, duplicates: [], skipped: [] };
      const reports: SourceReport[] = [];
      const progress = await readProgress(indexDir);
      for (const open of sources) {
        reports.push(await indexSource({ request, run, detector, indexDir, progress, total, open }));
      }
      return { dir: run.gallery.location, size: await run.gallery.count(), sources: reports, ingest: total };
    } finally {
      await run.close();
    }
  } finally {
    if (typeof request.detector === 'string') await detector.close();
  }
}

interface PendingSource {
  path: string;
  open: () => Promise<FrameSource>;
}

async function listSources(request: FootageRequest, fps: number, start: string | null): Promise<PendingSource[]> {
  if (request.frames !== undefined) {
    const dir = resolve(request.frames);
    return [{ path: dir, open: () => openFrameFolder(dir, { fps, start, ...(request.limits ? { limits: request.limits } : {}) }) }];
  }
  const path = resolve(request.video!);
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new CtgiError('NOT_FOUND', `The video ${request.video} does not exist.`);
  if (info.isFile()) return [{ path, open: () => openVideo(path, { fps, start }) }];
  if (start !== null) throw new CtgiError('BAD_INPUT', '--start applies to one video file; in a folder, each video’s start time is read from its name (e.g. lobby_20240105T140000.mp4).');
  const names = (await readdir(path)).filter((n) => VIDEO_EXTENSIONS.has(extname(n).toLowerCase())).sort();
  if (names.length === 0) throw new CtgiError('BAD_INPUT', `The folder ${request.video} holds no video files (${[...VIDEO_EXTENSIONS].join(', ')}).`);
  return names.map((n) => ({ path: join(path, n), open: () => openVideo(join(path, n), { fps, start: null }) }));
}

interface SourceJob {
  request: FootageRequest;
  run: IndexRun;
  detector: PersonDetector;
  indexDir: string;
  progress: FootageProgress;
  total: IngestReport;
  open: PendingSource;
}

async function indexSource(job: SourceJob): Promise<SourceReport> {
  const { request, run, detector, indexDir, progress, open } = job;
  const key = `${request.camera}|${open.path}`;
  const info = await stat(open.path);
  const stem = request.frames !== undefined ? folderStem(open.path) : basename(open.path, extname(open.path));
  const cropDir = join(indexDir, 'crops', safeName(request.camera), safeName(stem));
  let state: SourceProgress | undefined = progress[key];
  if (state && (state.size !== info.size || state.mtimeMs !== info.mtimeMs)) state = undefined;
  const report: SourceReport = { source: open.path, resumedFrom: state?.nextFrame ?? 0, frames: 0, detections: 0, tracks: 0, crops: 0, unchanged: state?.done === true, badFrames: [] };
  if (state?.done) return report;
  state ??= { size: info.size, mtimeMs: info.mtimeMs, nextFrame: 0, done: false, tracker: { nextId: 1, tracks: [] }, pending: {} };
  const source = await open.open();
  const tracker = new BoxTracker(request.tracker, state.tracker);
  const keep = request.cropsPerTrack ?? 3;
  const minHits = request.minTrackHits ?? 2;
  const commitEvery = request.commitEveryFrames ?? 20;
  const pending = state.pending;
  let ended: number[] = [];
  let sinceCommit = 0;
  const trackName = (id: number) => `${request.camera}/${stem}#${id}`;

  const commit = async (nextFrame: number, done: boolean) => {
    const items: IngestItem[] = [];
    for (const id of ended) {
      const track = pending[id];
      delete pending[id];
      if (!track) continue;
      if (track.hits < minHits) {
        await Promise.all(track.crops.map((c) => removeFile(c.file)));
        continue;
      }
      report.tracks++;
      for (const c of [...track.crops].sort((a, b) => a.frame - b.frame)) items.push(itemFor(c, id));
    }
    ended = [];
    if (items.length > 0) {
      const r = await run.ingest(items);
      mergeIngestReports(job.total, r);
      report.crops += items.length;
    }
    progress[key] = { ...state!, nextFrame, done, tracker: tracker.snapshot(), pending };
    await writeProgress(indexDir, progress);
    sinceCommit = 0;
  };

  const itemFor = (c: KeptCrop, id: number): IngestItem => ({
    absPath: c.file,
    storedPath: storedPathFor(c.file, run.gallery.manifest.imagesRoot),
    personId: null,
    camera: request.camera,
    capturedAt: addMs(source.startsAt, c.timeMs),
    footage: { source: open.path, frameTimeMs: c.timeMs, trackId: trackName(id), box: [c.box.x1, c.box.y1, c.box.x2, c.box.y2].map((v) => Math.round(v * 10) / 10) as [number, number, number, number] },
  });

  await mkdir(cropDir, { recursive: true });
  let next = state.nextFrame;
  try {
    for await (const frame of source.frames(state.nextFrame, (frameIndex, reason) => report.badFrames.push({ frame: frameIndex, reason }))) {
      const detections = withSignatures(frame.pixels, await detector.detect(frame.pixels));
      const update = tracker.update(frame.index, detections);
      for (const { trackId, detection } of update.assigned) {
        const track = (pending[trackId] ??= { hits: 0, crops: [] });
        track.hits++;
        const quality = cropQuality(detection, sharpness(frame.pixels, detection.box), frame.pixels.width, frame.pixels.height);
        const file = join(cropDir, `f${String(frame.index).padStart(7, '0')}-k${trackId}.png`);
        const candidate: KeptCrop = { frame: frame.index, timeMs: frame.timeMs, box: detection.box, score: detection.score, quality, file };
        const offer = offerCrop(track.crops, candidate, keep, 2);
        if (!offer.accepted) continue;
        await writeFile(file, await encodeRawPng(frame.pixels, cropRegion(detection.box, frame.pixels.width, frame.pixels.height)));
        await Promise.all(offer.evicted.map((c) => removeFile(c.file)));
        track.crops = [...track.crops.filter((c) => !offer.evicted.includes(c)), candidate];
      }
      ended.push(...update.ended);
      report.frames++;
      report.detections += detections.length;
      next = frame.index + 1;
      request.onFrame?.(open.path, frame, detections.length);
      if (++sinceCommit >= commitEvery) await commit(next, false);
    }
  } catch (err) {
    // A corrupt or truncated source: what was decoded before is committed below.
    if (!isCtgiError(err, 'BAD_INPUT')) throw err;
    report.stopped = err.message;
  }
  ended.push(...tracker.finish());
  await commit(next, true);
  return report;
}

function cropRegion(b: { x1: number; y1: number; x2: number; y2: number }, width: number, height: number) {
  const left = Math.min(width - 1, Math.max(0, Math.floor(b.x1)));
  const top = Math.min(height - 1, Math.max(0, Math.floor(b.y1)));
  return { left, top, width: Math.max(1, Math.min(width, Math.ceil(b.x2)) - left), height: Math.max(1, Math.min(height, Math.ceil(b.y2)) - top) };
}

function safeName(s: string): string {
  return s.replace(/[^\w.-]+/g, '_').replace(/^\.+/, '_') || '_';
}

async function removeFile(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}
