import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { CtgiError } from '../errors/ctgi-error.js';
import { contextLengthFromConfig, DEFAULT_CONTEXT_LENGTH } from '../text/context-length.js';
import { parseHfPreprocessorConfig, parseImmichPreprocessConfig } from '../vision/preprocess-config.js';
import type { PreprocessSpec } from '../vision/preprocess-spec.js';
import { pathExists } from '../util/path-exists.js';

/** The two public ONNX CLIP directory layouts (DESIGN.md, "Model directories"). */
export type ModelLayout = 'hf' | 'immich';

/** What a model directory holds, read from its files and configs (no graph is loaded). */
export interface ModelDir {
  dir: string;
  layout: ModelLayout;
  /** A stable identity for manifests: the hub repo when pulled, else the config's name, else the folder name. */
  modelId: string;
  textModelPath: string;
  visionModelPath: string;
  /** Context length the config declares (77 for CLIP; 248 after `model stretch`). */
  contextLength: number;
  /** Embedding dimension the config declares, when it does. */
  dim: number | undefined;
  preprocess: PreprocessSpec;
  /** The config file that carries the context length (rewritten by `model stretch`). */
  configPath: string;
}

const LAYOUT_FILES: Record<ModelLayout, { text: string; vision: string; config: string }> = {
  hf: { text: 'onnx/text_model.onnx', vision: 'onnx/vision_model.onnx', config: 'config.json' },
  immich: { text: 'textual/model.onnx', vision: 'visual/model.onnx', config: 'config.json' },
};


/** Reads and parses a JSON file, naming it in the error. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CtgiError('NOT_FOUND', `Cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'read error'}.`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CtgiError('MODEL_INVALID', `${path} is not valid JSON.`, { cause: err });
  }
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

/** Detects which layout `dir` uses. @throws CtgiError NOT_FOUND / MODEL_INVALID saying what was expected. */
export async function detectLayout(dir: string): Promise<ModelLayout> {
  if (!(await pathExists(dir))) throw new CtgiError('NOT_FOUND', `Model directory ${dir} does not exist.`);
  for (const layout of ['hf', 'immich'] as const) {
    const f = LAYOUT_FILES[layout];
    if ((await pathExists(join(dir, f.text))) || (await pathExists(join(dir, f.vision)))) return layout;
  }
  throw new CtgiError(
    'MODEL_INVALID',
    `${dir} is not a CLIP model directory: expected onnx/text_model.onnx + onnx/vision_model.onnx (Hugging Face export) ` +
      `or textual/model.onnx + visual/model.onnx (immich export). Try \`ctgi model pull clip-vit-b16\`.`,
  );
}

/**
 * Reads a model directory's layout, configs and preprocessing.
 * @throws CtgiError naming the missing or malformed file.
 */
export async function readModelDir(dirArg: string): Promise<ModelDir> {
  const dir = resolve(dirArg);
  const layout = await detectLayout(dir);
  const files = LAYOUT_FILES[layout];
  const textModelPath = join(dir, files.text);
  const visionModelPath = join(dir, files.vision);
  const configPath = join(dir, files.config);
  const config = asRecord(await readJsonFile(configPath));

  const contextLength = contextLengthFromConfig(config);
  let dim: number | undefined;
  let preprocess: PreprocessSpec;
  if (layout === 'hf') {
    dim = positiveInt(config.projection_dim);
    const ppPath = join(dir, 'preprocessor_config.json');
    preprocess = parseHfPreprocessorConfig(await readJsonFile(ppPath), ppPath);
  } else {
    dim = positiveInt(config.embed_dim);
    const ppPath = join(dir, 'visual', 'preprocess_cfg.json');
    preprocess = parseImmichPreprocessConfig(await readJsonFile(ppPath), ppPath);
  }
  return {
    dir,
    layout,
    modelId: await modelIdentity(dir, config),
    textModelPath,
    visionModelPath,
    contextLength: contextLength ?? DEFAULT_CONTEXT_LENGTH,
    dim,
    preprocess,
    configPath,
  };
}

async function modelIdentity(dir: string, config: Record<string, unknown>): Promise<string> {
  const pulled = join(dir, 'ctgi-model.json');
  if (await pathExists(pulled)) {
    const meta = asRecord(await readJsonFile(pulled));
    if (typeof meta.repo === 'string') return meta.repo;
  }
  const stretched = asRecord(config.ctgi_stretch);
  if (typeof stretched.model_id === 'string') return stretched.model_id;
  const trained = asRecord(config.ctgi_train);
  if (typeof trained.model_id === 'string') return trained.model_id;
  if (typeof config._name_or_path === 'string' && config._name_or_path.length > 0) return config._name_or_path;
  return basename(dir);
}

/** Throws a clear error when a required model file is missing. */
export async function requireFile(path: string, what: string): Promise<void> {
  if (!(await pathExists(path))) throw new CtgiError('MODEL_INVALID', `The ${what} ${path} is missing from the model directory.`);
}
