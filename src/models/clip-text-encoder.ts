import { CtgiError } from '../errors/ctgi-error.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { findTokenizerFiles, loadTokenizer } from '../text/vocab-loader.js';
import type { TextEncoder } from './encoder.js';
import { normalizeRows, textTowerIo, type TowerIo } from './graph-io.js';
import { readModelDir, requireFile, type ModelDir } from './model-dir.js';
import { openOnnxSession, type OnnxSession, type OnnxTensor } from './onnx-runtime.js';

export interface TextEncoderOptions {
  /** Tokens per text; at most what the model accepts. Defaults to the model's context length. */
  contextLength?: number;
  /** Texts per inference call (graphs with a fixed batch of 1 are looped). */
  batchSize?: number;
  intraOpThreads?: number;
}

/**
 * CLIP text tower on ONNX Runtime, for both directory layouts. CLIP's text transformer is causal and
 * pools at the first EOT, so padding after EOT cannot change the embedding: where the graph accepts a
 * dynamic sequence length, each batch runs at its longest real length instead of the full context.
 */
export class OnnxClipTextEncoder implements TextEncoder {
  readonly modelId: string;
  readonly contextLength: number;
  private constructor(
    readonly model: ModelDir,
    readonly tokenizer: Tokenizer,
    private readonly session: OnnxSession,
    private readonly io: TowerIo,
    contextLength: number,
    private readonly batchSize: number,
    private dimension: number,
  ) {
    this.modelId = model.modelId;
    this.contextLength = contextLength;
  }

  get dim(): number {
    return this.dimension;
  }

  /** The token input as the graph declares it, e.g. `input_ids int64 [batch_size, sequence_length]`. */
  get inputDescription(): string {
    const { input, attentionMask, fixedDims, batchOfOne } = this.io;
    const parts = [`${input.name} ${input.type} [${input.shape.join(', ')}]`];
    if (attentionMask) parts.push(`+ ${attentionMask.name}`);
    parts.push(fixedDims[0] === undefined ? '(dynamic length: each batch runs at its longest text)' : '(fixed length: padded)');
    if (batchOfOne) parts.push('(batch of 1: looped)');
    return parts.join(' ');
  }

  /** Opens the text tower of a model directory. @throws CtgiError naming what is wrong. */
  static async open(dirOrModel: string | ModelDir, options: TextEncoderOptions = {}): Promise<OnnxClipTextEncoder> {
    const model = typeof dirOrModel === 'string' ? await readModelDir(dirOrModel) : dirOrModel;
    await requireFile(model.textModelPath, 'text encoder');
    const tokenizer = await loadTokenizer(await findTokenizerFiles(model.dir));
    const session = await openOnnxSession(model.textModelPath, model.textModelPath, { intraOpThreads: options.intraOpThreads });
    try {
      const io = textTowerIo(session);
      const graphLength = io.fixedDims[0];
      const capacity = graphLength ?? model.contextLength;
      if (graphLength !== undefined && graphLength !== model.contextLength) {
        throw new CtgiError(
          'MODEL_INVALID',
          `${model.configPath} declares a context length of ${model.contextLength} but ${model.textModelPath} takes ${graphLength} tokens.`,
        );
      }
      const contextLength = options.contextLength ?? capacity;
      if (!Number.isInteger(contextLength) || contextLength < 2 || contextLength > capacity) {
        throw new CtgiError(
          'BAD_INPUT',
          `Context length ${contextLength} is not possible with ${model.modelId}: it accepts 2 to ${capacity} tokens` +
            (capacity < 248 ? ' (`ctgi model stretch` makes a 248-token copy).' : '.'),
        );
      }
      const encoder = new OnnxClipTextEncoder(model, tokenizer, session, io, contextLength, Math.max(1, options.batchSize ?? 32), 0);
      const probe = await encoder.embedTokenIds([[tokenizer.sot, tokenizer.eot]]);
      encoder.dimension = probe[0].length;
      if (model.dim !== undefined && model.dim !== encoder.dimension) {
        throw new CtgiError('MODEL_INVALID', `${model.configPath} declares dimension ${model.dim} but the text encoder outputs ${encoder.dimension}.`);
      }
      return encoder;
    } catch (err) {
      await session.close();
      throw err;
    }
  }

  countTokens(text: string): number {
    return this.tokenizer.encodeRaw(text).length + 2;
  }

  /** Embeds texts (tokenised and truncated to the context length). */
  async embedTexts(texts: string[]): Promise<Float32Array[]> {
    return this.embedTokenIds(texts.map((t) => this.tokenizer.encode(t, this.contextLength)));
  }

  /**
   * Embeds token-id sequences (SOT … EOT, unpadded). `trim: false` pads every batch to the full context
   * length, as a naive encoder would; the result is the same (the benchmark and tests compare both).
   */
  async embedTokenIds(sequences: number[][], options: { trim?: boolean } = {}): Promise<Float32Array[]> {
    const trim = options.trim ?? true;
    const step = this.io.batchOfOne ? 1 : this.batchSize;
    const out: Float32Array[] = [];
    for (let start = 0; start < sequences.length; start += step) {
      const batch = sequences.slice(start, start + step);
      out.push(...(await this.runBatch(batch, trim)));
    }
    return out;
  }

  private async runBatch(batch: number[][], trim: boolean): Promise<Float32Array[]> {
    const fixedLength = this.io.fixedDims[0];
    const longest = Math.max(...batch.map((ids) => ids.length));
    if (longest > this.contextLength) {
      throw new CtgiError('BAD_INPUT', `A token sequence of ${longest} ids exceeds the context length ${this.contextLength}.`);
    }
    const length = fixedLength ?? (trim ? longest : this.contextLength);
    const size = batch.length * length;
    const int64 = this.io.input.type === 'int64';
    const ids = int64 ? new BigInt64Array(size) : new Int32Array(size);
    const mask = this.io.attentionMask ? (this.io.attentionMask.type === 'int64' ? new BigInt64Array(size) : new Int32Array(size)) : undefined;
    batch.forEach((seq, row) => {
      for (let i = 0; i < seq.length; i++) {
        const at = row * length + i;
        if (ids instanceof BigInt64Array) ids[at] = BigInt(seq[i]);
        else ids[at] = seq[i];
        if (mask instanceof BigInt64Array) mask[at] = 1n;
        else if (mask) mask[at] = 1;
      }
    });
    const dims = [batch.length, length];
    const feeds: Record<string, OnnxTensor> = {
      [this.io.input.name]: ids instanceof BigInt64Array ? { type: 'int64', data: ids, dims } : { type: 'int32', data: ids, dims },
    };
    if (this.io.attentionMask && mask) {
      feeds[this.io.attentionMask.name] = mask instanceof BigInt64Array ? { type: 'int64', data: mask, dims } : { type: 'int32', data: mask, dims };
    }
    const result = (await this.session.run(feeds, [this.io.output.name]))[this.io.output.name];
    const dim = result.dims[result.dims.length - 1];
    if (result.dims.length !== 2 || result.dims[0] !== batch.length) {
      throw new CtgiError('MODEL_UNSUPPORTED', `Output ${this.io.output.name} of ${this.model.textModelPath} has shape [${result.dims.join(', ')}], expected [batch, dim].`);
    }
    return normalizeRows(result.data, batch.length, dim);
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}
