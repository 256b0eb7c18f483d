import { CtgiError } from '../errors/ctgi-error.js';
import { DataType, onnx, writeFloats, type ModelProto } from '../models/pes/onnx-proto-io.js';
import type { SideWeights } from './adapter-weights.js';

/** Prefix of what the adapter adds to a graph; numbered when the graph was adapted before. */
function freePrefix(model: ModelProto): string {
  const taken = new Set((model.graph!.initializer ?? []).map((t) => t.name));
  let n = 0;
  while (taken.has(`ctgi_adapter${n || ''}_down`)) n++;
  return `ctgi_adapter${n || ''}`;
}

/**
 * Appends the residual map y = x + (x·down)·up to the embedding output of a tower graph, in place: the node
 * that produced the output now writes `<output>_ctgi_adapter_base`, and two MatMuls and an Add rebuild the output
 * under its own name, so encoders find the same input and output names as before.
 * @param preferred output names in the order the encoder picks them (graph-io's lists).
 * @throws CtgiError MODEL_UNSUPPORTED when the embedding output cannot be found or has another width.
 */
export function appendAdapter(model: ModelProto, w: SideWeights, dim: number, rank: number, preferred: readonly string[], label: string): string {
  const graph = model.graph!;
  const floats = (graph.output ?? []).filter((o) => o.type?.tensorType?.elemType === DataType.FLOAT);
  const output = preferred.map((n) => floats.find((o) => o.name === n)).find((o) => o !== undefined) ?? (floats.length === 1 ? floats[0] : undefined);
  if (!output?.name) {
    throw new CtgiError('MODEL_UNSUPPORTED', `Cannot tell which output of ${label} is the embedding (expected one of ${preferred.join(', ')}), so no adapter can be attached.`);
  }
  const dims = output.type?.tensorType?.shape?.dim ?? [];
  const last = dims.length > 0 ? Number(dims[dims.length - 1].dimValue ?? 0) : 0;
  if (dims.length !== 2 || (last !== 0 && last !== dim)) {
    throw new CtgiError('MODEL_UNSUPPORTED', `The output ${output.name} of ${label} is not a [batch, ${dim}] embedding, so no adapter can be attached.`);
  }
  const name = output.name;
  const PREFIX = freePrefix(model);
  const base = `${name}_${PREFIX}_base`;
  const nodes = graph.node ?? [];
  if (!nodes.some((n) => (n.output ?? []).includes(name))) {
    throw new CtgiError('MODEL_UNSUPPORTED', `No node of ${label} produces its output ${name}, so no adapter can be attached.`);
  }
  for (const node of nodes) {
    node.output = (node.output ?? []).map((o) => (o === name ? base : o));
    node.input = (node.input ?? []).map((i) => (i === name ? base : i));
  }
  const down = onnx.TensorProto.create({ name: `${PREFIX}_down` });
  writeFloats(down, w.down, [dim, rank]);
  const up = onnx.TensorProto.create({ name: `${PREFIX}_up` });
  writeFloats(up, w.up, [rank, dim]);
  graph.initializer = [...(graph.initializer ?? []), down, up];
  graph.node = [
    ...nodes,
    onnx.NodeProto.create({ name: `${PREFIX}_matmul_down`, opType: 'MatMul', input: [base, `${PREFIX}_down`], output: [`${PREFIX}_low`] }),
    onnx.NodeProto.create({ name: `${PREFIX}_matmul_up`, opType: 'MatMul', input: [`${PREFIX}_low`, `${PREFIX}_up`], output: [`${PREFIX}_delta`] }),
    onnx.NodeProto.create({ name: `${PREFIX}_residual`, opType: 'Add', input: [base, `${PREFIX}_delta`], output: [name] }),
  ];
  return name;
}
