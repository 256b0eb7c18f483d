import onnxProto from 'onnx-proto';
import { CtgiError } from '../../errors/ctgi-error.js';

export const { onnx } = onnxProto;
export type ModelProto = onnxProto.onnx.ModelProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type NodeProto = onnxProto.onnx.INodeProto;

export const DataType = onnx.TensorProto.DataType;

/** Decodes ONNX protobuf bytes. @throws CtgiError MODEL_INVALID naming the file. */
export function decodeModel(bytes: Uint8Array, label: string): ModelProto {
  try {
    const model = onnx.ModelProto.decode(bytes);
    if (!model.graph) throw new Error('no graph');
    return model;
  } catch (err) {
    throw new CtgiError('MODEL_INVALID', `${label} is not a readable ONNX model: ${(err as Error).message}.`, { cause: err });
  }
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** Plain number for an int64 field that protobufjs may hand back as a Long. */
export function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

export function dimsOf(t: TensorProto): number[] {
  return (t.dims ?? []).map((d) => toNumber(d as number));
}

function assertInternal(t: TensorProto, label: string): void {
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0) {
    throw new CtgiError('MODEL_UNSUPPORTED', `Tensor ${t.name} of ${label} is stored as external data, which stretching does not support yet.`);
  }
}

/** Reads a FLOAT tensor's values. @throws CtgiError MODEL_UNSUPPORTED for other types or external data. */
export function readFloats(t: TensorProto, label: string): Float32Array {
  assertInternal(t, label);
  if (t.dataType !== DataType.FLOAT) {
    throw new CtgiError('MODEL_UNSUPPORTED', `Tensor ${t.name} of ${label} has ONNX data type ${t.dataType}; stretching supports float32 graphs only.`);
  }
  if (t.rawData && t.rawData.length > 0) {
    const copy = new Uint8Array(t.rawData);
    return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}

/** Reads an INT64 (or INT32) tensor's values as numbers. */
export function readInts(t: TensorProto, label: string): number[] {
  assertInternal(t, label);
  if (t.dataType === DataType.INT64) {
    if (t.rawData && t.rawData.length > 0) {
      const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
      return Array.from({ length: t.rawData.byteLength / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
    }
    return (t.int64Data ?? []).map((v) => toNumber(v as number));
  }
  if (t.dataType === DataType.INT32) {
    if (t.rawData && t.rawData.length > 0) {
      const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
      return Array.from({ length: t.rawData.byteLength / 4 }, (_, i) => view.getInt32(i * 4, true));
    }
    return [...(t.int32Data ?? [])];
  }
  throw new CtgiError('MODEL_UNSUPPORTED', `Tensor ${t.name} of ${label} is not an integer tensor.`);
}

/** Replaces a tensor's contents with float32 values of the given shape (raw little-endian storage). */
export function writeFloats(t: TensorProto, values: Float32Array, dims: number[]): void {
  t.dims = dims;
  t.dataType = DataType.FLOAT;
  t.floatData = [];
  t.rawData = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}

/** Replaces a tensor's contents with integers of its own type (INT64 or INT32) and the given shape. */
export function writeInts(t: TensorProto, values: number[], dims: number[]): void {
  t.dims = dims;
  if (t.dataType === DataType.INT32) {
    t.int32Data = [];
    t.rawData = new Uint8Array(Int32Array.from(values).buffer);
  } else {
    t.dataType = DataType.INT64;
    t.int64Data = [];
    t.rawData = new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer);
  }
}
