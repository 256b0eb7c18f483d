import { CtgiError } from '../errors/ctgi-error.js';
import type { OnnxSession, OnnxValueInfo } from './onnx-runtime.js';

/** How the encoder talks to one CLIP tower, found by introspecting its graph's inputs and outputs. */
export interface TowerIo {
  input: OnnxValueInfo;
  /** Hugging Face text exports may take an `attention_mask` beside the ids. */
  attentionMask: OnnxValueInfo | undefined;
  output: OnnxValueInfo;
  /** The batch dimension is fixed at 1: batches are run one item at a time. */
  batchOfOne: boolean;
  /** Fixed sizes of the non-batch input dims (undefined where dynamic). */
  fixedDims: Array<number | undefined>;
}

/** Output names the encoders take as the text embedding, in order of preference. */
export const TEXT_OUTPUTS = ['text_embeds', 'embedding', 'embeddings', 'text_embeddings', 'text_features'];
/** Output names the encoders take as the image embedding, in order of preference. */
export const IMAGE_OUTPUTS = ['image_embeds', 'embedding', 'embeddings', 'image_embeddings', 'image_features'];

function describe(values: OnnxValueInfo[]): string {
  return values.map((v) => `${v.name} (${v.type} [${v.shape.join(', ')}])`).join(', ') || 'none';
}

function pickOutput(session: OnnxSession, preferred: string[]): OnnxValueInfo {
  const floats = session.outputs.filter((o) => o.type === 'float32');
  const named = preferred.map((n) => floats.find((o) => o.name === n)).find((o) => o !== undefined);
  const chosen = named ?? (floats.length === 1 ? floats[0] : undefined);
  if (!chosen) {
    throw new CtgiError(
      'MODEL_UNSUPPORTED',
      `Cannot tell which output of ${session.path} is the embedding: expected one of ${preferred.join(', ')}; the graph has ${describe(session.outputs)}.`,
    );
  }
  return chosen;
}

function batchOfOne(session: OnnxSession, input: OnnxValueInfo): boolean {
  const b = input.shape[0];
  if (typeof b === 'number' && b !== 1) {
    throw new CtgiError('MODEL_UNSUPPORTED', `Input ${input.name} of ${session.path} has a fixed batch size of ${b}; only 1 or a dynamic batch is supported.`);
  }
  return b === 1;
}

function fixed(shape: ReadonlyArray<number | string>): Array<number | undefined> {
  return shape.slice(1).map((d) => (typeof d === 'number' && d > 0 ? d : undefined));
}

/**
 * Finds the token-id input (int64 or int32), the optional attention mask and the embedding output.
 * @throws CtgiError MODEL_UNSUPPORTED listing what the graph has.
 */
export function textTowerIo(session: OnnxSession): TowerIo {
  const attentionMask = session.inputs.find((i) => /attention_mask/i.test(i.name));
  const ids = session.inputs.filter((i) => i !== attentionMask);
  if (ids.length !== 1 || (ids[0].type !== 'int64' && ids[0].type !== 'int32') || ids[0].shape.length !== 2) {
    throw new CtgiError(
      'MODEL_UNSUPPORTED',
      `${session.path} is not a CLIP text encoder this tool understands: expected one int64/int32 token-id input of shape [batch, sequence] (plus an optional attention_mask); it has ${describe(session.inputs)}.`,
    );
  }
  if (attentionMask && attentionMask.type !== 'int64' && attentionMask.type !== 'int32') {
    throw new CtgiError('MODEL_UNSUPPORTED', `The attention_mask input of ${session.path} is ${attentionMask.type}; expected int64 or int32.`);
  }
  const input = ids[0];
  return { input, attentionMask, output: pickOutput(session, TEXT_OUTPUTS), batchOfOne: batchOfOne(session, input), fixedDims: fixed(input.shape) };
}

/**
 * Finds the pixel input (float32 [batch, 3, H, W]) and the embedding output.
 * @throws CtgiError MODEL_UNSUPPORTED listing what the graph has.
 */
export function imageTowerIo(session: OnnxSession): TowerIo {
  const inputs = session.inputs;
  if (inputs.length !== 1 || inputs[0].type !== 'float32' || inputs[0].shape.length !== 4) {
    throw new CtgiError(
      'MODEL_UNSUPPORTED',
      `${session.path} is not a CLIP image encoder this tool understands: expected one float32 input of shape [batch, 3, height, width]; it has ${describe(inputs)}.`,
    );
  }
  const input = inputs[0];
  return { input, attentionMask: undefined, output: pickOutput(session, IMAGE_OUTPUTS), batchOfOne: batchOfOne(session, input), fixedDims: fixed(input.shape) };
}

/** L2-normalises each row of a [rows, dim] buffer into separate vectors. */
export function normalizeRows(data: Float32Array, rows: number, dim: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let r = 0; r < rows; r++) {
    const v = data.slice(r * dim, (r + 1) * dim);
    let sum = 0;
    for (let i = 0; i < dim; i++) sum += v[i] * v[i];
    const norm = Math.sqrt(sum);
    if (norm > 0) for (let i = 0; i < dim; i++) v[i] /= norm;
    out.push(v);
  }
  return out;
}
