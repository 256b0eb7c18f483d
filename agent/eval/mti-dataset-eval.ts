import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { readDataset, selectSplit } from '../../src/datasets/dataset-io.js';
import type { DatasetEntry, SkippedEntry } from '../../src/datasets/dataset.js';
import { CtgiError } from '../../src/errors/ctgi-error.js';
import { CaptionWitness, type SimulatedWitness } from '../../src/eval/caption-witness.js';
import { LlmWitness } from '../../src/eval/llm-witness.js';
import type { Gallery } from '../../src/gallery/gallery.js';
import { openGallery, type GalleryRef } from '../../src/gallery/open-gallery.js';
import { indexDataset } from '../../src/gallery/index-service.js';
import type { Mllm } from '../../src/mllm/mllm.js';
import { openTextEncoder } from '../../src/models/open-encoders.js';
import { spreadSample } from '../../src/util/spread-sample.js';
import type { ImageLimits } from '../../src/vision/image-limits.js';
import { galleryEvidence } from '../round/cached-evidence.js';
import { runMtiEvaluation, type MtiEvalResult, type MtiMode, type MtiQuery } from './mti-evaluation.js';
import { type MtiRoundOptions } from '../round/round-options.js';

// `ctgi eval --mti` as a flow: a dataset split becomes the gallery (indexed once, resumably, in a cache),
// the queries come from a file or from the split's captions, the simulated witness of each query knows its
// person's captions only, and the product's dialogue runs per query. `ctgi eval --demo` calls this too.

/** How queries are taken from the captions when no queries file is given. */
export type QueryStyle = 'caption' | 'first-sentence';

export interface MtiDatasetEvalRequest {
  modelDir: string;
  datasetFile: string;
  imagesRoot: string;
  split: string;
  /** JSON `[{"identity", "text"}]`; otherwise every caption of the split is a query. */
  queriesFile?: string;
  queryStyle?: QueryStyle;
  /** An evenly spread sample of this many queries. */
  queries?: number;
  /** The gallery of the split, built when missing, reused when complete: a folder path, or a named gallery in a PostgreSQL database. */
  indexDir: string | GalleryRef;
  witness: 'none' | 'simulated';
  /** Answer the witness's questions through this LLM, told to use the captions alone. */
  witnessLlm?: Mllm;
  mllm?: Mllm;
  reconstructor?: Mllm;
  rounds: number;
  options?: MtiRoundOptions;
  batchSize?: number;
  limits?: ImageLimits;
  concurrency?: number;
  onProgress?: (phase: 'index' | MtiMode, done: number, total: number) => void;
}

export interface MtiDatasetEvalResult extends MtiEvalResult {
  split: string;
  /** Queries left out because their person has no image in the split. */
  excluded: number;
  skippedEntries: SkippedEntry[];
}

const queriesSchema = z.array(z.object({ identity: z.union([z.string(), z.number()]), text: z.string() }));

/** The default cache folder of a dataset split's gallery under `home`. */
export function evalIndexDir(home: string, datasetFile: string, split: string, modelDir: string): string {
  const key = createHash('sha256').update(JSON.stringify([resolve(datasetFile), split, resolve(modelDir)])).digest('hex').slice(0, 16);
  return join(home, 'eval-galleries', key);
}

/**
 * Evaluates plain retrieval and MTI on a dataset split.
 * @throws CtgiError BAD_INPUT for an unreadable queries file, no usable query, or a simulated witness
 *   without captions for any query's person; UPSTREAM_FAILED when the witness LLM cannot be reached.
 */
