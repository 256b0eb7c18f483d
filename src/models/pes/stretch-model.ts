import { cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { CtgiError } from '../../errors/ctgi-error.js';
import { OnnxClipTextEncoder } from '../clip-text-encoder.js';
import { readJsonFile, readModelDir } from '../model-dir.js';
import { decodeModel, encodeModel } from './onnx-proto-io.js';
import { DEFAULT_STRETCH, stretchFactor } from './position-stretch.js';
import { stretchTextGraph, type GraphStretchReport } from './text-graph-stretch.js';

export interface StretchOptions {
  modelDir: string;
  outDir: string;
  length?: number;
  keep?: number;
}

export interface StretchResult {
  outDir: string;
  modelId: string;
  from: number;
  to: number;
  keep: number;
  report: GraphStretchReport;
  /** Largest |difference| between original and stretched embeddings over the ≤ keep-token probes. */
  maxProbeDiff: number;
  probes: number;
}

/** Tolerance of the self-check: float32 kernels may sum in another order at another sequence length. */
export const STRETCH_CHECK_TOLERANCE = 1e-5;

/**
 * `ctgi model stretch`: writes a copy of a model directory whose text encoder takes `length` tokens
 * (Long-CLIP positional-embedding stretching, paper §3.2), then checks itself — every probe of at most
 * `keep` tokens must embed identically before and after — before the output appears under its name.
 * @throws CtgiError when the graph is not recognised or the check fails; nothing is left behind.
 */
export async function stretchModel(options: StretchOptions): Promise<StretchResult> {
  const to = options.length ?? DEFAULT_STRETCH.length;
  const keep = options.keep ?? DEFAULT_STRETCH.keep;
  const source = await readModelDir(options.modelDir);
  const from = source.contextLength;
  if (to <= from) throw new CtgiError('BAD_INPUT', `${source.modelId} already takes ${from} tokens; --length must be larger than that.`);
  stretchFactor(from, to, keep);
  const outDir = resolve(options.outDir);
  if (await pathExists(outDir)) throw new CtgiError('BAD_INPUT', `${outDir} already exists; choose a new --out directory.`);
  if (!relative(source.dir, outDir).startsWith('..')) throw new CtgiError('BAD_INPUT', `--out ${outDir} must not be inside the source model directory.`);

  const graph = decodeModel(await readFile(source.textModelPath), source.textModelPath);
  const report = stretchTextGraph(graph, from, to, keep, source.textModelPath);
  const staging = `${outDir}.partial-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  try {
    await mkdir(dirname(outDir), { recursive: true });
    await cp(source.dir, staging, {
      recursive: true,
      filter: (src) => !/ctgi-model\.json$|\.part$/.test(src) && resolve(src) !== source.textModelPath,
    });
    await writeFile(join(staging, relative(source.dir, source.textModelPath)), encodeModel(graph));
    const modelId = `${source.modelId}+pes${to}`;
    await rewriteConfigs(staging, source.layout, { from, to, keep, modelId, sourceId: source.modelId });
    const { maxDiff, probes } = await selfCheck(source.dir, staging, keep);
    if (maxDiff > STRETCH_CHECK_TOLERANCE) {
      throw new CtgiError(
        'MODEL_INVALID',
        `The stretched model changed embeddings of texts with at most ${keep} tokens (max difference ${maxDiff.toExponential(2)}); the graph was not stretched correctly, nothing was written.`,
      );
    }
    await rename(staging, outDir);
    return { outDir, modelId, from, to, keep, report, maxProbeDiff: maxDiff, probes };
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

async function pathExists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

type Json = Record<string, unknown>;

async function updateJson(path: string, change: (json: Json) => void): Promise<void> {
  if (!(await pathExists(path))) return;
  const json = (await readJsonFile(path)) as Json;
  change(json);
  await writeFile(path, JSON.stringify(json, null, 2) + '\n');
}

async function rewriteConfigs(dir: string, layout: 'hf' | 'immich', s: { from: number; to: number; keep: number; modelId: string; sourceId: string }): Promise<void> {
  const provenance = { model_id: s.modelId, source_model_id: s.sourceId, from_length: s.from, length: s.to, keep: s.keep, method: 'long-clip positional embedding stretching' };
  await updateJson(join(dir, 'config.json'), (c) => {
    if (layout === 'hf') ((c.text_config ??= {}) as Json).max_position_embeddings = s.to;
    else ((c.text_cfg ??= {}) as Json).context_length = s.to;
    c.ctgi_stretch = provenance;
  });
  for (const tc of ['tokenizer_config.json', 'textual/tokenizer_config.json']) {
    await updateJson(join(dir, tc), (c) => {
      if ('model_max_length' in c) c.model_max_length = s.to;
    });
  }
  await updateJson(join(dir, 'textual', 'tokenizer.json'), (c) => {
    const trunc = c.truncation as Json | null | undefined;
    if (trunc && typeof trunc === 'object' && 'max_length' in trunc) trunc.max_length = s.to;
  });
  await updateJson(join(dir, 'tokenizer.json'), (c) => {
    const trunc = c.truncation as Json | null | undefined;
    if (trunc && typeof trunc === 'object' && 'max_length' in trunc) trunc.max_length = s.to;
  });
}

/** Deterministic probe sequences SOT … EOT of 2..keep tokens over the model's ordinary vocabulary. */
function probeSequences(sot: number, eot: number, keep: number): number[][] {
  let state = 0x9e3779b9;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % Math.max(1, Math.min(sot, eot));
  };
  const seqs: number[][] = [];
  for (let len = 2; len <= keep; len++) {
    for (let rep = 0; rep < 2; rep++) seqs.push([sot, ...Array.from({ length: len - 2 }, next), eot]);
  }
  return seqs;
}

async function selfCheck(sourceDir: string, stretchedDir: string, keep: number): Promise<{ maxDiff: number; probes: number }> {
  const before = await OnnxClipTextEncoder.open(sourceDir);
  const after = await OnnxClipTextEncoder.open(stretchedDir);
  try {
    const { sot, eot } = before.tokenizer;
    const seqs = probeSequences(sot, eot, keep);
    const a = await before.embedTokenIds(seqs);
    const b = await after.embedTokenIds(seqs);
    let maxDiff = 0;
    a.forEach((v, i) => v.forEach((x, d) => (maxDiff = Math.max(maxDiff, Math.abs(x - b[i][d])))));
    // The full stretched length must run too (a constant left at the old length would fail here).
    await after.embedTokenIds([[sot, ...Array.from({ length: after.contextLength - 2 }, (_, i) => (i * 7919) % Math.min(sot, eot)), eot]]);
    return { maxDiff, probes: seqs.length };
  } finally {
    await before.close();
    await after.close();
  }
}
