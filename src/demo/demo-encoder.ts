import { vectorsOrFirstError, type ImageEmbedding, type ImageEncoder, type TextEncoder } from '../models/encoder.js';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from '../vision/image-limits.js';
import { decodeRgbFile } from '../vision/rgb-decode.js';
import { DEMO_DIM, evidenceVector, DEMO_SLOTS, type AttributeEvidence } from './attributes.js';
import { readAttributes } from './pixel-reader.js';
import { parseDescription } from '../attributes/description-parser.js';

/** The model id both demo encoders report; gallery manifests record it so a demo index never mixes with CLIP. */
export const DEMO_MODEL_ID = 'ctgi-demo-encoder-v1';

/** The demo text side has no real token limit; this matches a stretched CLIP so long queries are never cut. */
const DEMO_CONTEXT_LENGTH = 248;

/**
 * Embeds text for the synthetic demo world: attribute phrases parsed from the text (parseDescription),
 * laid out by evidenceVector. Not CLIP: it only understands the demo world's attributes.
 */
export class DemoTextEncoder implements TextEncoder {
  readonly modelId = DEMO_MODEL_ID;
  readonly dim = DEMO_DIM;
  readonly contextLength = DEMO_CONTEXT_LENGTH;

  async embedTexts(texts: string[]): Promise<Float32Array[]> {
    return texts.map((text) => demoVector(parseDescription(text)));
  }

  /** Words plus the two markers a CLIP tokenizer would add, so length checks behave alike. */
  countTokens(text: string): number {
    return (text.match(/\S+/g)?.length ?? 0) + 2;
  }

  async close(): Promise<void> {}
}

export interface DemoImageEncoderOptions {
  limits?: ImageLimits;
  /** Images decoded at once (default 4). */
  concurrency?: number;
}

/**
 * Embeds images of the synthetic demo world: attribute evidence read from the pixels (readAttributes,
 * never the ground truth), laid out by evidenceVector.
 */
export class DemoImageEncoder implements ImageEncoder {
  readonly modelId = DEMO_MODEL_ID;
  readonly dim = DEMO_DIM;
  private readonly limits: ImageLimits;
  private readonly concurrency: number;

  constructor(options: DemoImageEncoderOptions = {}) {
    this.limits = options.limits ?? DEFAULT_IMAGE_LIMITS;
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  }

  /** Embeds image files in order. @throws CtgiError for the first image that cannot be read. */
  async embedImageFiles(paths: string[]): Promise<Float32Array[]> {
    return vectorsOrFirstError(await this.embedImageFilesSettled(paths));
  }

  async embedImageFilesSettled(paths: string[], onProgress?: (done: number) => void): Promise<ImageEmbedding[]> {
    const results = new Array<ImageEmbedding>(paths.length);
    let next = 0;
    let done = 0;
    const worker = async (): Promise<void> => {
      while (next < paths.length) {
        const i = next++;
        const path = paths[i];
        try {
          results[i] = { path, ok: true, vector: await this.embedFile(path) };
        } catch (err) {
          results[i] = { path, ok: false, error: err instanceof Error ? err : new Error(String(err)) };
        }
        onProgress?.(++done);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, paths.length) }, worker));
    return results;
  }

  /** The vector of one image file. @throws CtgiError NOT_FOUND, IMAGE_TOO_LARGE or IMAGE_INVALID naming it. */
  async embedFile(path: string): Promise<Float32Array> {
    return demoVector(readAttributes(await decodeRgbFile(path, { limits: this.limits })));
  }

  async close(): Promise<void> {}
}

/** Every slot, every value equally likely: what "anyone" looks like. */
const NO_EVIDENCE: AttributeEvidence = Object.fromEntries(DEMO_SLOTS.map((s) => [s.key, Object.fromEntries(s.values.map((v) => [v, 1 / s.values.length]))]));

/**
 * evidenceVector, except that text or an image with no evidence at all becomes the "anyone" vector, which
 * ranks every image alike, instead of a zero vector that the L2-normalised contract forbids.
 */
export function demoVector(evidence: AttributeEvidence): Float32Array {
  return evidenceVector(Object.keys(evidence).length > 0 ? evidence : NO_EVIDENCE);
}