export async function evaluateMtiOnDataset(request: MtiDatasetEvalRequest): Promise<MtiDatasetEvalResult> {
  const dataset = await readDataset(request.datasetFile);
  const entries = selectSplit(dataset, request.split);
  const inSplit = new Set(entries.map((e) => String(e.id)));
  const all = request.queriesFile ? await readQueries(request.queriesFile) : captionQueries(entries, request.queryStyle ?? 'caption');
  const usable = all.filter((q) => inSplit.has(q.identity) && q.text.trim().length > 0);
  if (usable.length === 0) throw new CtgiError('BAD_INPUT', `None of the ${all.length} queries describes a person with an image in the ${request.split} split; check --split and the queries' identities.`);
  const queries = spreadSample(usable, request.queries);

  const captionsOf = captionsByIdentity(dataset.entries);
  if (request.witness === 'simulated') {
    const without = new Set(queries.filter((q) => (captionsOf.get(q.identity) ?? []).length === 0).map((q) => q.identity));
    if (without.size === queries.length) {
      throw new CtgiError('BAD_INPUT', 'The simulated witness answers from the target person’s captions, and this dataset has none for the queried people; use --witness none.');
    }
    if (without.size > 0) throw new CtgiError('BAD_INPUT', `The dataset has no captions for ${without.size} queried people (e.g. ${[...without][0]}), so the simulated witness cannot answer for them; use --witness none or other queries.`);
  }
  if (request.witnessLlm) await probeWitnessLlm(request.witnessLlm);

  await indexDataset({
    indexDir: request.indexDir,
    modelDir: request.modelDir,
    entries,
    imagesRoot: request.imagesRoot,
    ...(request.batchSize ? { batchSize: request.batchSize } : {}),
    ...(request.limits ? { limits: request.limits } : {}),
    onProgress: (done, total) => request.onProgress?.('index', done, total),
  });
  const gallery = await openGallery(request.indexDir);
  try {
    const textEncoder = await openTextEncoder(request.modelDir, request.batchSize ? { batchSize: request.batchSize } : {});
    try {
      const modes: MtiMode[] = [...(request.mllm ? (['mti-mllm'] as const) : []), ...(request.witness === 'simulated' ? (['mti-mllm-witness'] as const) : [])];
      const witness = (q: MtiQuery): SimulatedWitness => {
        const captions = captionsOf.get(q.identity) ?? [];
        return request.witnessLlm ? new LlmWitness(request.witnessLlm, captions) : new CaptionWitness(captions);
      };
      const result = await runMtiEvaluation({
        gallery,
        textEncoder,
        ...(request.mllm ? { mllm: request.mllm } : {}),
        ...(request.reconstructor ? { reconstructor: request.reconstructor } : {}),
        queries,
        modes,
        witness,
        rounds: request.rounds,
        ...(request.options ? { options: request.options } : {}),
        cachedEvidence: galleryEvidence(gallery),
        ...(request.concurrency ? { concurrency: request.concurrency } : {}),
        onProgress: (mode, done, total) => request.onProgress?.(mode, done, total),
      });
      if (!request.mllm) result.notices.unshift('No MLLM is configured: the dialogues ran witness-only and the mti-mllm rows are left out.');
      return { ...result, split: request.split, excluded: all.length - usable.length, skippedEntries: dataset.skipped };
    } finally {
      await textEncoder.close();
    }
  } finally {
    await gallery.close({ save: false });
  }
}

/** Every caption of the split is one query (or its first sentence). */
function captionQueries(entries: readonly DatasetEntry[], style: QueryStyle): MtiQuery[] {
  return entries.flatMap((e) => e.captions.map((c) => ({ identity: String(e.id), text: style === 'first-sentence' ? firstSentence(c) : c })));
}

function firstSentence(text: string): string {
  const m = /^(.*?[.!?])(\s|$)/s.exec(text.trim());
  return (m ? m[1] : text).trim();
}

/** Captions per person over every split: all the simulated witness may know. */
function captionsByIdentity(entries: readonly DatasetEntry[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of entries) {
    const id = String(e.id);
    const list = out.get(id) ?? [];
    list.push(...e.captions);
    out.set(id, list);
  }
  return out;
}

async function readQueries(file: string): Promise<MtiQuery[]> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new CtgiError('BAD_INPUT', `Cannot read the queries file ${file} (${(err as Error).message}); it must be JSON: [{"identity": …, "text": "…"}].`, { cause: err });
  }
  const parsed = queriesSchema.safeParse(json);
  if (!parsed.success) throw new CtgiError('BAD_INPUT', `The queries file ${file} must be a JSON array of {"identity", "text"}; entry ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}.`);
  return parsed.data.map((q) => ({ identity: String(q.identity), text: q.text }));
}

/** One cheap call before the run, so an unreachable witness LLM is one sentence, not a run of failures. */
async function probeWitnessLlm(llm: Mllm): Promise<void> {
  await new LlmWitness(llm, ['A person.']).answer({ text: 'Is the person wearing a hat?' });
}
