import type { ImageLimits } from '../vision/image-io.js';
import { OnnxClipImageEncoder } from './clip-image-encoder.js';
import { OnnxClipTextEncoder } from './clip-text-encoder.js';
import type { ImageEncoder, TextEncoder } from './encoder.js';
import type { PreprocessSpec } from '../vision/preprocess-spec.js';

/** What an index manifest records about the model behind an image encoder. */
export interface EncoderDescription {
  id: string;
  dir: string;
  layout: 'hf' | 'immich' | 'demo';
  dim: number;
  contextLength: number;
  preprocess: PreprocessSpec | null;
}

/** Opens the image tower of a model directory. */
export async function openImageEncoder(
  dir: string,
  options: { batchSize?: number; limits?: ImageLimits } = {},
): Promise<{ encoder: ImageEncoder; description: EncoderDescription }> {
  const encoder = await OnnxClipImageEncoder.open(dir, options);
  const m = encoder.model;
  return {
    encoder,
    description: { id: encoder.modelId, dir: m.dir, layout: m.layout, dim: encoder.dim, contextLength: m.contextLength, preprocess: m.preprocess },
  };
}

/** Opens the text tower of a model directory. */
export async function openTextEncoder(dir: string, options: { contextLength?: number } = {}): Promise<TextEncoder> {
  return OnnxClipTextEncoder.open(dir, options);
}
