import { CtgiError } from '../errors/ctgi-error.js';
import { preprocessImageFileInto } from '../vision/clip-preprocess.js';
import type { ImageLimits } from '../vision/image-limits.js';
import { vectorsOrFirstError, type ImageEmbedding, type ImageEncoder } from './encoder.js';
import { imageTowerIo, normalizeRows, type TowerIo } from './graph-io.js';
import { readModelDir, requireFile, type ModelDir } from './model-dir.js';
import { openOnnxSession, type OnnxSession } from './onnx-runtime.js';

export interface ImageEncoderOptions {
  /** Images per inference call (graphs with a fixed batch of 1 are looped). */
  batchSize?: number;
  intraOpThreads?: number;
  limits?: ImageLimits;
}


/**
 * CLIP vision tower on ONNX Runtime. Decoding and preprocessing of the next batch (sharp, on libuv's
 * thread pool) overlaps inference of the current one, so the full file → vector path keeps pace with
 * raw inference.
 */
export class OnnxClipImageEncoder implements ImageEncoder {
  readonly modelId: string;
  private constructor(
    readonly model: ModelDir,
    private readonly session: OnnxSession,
    private readonly io: TowerIo,
    private readonly batchSize: number,
    private readonly limits: ImageLimits | undefined,
    private dimension: number,
  ) {
    this.modelId = model.modelId;
  }

  get dim(): number {
    return this.dimension;
  }

  /** Opens the vision tower of a model directory. @throws CtgiError naming what is wrong. */
  static async open(dirOrModel: string | ModelDir, options: ImageEncoderOptions = {}): Promise<OnnxClipImageEncoder> {
    const model = typeof dirOrModel === 'string' ? await readModelDir(dirOrModel) : dirOrModel;
    await requireFile(model.visionModelPath, 'image encoder');
    const session = await openOnnxSession(model.visionModelPath, model.visionModelPath, { intraOpThreads: options.intraOpThreads });
    try {
      const io = imageTowerIo(session);
      const [channels, height, width] = io.fixedDims;
      const { height: h, width: w } = model.preprocess;
      if ((channels !== undefined && channels !== 3) || (height !== undefined && height !== h) || (width !== undefined && width !== w)) {
        throw new CtgiError(
          'MODEL_INVALID',
          `${model.visionModelPath} expects input [${io.input.shape.join(', ')}] but the preprocessing config gives 3×${h}×${w}.`,
        );
      }
      const encoder = new OnnxClipImageEncoder(model, session, io, Math.max(1, options.batchSize ?? 16), options.limits, 0);
      const probe = await encoder.runTensor(new Float32Array(3 * h * w), 1);
      encoder.dimension = probe[0].length;
      if (model.dim !== undefined && model.dim !== encoder.dimension) {
        throw new CtgiError('MODEL_INVALID', `${model.configPath} declares dimension ${model.dim} but the image encoder outputs ${encoder.dimension}.`);
      }
      return encoder;
    } catch (err) {
      await session.close();
      throw err;
    }
  }

  /** Pixels per image in the model's input tensor (3 × height × width). */
  get imageSize(): number {
    return 3 * this.model.preprocess.height * this.model.preprocess.width;
  }

  /** Embeds image files in order. @throws CtgiError for the first image that cannot be read. */
  async embedImageFiles(paths: string[]): Promise<Float32Array[]> {
    return vectorsOrFirstError(await this.embedImageFilesSettled(paths));
  }

  /**
   * Embeds image files in order; an unreadable image becomes a failed entry and the rest go on.
   * `onProgress` is called after each batch with the number of images done.
   */
  async embedImageFilesSettled(paths: string[], onProgress?: (done: number) => void): Promise<ImageEmbedding[]> {
    const results: ImageEmbedding[] = [];
    const chunks: string[][] = [];
    for (let i = 0; i < paths.length; i += this.batchSize) chunks.push(paths.slice(i, i + this.batchSize));
    let next = chunks.length > 0 ? this.prepare(chunks[0]) : undefined;
    for (let c = 0; c < chunks.length; c++) {
      const prepared = await next!;
      // Start decoding the next batch before this one occupies the cores with inference.
      next = c + 1 < chunks.length ? this.prepare(chunks[c + 1]) : undefined;
      const vectors = prepared.count > 0 ? await this.runTensor(prepared.tensor, prepared.count) : [];
      let v = 0;
      for (const entry of prepared.entries) {
        results.push(entry.ok ? { path: entry.path, ok: true, vector: vectors[v++] } : entry);
      }
      onProgress?.(results.length);
    }
    return results;
  }

  /** Decodes a chunk into one packed tensor; failed images are left out and reported. */
  private async prepare(paths: string[]): Promise<{ tensor: Float32Array; count: number; entries: Array<{ path: string; ok: true } | { path: string; ok: false; error: Error }> }> {
    const size = this.imageSize;
    const staging = new Float32Array(size * paths.length);
    const settled = await Promise.allSettled(paths.map((p, i) => preprocessImageFileInto(p, this.model.preprocess, staging, i * size, this.limits)));
    let count = 0;
    const entries = settled.map((s, i) => {
      if (s.status === 'rejected') return { path: paths[i], ok: false as const, error: s.reason instanceof Error ? s.reason : new Error(String(s.reason)) };
      if (count !== i) staging.copyWithin(count * size, i * size, (i + 1) * size);
      count++;
      return { path: paths[i], ok: true as const };
    });
    return { tensor: count === paths.length ? staging : staging.subarray(0, count * size), count, entries };
  }

  /**
   * Runs already-preprocessed pixels ([count, 3, H, W] packed) through the tower: the raw-inference path
   * the benchmark compares the full path with.
   */
  async runTensor(pixels: Float32Array, count: number): Promise<Float32Array[]> {
    const { height, width } = this.model.preprocess;
    const size = this.imageSize;
    const step = this.io.batchOfOne ? 1 : count;
    const out: Float32Array[] = [];
    for (let start = 0; start < count; start += step) {
      const n = Math.min(step, count - start);
      const data = pixels.subarray(start * size, (start + n) * size);
      const result = (await this.session.run({ [this.io.input.name]: { type: 'float32', data, dims: [n, 3, height, width] } }, [this.io.output.name]))[
        this.io.output.name
      ];
      if (result.dims.length !== 2 || result.dims[0] !== n) {
        throw new CtgiError('MODEL_UNSUPPORTED', `Output ${this.io.output.name} of ${this.model.visionModelPath} has shape [${result.dims.join(', ')}], expected [batch, dim].`);
      }
      out.push(...normalizeRows(result.data, n, result.dims[1]));
    }
    return out;
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}
