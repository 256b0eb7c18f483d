import { CtgiError } from '../../errors/ctgi-error.js';
import { stretchPositionTable } from './position-stretch.js';
import { DataType, dimsOf, readFloats, readInts, writeFloats, writeInts, type ModelProto, type NodeProto, type TensorProto } from './onnx-proto-io.js';

/** What was rewritten, by tensor name, so the command can report it. */
export interface GraphStretchReport {
  positionTable: string;
  positionIds: string[];
  causalMasks: string[];
  shapeConstants: string[];
  graphDims: string[];
}

/** Op types whose integer inputs are shapes, sizes or index bounds: a context length there is a sequence length. */
const SHAPE_CONSUMERS = new Set(['Reshape', 'Expand', 'Slice', 'ConstantOfShape', 'Tile', 'Range', 'Concat', 'Unsqueeze', 'Squeeze', 'Min', 'Max']);

interface Constant {
  name: string;
  tensor: TensorProto;
}

/** Initializers and Constant-node values: every constant tensor the graph holds. */
function constants(model: ModelProto): Constant[] {
  const graph = model.graph!;
  const out: Constant[] = (graph.initializer ?? []).map((t) => ({ name: t.name ?? '', tensor: t }));
  for (const node of graph.node ?? []) {
    if (node.opType !== 'Constant') continue;
    const value = (node.attribute ?? []).find((a) => a.name === 'value' && a.t);
    if (value?.t) out.push({ name: node.output?.[0] ?? '', tensor: value.t });
  }
  return out;
}

function consumers(model: ModelProto): Map<string, NodeProto[]> {
  const map = new Map<string, NodeProto[]>();
  for (const node of model.graph!.node ?? []) {
    for (const input of node.input ?? []) {
      if (!map.has(input)) map.set(input, []);
      map.get(input)!.push(node);
    }
  }
  return map;
}

const isFloat = (t: TensorProto) => t.dataType === DataType.FLOAT || t.dataType === DataType.FLOAT16 || t.dataType === DataType.DOUBLE;
const isInt = (t: TensorProto) => t.dataType === DataType.INT64 || t.dataType === DataType.INT32;

function isPositionTable(c: Constant, from: number): boolean {
  const d = dimsOf(c.tensor);
  const shaped = (d.length === 2 && d[0] === from) || (d.length === 3 && d[0] === 1 && d[1] === from);
  return shaped && isFloat(c.tensor) && /position|positional|pos_emb/i.test(c.name);
}

function isCausalMaskShape(d: number[], from: number): boolean {
  return d.length >= 2 && d[d.length - 1] === from && d[d.length - 2] === from && d.slice(0, -2).every((x) => x === 1);
}

/** Rebuilds a constant causal mask [.., from, from] at [.., to, to], checking it really is one. */
function stretchMask(c: Constant, from: number, to: number, label: string): void {
  const values = readFloats(c.tensor, label);
  const fill = values[1];
  for (let r = 0; r < from; r++) {
    for (let k = 0; k < from; k++) {
      const v = values[r * from + k];
      const ok = k <= r ? v === 0 : v === fill && v <= -1e4;
      if (!ok) {
        throw new CtgiError('MODEL_UNSUPPORTED', `Tensor ${c.name} of ${label} is ${from}×${from} but not a causal mask (row ${r}, column ${k} is ${v}); refusing to guess how to stretch it.`);
      }
    }
  }
  const out = new Float32Array(to * to);
  for (let r = 0; r < to; r++) for (let k = r + 1; k < to; k++) out[r * to + k] = fill;
  const dims = dimsOf(c.tensor);
  writeFloats(c.tensor, out, [...dims.slice(0, -2), to, to]);
}

/**
 * Rewrites a CLIP text graph in place so it accepts `to` tokens instead of `from`: the position table
 * (Long-CLIP stretching), `position_ids`, constant causal masks, shape constants holding the context
 * length, and the graph's declared input/output dims. Anything else that depends on the context
 * length is refused, so a graph is never half-rewritten.
 * @throws CtgiError MODEL_UNSUPPORTED naming the tensor it does not recognise.
 */
