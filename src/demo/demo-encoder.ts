import { open } from 'node:fs/promises';
import { CtgiError, isCtgiError } from '../errors/ctgi-error.js';
import type { ImageEmbedding, ImageEncoder, TextEncoder } from '../models/encoder.js';
import { decodeRgb, DEFAULT_IMAGE_LIMITS, type ImageLimits } from '../vision/image-io.js';
import { DEMO_DIM, evidenceVector, SLOTS, type AttributeEvidence } from './attributes.js';
import { readAttributes } from './pixel-reader.js';
import { parseDescription } from './text-parser.js';

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
    const results = await this.embedImageFilesSettled(paths);
    const failed = results.find((r) => !r.ok);
    if (failed && !failed.ok) throw failed.error;
    return results.map((r) => (r as { vector: Float32Array }).vector);
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
    const data = await readLimited(path, this.limits);
    return demoVector(readAttributes(await decodeRgb(data, path, { limits: this.limits })));
  }

  async close(): Promise<void> {}
}

/** Every slot, every value equally likely: what "anyone" looks like. */
const NO_EVIDENCE: AttributeEvidence = Object.fromEntries(SLOTS.map((s) => [s.key, Object.fromEntries(s.values.map((v) => [v, 1 / s.values.length]))]));

/**
 * evidenceVector, except that text or an image with no evidence at all becomes the "anyone" vector, which
 * ranks every image alike, instead of a zero vector that the L2-normalised contract forbids.
 */
export function demoVector(evidence: AttributeEvidence): Float32Array {
  return evidenceVector(Object.keys(evidence).length > 0 ? evidence : NO_EVIDENCE);
}

/** Reads a file whole, refusing it before reading when it is over the byte limit. */
async function readLimited(path: string, limits: ImageLimits): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw fileError(path, err);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new CtgiError('IMAGE_INVALID', `Cannot read image ${path}: it is not a regular file.`);
    if (stats.size > limits.maxBytes) {
      throw new CtgiError('IMAGE_TOO_LARGE', `Image ${path} is ${stats.size} bytes, over the limit of ${limits.maxBytes}; shrink the file or raise CTGI_MAX_IMAGE_BYTES.`);
    }
    return await handle.readFile();
  } catch (err) {
    throw isCtgiError(err) ? err : fileError(path, err);
  } finally {
    await handle.close();
  }
}

function fileError(path: string, err: unknown): CtgiError {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new CtgiError('NOT_FOUND', `Image file ${path} does not exist; check the path.`, { cause: err });
  const reason = code === 'EISDIR' ? 'it is a directory, not a file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : `the file could not be read (${typeof code === 'string' ? code : 'I/O error'})`;
  return new CtgiError('IMAGE_INVALID', `Cannot read image ${path}: ${reason}.`, { cause: err });
}
