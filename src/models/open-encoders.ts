import { resolve } from 'node:path';
import { DEMO_DIM } from '../demo/attributes.js';
import { DemoImageEncoder, DemoTextEncoder } from '../demo/demo-encoder.js';
import { isDemoModelDir } from '../demo/demo-model.js';
import type { ImageLimits } from '../vision/image-limits.js';
import type { PreprocessSpec } from '../vision/preprocess-spec.js';
import { OnnxClipImageEncoder } from './clip-image-encoder.js';
import { OnnxClipTextEncoder } from './clip-text-encoder.js';
import type { ImageEncoder, TextEncoder } from './encoder.js';

/** What an index manifest records about the model behind an image encoder. */
export interface EncoderDescription {
  id: string;
  dir: string;
  layout: 'hf' | 'immich' | 'demo';
  dim: number;
  contextLength: number;
  preprocess: PreprocessSpec | null;
}

/**
 * Opens the image tower of a model directory: an ONNX CLIP export, or the demo world's attribute
 * encoder when the directory carries its marker (the manifest then records layout `demo`, so the two
 * can never share an index).
 */
export async function openImageEncoder(
  dir: string,
  options: { batchSize?: number; limits?: ImageLimits } = {},
): Promise<{ encoder: ImageEncoder; description: EncoderDescription }> {
  if (await isDemoModelDir(dir)) {
    const encoder = new DemoImageEncoder({ limits: options.limits });
    return { encoder, description: { id: encoder.modelId, dir: resolve(dir), layout: 'demo', dim: DEMO_DIM, contextLength: 248, preprocess: null } };
  }
  const encoder = await OnnxClipImageEncoder.open(dir, options);
  const m = encoder.model;
  return {
    encoder,
    description: { id: encoder.modelId, dir: m.dir, layout: m.layout, dim: encoder.dim, contextLength: m.contextLength, preprocess: m.preprocess },
  };
}

/** Opens the text tower of a model directory (ONNX CLIP, or the demo encoder when marked). */
export async function openTextEncoder(dir: string, options: { contextLength?: number; batchSize?: number } = {}): Promise<TextEncoder> {
  if (await isDemoModelDir(dir)) return new DemoTextEncoder();
  return OnnxClipTextEncoder.open(dir, options);
}
