import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { CtgiError } from '../errors/ctgi-error.js';
import { OnnxClipImageEncoder } from '../models/clip-image-encoder.js';
import { OnnxClipTextEncoder } from '../models/clip-text-encoder.js';
import { IMAGE_OUTPUTS, TEXT_OUTPUTS } from '../models/graph-io.js';
import { readJsonFile, type ModelDir } from '../models/model-dir.js';
import { decodeModel, encodeModel } from '../models/pes/onnx-proto-io.js';
import { appendAdapter } from './adapter-graph.js';
import { weightsHash, type AdapterWeights } from './adapter-weights.js';
import { pathExists } from '../util/path-exists.js';

/** Largest |difference| allowed between the exported graphs and the trainer's forward pass. */
export const EXPORT_CHECK_TOLERANCE = 1e-5;

/** Vectors the exported model must reproduce: the trainer's own outputs for a few inputs. */
export interface ExportProbes {
  texts: string[];
  textVectors: Float32Array[];
  imagePaths: string[];
  imageVectors: Float32Array[];
}

export interface ExportOptions {
  base: ModelDir;
  baseSha256: string;
  weights: AdapterWeights;
  outDir: string;
  /** Replace an existing `outDir`. */
  force: boolean;
  /** The training run, recorded under `ctgi_train.run` in config.json. */
  run: Record<string, unknown>;
  probes: ExportProbes;
}

export interface ExportResult {
  outDir: string;
  modelId: string;
  /** Largest |difference| between the exported graphs and the trainer over the probes. */
  maxDiff: number;
}

/** The adapted model's identity: a text-only adapter keeps the base image tower, which `imageTowerId` sees. */
export function adaptedModelId(baseId: string, w: AdapterWeights): string {
  const tag = weightsHash(w).slice(0, 12);
  return w.sides.image ? `${baseId}+adapter-${tag}` : `${baseId}+text-adapter-${tag}`;
}

/**
 * Writes a copy of the base model directory whose tower graphs carry the adapter, records the base model and
 * the run in its config, and checks itself against the trainer's vectors before it appears under its name.
 * @throws CtgiError BAD_INPUT when `outDir` exists without `force`; MODEL_INVALID when the check fails
 *   (nothing is left behind).
 */
export async function exportAdaptedModel(o: ExportOptions): Promise<ExportResult> {
  const outDir = resolve(o.outDir);
  if ((await pathExists(outDir)) && !o.force) throw new CtgiError('BAD_INPUT', `${outDir} already exists; choose a new --out directory or add --force to replace it.`);
  if (!relative(o.base.dir, outDir).startsWith('..')) throw new CtgiError('BAD_INPUT', `--out ${outDir} must not be inside the base model directory.`);
  const { dim, rank } = o.weights;
  const rewritten = new Map<string, Uint8Array>();
  for (const [side, path, names] of [['text', o.base.textModelPath, TEXT_OUTPUTS], ['image', o.base.visionModelPath, IMAGE_OUTPUTS]] as const) {
    const w = o.weights.sides[side];
    if (!w) continue;
    const graph = decodeModel(await readFile(path), path);
    appendAdapter(graph, w, dim, rank, names, path);
    rewritten.set(path, encodeModel(graph));
  }
  const modelId = adaptedModelId(o.base.modelId, o.weights);
  const staging = `${outDir}.partial-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  try {
    await mkdir(dirname(outDir), { recursive: true });
    await cp(o.base.dir, staging, { recursive: true, filter: (src) => !/ctgi-model\.json$|\.part$/.test(src) && !rewritten.has(resolve(src)) });
    for (const [path, bytes] of rewritten) await writeFile(join(staging, relative(o.base.dir, path)), bytes);
    await recordProvenance(join(staging, 'config.json'), {
      model_id: modelId,
      base_model_id: o.base.modelId,
      base_model_sha256: o.baseSha256,
      adapter: { sides: Object.keys(o.weights.sides).sort(), rank, form: 'y = x + (x·down)·up before L2 normalisation', weights_sha256: weightsHash(o.weights) },
      run: o.run,
    });
    const maxDiff = await selfCheck(staging, o.probes);
    if (!(maxDiff <= EXPORT_CHECK_TOLERANCE)) {
      throw new CtgiError('MODEL_INVALID', `The exported model's embeddings differ from the trainer's by ${maxDiff.toExponential(2)} (allowed ${EXPORT_CHECK_TOLERANCE}); nothing was written.`);
    }
    if (await pathExists(outDir)) await rm(outDir, { recursive: true, force: true });
    await rename(staging, outDir);
    return { outDir, modelId, maxDiff };
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}


/** Adds `ctgi_train` to config.json; a base's `ctgi_stretch` moves inside it so the new identity is read first. */
async function recordProvenance(path: string, train: Record<string, unknown>): Promise<void> {
  const config = (await readJsonFile(path)) as Record<string, unknown>;
  if (config.ctgi_stretch !== undefined) {
    train.base_stretch = config.ctgi_stretch;
    delete config.ctgi_stretch;
  }
  config.ctgi_train = train;
  await writeFile(path, JSON.stringify(config, null, 2) + '\n');
}

async function selfCheck(dir: string, p: ExportProbes): Promise<number> {
  let maxDiff = 0;
  const compare = (a: Float32Array[], b: Float32Array[]) => a.forEach((v, i) => v.forEach((x, d) => (maxDiff = Math.max(maxDiff, Math.abs(x - b[i][d])))));
  const text = await OnnxClipTextEncoder.open(dir);
  try {
    compare(await text.embedTexts(p.texts), p.textVectors);
  } finally {
    await text.close();
  }
  const image = await OnnxClipImageEncoder.open(dir);
  try {
    compare(await image.embedImageFiles(p.imagePaths), p.imageVectors);
  } finally {
    await image.close();
  }
  return maxDiff;
}
