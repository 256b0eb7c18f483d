import { CtgiError } from '../errors/ctgi-error.js';
import { OnnxClipImageEncoder } from './clip-image-encoder.js';
import { OnnxClipTextEncoder } from './clip-text-encoder.js';
import { readModelDir, type ModelLayout } from './model-dir.js';
import type { PreprocessSpec } from '../vision/preprocess-spec.js';

/** What `ctgi model info` reports, read from the configs and confirmed by loading both graphs. */
export interface ModelInfo {
  dir: string;
  modelId: string;
  layout: ModelLayout;
  dim: number;
  contextLength: number;
  textInput: string;
  preprocess: PreprocessSpec;
  stretched: boolean;
}

/** Loads both towers of a model directory and describes them. @throws CtgiError naming what is wrong. */
export async function describeModel(dir: string): Promise<ModelInfo> {
  const model = await readModelDir(dir);
  const text = await OnnxClipTextEncoder.open(model);
  const image = await OnnxClipImageEncoder.open(model);
  try {
    if (text.dim !== image.dim) {
      throw new CtgiError('MODEL_INVALID', `${model.dir} pairs a ${text.dim}-dimensional text encoder with a ${image.dim}-dimensional image encoder.`);
    }
    return {
      dir: model.dir,
      modelId: model.modelId,
      layout: model.layout,
      dim: text.dim,
      contextLength: text.contextLength,
      textInput: text.inputDescription,
      preprocess: model.preprocess,
      stretched: model.modelId.includes('+pes'),
    };
  } finally {
    await text.close();
    await image.close();
  }
}

/** Human-readable lines for `ctgi model info`. */
export function formatModelInfo(i: ModelInfo): string {
  const p = i.preprocess;
  const resize = p.resizeMode === 'squash' ? `squash to ${p.height}×${p.width}` : `shortest edge ${p.shortestEdge ?? Math.min(p.height, p.width)}, centre crop ${p.height}×${p.width}`;
  return [
    `model:          ${i.modelId}`,
    `directory:      ${i.dir}`,
    `layout:         ${i.layout === 'hf' ? 'Hugging Face / Xenova export (onnx/text_model.onnx, onnx/vision_model.onnx)' : 'immich export (textual/model.onnx, visual/model.onnx)'}`,
    `embedding dim:  ${i.dim}`,
    `context length: ${i.contextLength} tokens${i.stretched ? ' (positional embeddings stretched)' : ''}`,
    `text input:     ${i.textInput}`,
    `image input:    3×${p.height}×${p.width} (H×W), ${resize}, ${p.interpolation}`,
    `normalisation:  rescale ${p.rescaleFactor.toPrecision(6)}, mean [${p.mean.join(', ')}], std [${p.std.join(', ')}]`,
    '',
  ].join('\n');
}
