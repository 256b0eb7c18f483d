// The only module that imports onnxruntime-node: everything else sees plain typed arrays.
import * as ort from 'onnxruntime-node';
import { CtgiError } from '../errors/ctgi-error.js';

export type OnnxElementType = 'float32' | 'int64' | 'int32' | 'other';

/** One input or output of a graph as the runtime reports it; symbolic dims are strings. */
export interface OnnxValueInfo {
  name: string;
  type: OnnxElementType;
  shape: ReadonlyArray<number | string>;
}

/** A tensor handed to or returned by a session. */
export type OnnxTensor =
  | { type: 'float32'; data: Float32Array; dims: number[] }
  | { type: 'int64'; data: BigInt64Array; dims: number[] }
  | { type: 'int32'; data: Int32Array; dims: number[] };

export interface OnnxSessionOptions {
  /** Threads for one operator; 0 lets the runtime use every core. */
  intraOpThreads?: number;
}

/** A loaded ONNX graph ready for inference. */
export interface OnnxSession {
  readonly path: string;
  readonly inputs: OnnxValueInfo[];
  readonly outputs: OnnxValueInfo[];
  /** Runs the graph and returns the requested float outputs. */
  run(feeds: Record<string, OnnxTensor>, outputNames: string[]): Promise<Record<string, { data: Float32Array; dims: number[] }>>;
  close(): Promise<void>;
}

function elementType(t: string): OnnxElementType {
  return t === 'float32' || t === 'int64' || t === 'int32' ? t : 'other';
}

function valueInfos(meta: readonly ort.InferenceSession.ValueMetadata[]): OnnxValueInfo[] {
  return meta.map((m) =>
    m.isTensor ? { name: m.name, type: elementType(m.type), shape: [...m.shape] } : { name: m.name, type: 'other', shape: [] },
  );
}

/**
 * Opens an ONNX file (or in-memory graph bytes) on the CPU execution provider.
 * @throws CtgiError MODEL_INVALID when the runtime cannot load the graph.
 */
export async function openOnnxSession(source: string | Uint8Array, label: string, options: OnnxSessionOptions = {}): Promise<OnnxSession> {
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: options.intraOpThreads ?? 0,
  };
  let session: ort.InferenceSession;
  try {
    session =
      typeof source === 'string'
        ? await ort.InferenceSession.create(source, sessionOptions)
        : await ort.InferenceSession.create(source, sessionOptions);
  } catch (err) {
    const reason = String((err as Error)?.message ?? err).split('\n')[0].slice(0, 300);
    throw new CtgiError('MODEL_INVALID', `ONNX Runtime cannot load ${label}: ${reason}`, { cause: err });
  }
  let released: Promise<void> | undefined;
  return {
    path: label,
    inputs: valueInfos(session.inputMetadata),
    outputs: valueInfos(session.outputMetadata),
    async run(feeds, outputNames) {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(t.type, t.data, t.dims);
      let result: ort.InferenceSession.ReturnType;
      try {
        result = await session.run(ortFeeds, outputNames);
      } catch (err) {
        const reason = String((err as Error)?.message ?? err).split('\n')[0].slice(0, 300);
        throw new CtgiError('MODEL_INVALID', `Inference failed in ${label}: ${reason}`, { cause: err });
      }
      const out: Record<string, { data: Float32Array; dims: number[] }> = {};
      for (const name of outputNames) {
        const t = result[name];
        if (!t || t.type !== 'float32') {
          throw new CtgiError('MODEL_UNSUPPORTED', `Output "${name}" of ${label} is ${t ? t.type : 'missing'}, expected float32.`);
        }
        out[name] = { data: t.data as Float32Array, dims: [...t.dims] };
      }
      return out;
    },
    close() {
      // Idempotent, as the encoder ports promise: releasing twice would throw from the runtime.
      released ??= session.release();
      return released;
    },
  };
}