export function stretchTextGraph(model: ModelProto, from: number, to: number, keep: number, label: string): GraphStretchReport {
  const graph = model.graph!;
  const all = constants(model);
  const users = consumers(model);
  const tables = all.filter((c) => isPositionTable(c, from));
  if (tables.length !== 1) {
    const found = tables.map((t) => t.name).join(', ');
    throw new CtgiError(
      'MODEL_UNSUPPORTED',
      tables.length === 0
        ? `Cannot find a ${from}-row positional-embedding table in ${label} (a float initializer named like "position_embedding" or "positional_embedding"); this does not look like a CLIP text encoder.`
        : `${label} has several candidate positional-embedding tables (${found}); refusing to guess which to stretch.`,
    );
  }
  const report: GraphStretchReport = { positionTable: tables[0].name, positionIds: [], causalMasks: [], shapeConstants: [], graphDims: [] };
  const plan: Array<() => void> = [];

  const table = tables[0];
  const tableDims = dimsOf(table.tensor);
  const dim = tableDims[tableDims.length - 1];
  plan.push(() => {
    const stretched = stretchPositionTable(readFloats(table.tensor, label), from, dim, to, keep);
    writeFloats(table.tensor, stretched, tableDims.length === 3 ? [1, to, dim] : [to, dim]);
  });

  for (const c of all) {
    if (c === table) continue;
    const d = dimsOf(c.tensor);
    if (!d.includes(from) && !(isInt(c.tensor) && d.length <= 1 && readInts(c.tensor, label).includes(from))) continue;
    if (isFloat(c.tensor)) {
      if (!isCausalMaskShape(d, from)) {
        throw new CtgiError('MODEL_UNSUPPORTED', `Tensor ${c.name} of ${label} has shape [${d.join(', ')}], which depends on the context length in a way the stretcher does not recognise.`);
      }
      report.causalMasks.push(c.name);
      plan.push(() => stretchMask(c, from, to, label));
      continue;
    }
    if (!isInt(c.tensor)) {
      throw new CtgiError('MODEL_UNSUPPORTED', `Tensor ${c.name} of ${label} (shape [${d.join(', ')}]) depends on the context length and is of a type the stretcher does not handle.`);
    }
    const values = readInts(c.tensor, label);
    const isIds = d.length >= 1 && d[d.length - 1] === from && d.slice(0, -1).every((x) => x === 1) && values.every((v, i) => v === i);
    if (isIds) {
      report.positionIds.push(c.name);
      plan.push(() => writeInts(c.tensor, Array.from({ length: to }, (_, i) => i), [...d.slice(0, -1), to]));
      continue;
    }
    const used = users.get(c.name) ?? [];
    const bad = used.find((n) => !SHAPE_CONSUMERS.has(n.opType ?? ''));
    if (d.length > 1 || values.length > 8 || bad) {
      throw new CtgiError(
        'MODEL_UNSUPPORTED',
        `The integer constant ${c.name} of ${label} holds ${from}${bad ? ` and feeds a ${bad.opType} node` : ''}; cannot tell whether it is the context length, so the graph is not stretched.`,
      );
    }
    report.shapeConstants.push(c.name);
    plan.push(() => writeInts(c.tensor, values.map((v) => (v === from ? to : v)), d));
  }

  for (const value of [...(graph.input ?? []), ...(graph.output ?? [])]) {
    for (const dimProto of value.type?.tensorType?.shape?.dim ?? []) {
      if (Number(dimProto.dimValue ?? 0) === from) {
        report.graphDims.push(value.name ?? '');
        plan.push(() => {
          dimProto.dimValue = to;
        });
      }
    }
  }
  // Intermediate shape annotations would be stale; the runtime re-infers them.
  plan.push(() => {
    graph.valueInfo = [];
  });
  for (const step of plan) step();
  return report;
}

