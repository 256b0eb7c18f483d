import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { CtgiError, isCtgiError, userMessage } from '../errors/ctgi-error.js';
import { readImageFile } from '../vision/image-file.js';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from '../vision/image-limits.js';
import { readImageMeta } from '../vision/image-probe.js';
import { captionImage, type ImageCaptionResult, type MtgPipeline } from './caption-image.js';
import type { CaptionItem } from './caption-inputs.js';
import type { CaptionJobStore } from './job-store.js';

// Runs MTG over many images for hours: at most `concurrency` images in flight (each image's calls are
// sequential, since every question depends on the answers before it), each committed to the job table as
// it finishes. An unreadable image or a refused caption is recorded and skipped; a server that keeps
// failing stops the job (its progress kept); an abort signal (Ctrl-C) lets the images in flight finish.

/** One image's end, as the job reports it to its caller. */
export type ImageOutcome = { item: CaptionItem; result: ImageCaptionResult };

export interface CaptionJobOptions {
  items: readonly CaptionItem[];
  store: CaptionJobStore;
  pipeline: MtgPipeline;
  /** Images in flight at once. */
  concurrency: number;
  limits?: ImageLimits;
  /** Stops taking new images; the ones in flight finish and are committed. */
  signal?: AbortSignal;
  /** Runs after an image is captioned and before it is committed (e.g. the gallery write); must be idempotent. */
  beforeCommit?: (outcome: ImageOutcome & { result: { ok: true } }) => void | Promise<void>;
  /** Runs after an image's row is committed (e.g. appending its turns to the log). */
  afterCommit?: (outcome: ImageOutcome) => void;
  /** An image was skipped, with the sentence why. */
  onSkip?: (item: CaptionItem, reason: string) => void;
  /** Images finished so far, counting those done by earlier runs. */
  onProgress?: (done: number) => void;
  /** Consecutive upstream failures that stop the job (default max(8, 2 × concurrency)). */
  maxConsecutiveFailures?: number;
}

export interface CaptionJobReport {
  total: number;
  /** Captioned by earlier runs and skipped now. */
  alreadyDone: number;
  /** Captioned by this run. */
  captioned: number;
  /** Images this run could not caption, with the reason. */
  failed: Array<{ key: string; reason: string }>;
  interrupted: boolean;
  elapsedMs: number;
}

/**
 * Captions every image of `items` the job table does not list as done.
 * @throws CtgiError UPSTREAM_FAILED when the MLLM fails for many images in a row (after the images in flight finish).
 */
export async function runCaptionJob(options: CaptionJobOptions): Promise<CaptionJobReport> {
  const start = performance.now();
  const done = await options.store.doneKeys();
  const pending = options.items.filter((item) => !done.has(item.key));
  const alreadyDone = options.items.length - pending.length;
  const limits = options.limits ?? DEFAULT_IMAGE_LIMITS;
  const maxFailures = options.maxConsecutiveFailures ?? Math.max(8, 2 * options.concurrency);
  const report: CaptionJobReport = { total: options.items.length, alreadyDone, captioned: 0, failed: [], interrupted: false, elapsedMs: 0 };
  let finished = alreadyDone;
  let consecutiveUpstream = 0;
  let fatal: CtgiError | undefined;
  let next = 0;

  const fail = async (item: CaptionItem, reason: string, result: ImageCaptionResult & { ok: false }): Promise<void> => {
    await options.store.markFailed(item.key, reason, result.turns);
    report.failed.push({ key: item.key, reason });
    options.onSkip?.(item, reason);
    options.afterCommit?.({ item, result });
  };

  const work = async (item: CaptionItem): Promise<void> => {
    let image: Buffer;
    try {
      image = await readImage(item.absPath, limits);
    } catch (err) {
      if (!isCtgiError(err)) throw err;
      return fail(item, `unreadable image: ${err.message}`, { ok: false, reason: err.message, turns: [] });
    }
    let result: ImageCaptionResult;
    try {
      result = await captionImage(image, options.pipeline);
    } catch (err) {
      if (!isCtgiError(err)) throw err;
      // An image the client cannot encode is that image's problem; upstream failures count towards stopping the job.
      if (isCtgiError(err, 'IMAGE_INVALID', 'IMAGE_TOO_LARGE', 'NOT_FOUND')) {
        return fail(item, `unreadable image: ${err.message}`, { ok: false, reason: err.message, turns: [] });
      }
      if (++consecutiveUpstream >= maxFailures && !fatal) {
        fatal = new CtgiError('UPSTREAM_FAILED', `Stopped after ${consecutiveUpstream} images in a row failed; the last error: ${userMessage(err)} Captions made so far are kept; re-run the same command to resume.`, { cause: err });
      }
      return fail(item, userMessage(err), { ok: false, reason: userMessage(err), turns: [] });
    }
    consecutiveUpstream = 0;
    if (!result.ok) return fail(item, result.reason, result);
    await options.beforeCommit?.({ item, result });
    await options.store.markDone(item.key, result.initialCaption, result.caption, result.turns);
    report.captioned++;
    options.afterCommit?.({ item, result });
  };

  const worker = async (): Promise<void> => {
    while (next < pending.length && !fatal) {
      if (options.signal?.aborted) {
        report.interrupted = true;
        return;
      }
      const item = pending[next++];
      await work(item);
      options.onProgress?.(++finished);
    }
  };
  const workers = Math.max(1, Math.min(Math.floor(options.concurrency) || 1, pending.length));
  await Promise.all(Array.from({ length: workers }, worker));
  if (options.signal?.aborted && next < pending.length) report.interrupted = true;
  report.elapsedMs = Math.round(performance.now() - start);
  if (fatal) throw fatal;
  return report;
}

/**
 * Reads an image file for the MLLM after checking its size and that its header is an image's.
 * @throws CtgiError NOT_FOUND, IMAGE_TOO_LARGE or IMAGE_INVALID naming the file.
 */
export async function readImage(path: string, limits: ImageLimits): Promise<Buffer> {
  const meta = await readImageMeta(path);
  if (meta.width * meta.height > limits.maxPixels) {
    throw new CtgiError('IMAGE_TOO_LARGE', `${path} has ${meta.width}×${meta.height} pixels, over the limit of ${limits.maxPixels}; raise CTGI_MAX_IMAGE_PIXELS to caption it.`);
  }
  const size = (await stat(path)).size;
  if (size > limits.maxBytes) throw new CtgiError('IMAGE_TOO_LARGE', `${path} is ${size} bytes, over the limit of ${limits.maxBytes}; raise CTGI_MAX_IMAGE_BYTES to caption it.`);
  // Not readFile: the path may have been swapped for a FIFO since readImageMeta looked at it.
  return readImageFile(path, limits);
}
