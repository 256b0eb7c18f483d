import { join } from 'node:path';
import type { DemoBuild } from './demo-build.js';
import { DATASET_FILE } from './world-files.js';
import type { Gallery } from '../gallery/gallery.js';
import { openGallery } from '../gallery/open-gallery.js';
import type { Mllm } from '../mllm/mllm.js';
import { inputFromDataset } from '../mtg/caption-inputs.js';
import { runCaptionJob, type CaptionJobReport } from '../mtg/caption-job.js';
import { GalleryCaptionWriter } from '../mtg/caption-outputs.js';
import type { JobRecord } from '../mtg/job-store.js';
import { SqliteCaptionJobStore } from '../mtg/sqlite-job-store.js';
import { DEFAULT_MTG_PROMPTS, type MtgPrompts } from '../mtg/mtg-prompts.js';
import { buildQuestionPool } from '../mtg/question-pool.js';

// MTG over a demo build's whole gallery, in-process: what `ctgi caption --dataset OUT/reid_raw.json
// --index OUT/index` does, for the caption-aware benchmark and the caption-quality measurement.

/**
 * The job file of a demo build's MTG captions. `rounds` and the captioner's `style` are part of the name, so
 * each setting resumes its own captions and never another's.
 */
export function demoJobFile(build: DemoBuild, rounds: number, style = 'full'): string {
  return join(build.out, `mtg-${style}-r${rounds}.jobs.sqlite`);
}

export interface CaptionDemoOptions {
  mllm: Mllm;
  /** Default: `mllm`. */
  reconstructor?: Mllm;
  /** Default 6 (the paper's). */
  rounds?: number;
  /** Images in flight (default 8). */
  concurrency?: number;
  prompts?: MtgPrompts;
  /** The job table (default: demoJobFile(build, rounds)). */
  jobFile?: string;
  /** Write the captions and answers into the build's gallery index (default true). */
  index?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Captions every image of a demo build that its job file does not hold yet (resuming), storing captions
 * and attribute answers in its gallery index. Returns the run's report and every finished image's record.
 * @throws CtgiError UPSTREAM_FAILED when the MLLM keeps failing.
 */
export async function captionDemoGallery(build: DemoBuild, options: CaptionDemoOptions): Promise<{ report: CaptionJobReport; records: JobRecord[] }> {
  const rounds = options.rounds ?? 6;
  const prompts = options.prompts ?? DEFAULT_MTG_PROMPTS;
  const input = await inputFromDataset(join(build.out, DATASET_FILE), build.out);
  const store = SqliteCaptionJobStore.open(options.jobFile ?? demoJobFile(build, rounds), JSON.stringify({ rounds, prompts: prompts.signature }));
  const index = options.index === false ? undefined : await openGallery(build.indexDir);
  try {
    const writer = index ? new GalleryCaptionWriter(index, build.out) : undefined;
    const report = await runCaptionJob({
      items: input.items,
      store,
      pipeline: { mllm: options.mllm, reconstructor: options.reconstructor ?? options.mllm, prompts, pool: buildQuestionPool(prompts), rounds },
      concurrency: options.concurrency ?? 8,
      beforeCommit: ({ item, result }) => writer?.write(item, result.caption, result.answers),
      onProgress: (done) => options.onProgress?.(done, input.items.length),
    });
    return { report, records: await store.records() };
  } finally {
    await index?.close({ save: false });
    await store.close();
  }
}
