import { appendFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Gallery } from '../gallery/gallery.js';
import { storedPathFor } from '../gallery/image-scan.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { AttributeAnswer, MtgTurn } from './caption-image.js';
import type { CaptionItem } from './caption-inputs.js';
import type { JobRecord } from './job-store.js';

// The files of a `ctgi caption` run next to its dataset output, the JSONL turn log, and the gallery
// write of captions and per-attribute answers.

/** Where a run's files go. */
export interface CaptionOutputPaths {
  /** The dataset file, in the input's format. */
  dataset: string;
  /** One JSON line per MLLM call: question, answer, kept or dropped and why, latency, tokens. */
  log: string;
  /** The summary as JSON. */
  summary: string;
  /** The job table (SQLite) that makes re-runs resume. */
  jobs: string;
}

/** `OUT`, `OUT.turns.jsonl`, `OUT.summary.json` and `OUT.jobs.sqlite`, unless given. */
export function outputPaths(out: string, overrides: { log?: string; jobs?: string } = {}): CaptionOutputPaths {
  const dataset = resolve(out);
  return {
    dataset,
    log: resolve(overrides.log ?? `${dataset}.turns.jsonl`),
    summary: `${dataset}.summary.json`,
    jobs: resolve(overrides.jobs ?? `${dataset}.jobs.sqlite`),
  };
}

/** The log lines of one finished image: one per call, or one `skip` line for an image that got no call. */
export function turnLogLines(image: string, status: 'done' | 'failed', turns: readonly MtgTurn[], error: string | null): string {
  const lines = turns.map((t) =>
    JSON.stringify({
      image,
      status,
      kind: t.kind,
      round: t.round,
      question: t.question,
      source: t.source,
      attributes: t.attributes,
      answer: t.answer,
      kept: t.kept,
      reason: t.reason,
      facts: t.facts,
      latencyMs: t.latencyMs,
      tokens: t.tokens,
      ...(status === 'failed' && error ? { error } : {}),
    }),
  );
  if (lines.length === 0) lines.push(JSON.stringify({ image, status, kind: 'skip', error }));
  return `${lines.join('\n')}\n`;
}

/**
 * The turn log: rewritten from the job table when a run starts (so it holds exactly the committed images,
 * whatever a killed run left half-written), then appended to as images finish.
 */
export class TurnLog {
  private constructor(readonly path: string) {}

  static async open(path: string, records: readonly JobRecord[]): Promise<TurnLog> {
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, records.map((r) => turnLogLines(r.key, r.status, r.turns, r.error)).join(''));
    return new TurnLog(path);
  }

  /** Appends one image's lines in one write, so concurrent images never interleave. */
  append(image: string, status: 'done' | 'failed', turns: readonly MtgTurn[], error: string | null): void {
    appendFileSync(this.path, turnLogLines(image, status, turns, error));
  }
}

/**
 * Writes MTG captions (source `mtg`) and attribute answers into a gallery index, finding each image by
 * its indexed path. Images the index does not hold are counted, not fatal.
 */
export class GalleryCaptionWriter {
  /** Images captioned but not in the index. */
  readonly missing: string[] = [];
  written = 0;

  constructor(
    private readonly index: Gallery,
    private readonly imagesRoot: string | null = index.manifest.imagesRoot,
  ) {}

  /** The image's id in the index, or undefined. */
  async idOf(item: CaptionItem): Promise<number | undefined> {
    return (await this.index.findByPath(storedPathFor(item.absPath, this.imagesRoot)))?.id ?? (await this.index.findByPath(item.key))?.id;
  }

  /** Stores the caption and the answers (idempotent: a redone image replaces its rows). */
  async write(item: CaptionItem, caption: string, answers: readonly AttributeAnswer[]): Promise<void> {
    const id = await this.idOf(item);
    if (id === undefined) {
      this.missing.push(item.key);
      return;
    }
    await this.index.putCaption(id, 'mtg', caption);
    await this.index.putAttributeAnswers(answers.map((a) => ({ imageId: id, attribute: a.attribute, question: a.question, answer: a.answer, source: a.source, confidence: a.confidence })));
    this.written++;
  }
}
