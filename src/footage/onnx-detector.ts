import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CtgiError } from '../errors/ctgi-error.js';
import { readOnnxMetadata } from '../models/onnx-metadata.js';
import { openOnnxSession, type OnnxSession } from '../models/onnx-runtime.js';
import { resizeRaw, type RawInput } from '../vision/sharp-adapter.js';
import { clipBox, nms, type Detection } from './box.js';
import { boxToFrame, letterboxTensor, planLetterbox } from './letterbox.js';
import { decodeYolo, parseImgsz, parseNames, yoloLayoutOf, type YoloLayout } from './yolo-output.js';

/** Thresholds applied to the detector's person boxes. */
export interface DetectorOptions {
  /** Minimum class score (default 0.35). */
  confidence?: number;
  /** IoU above which overlapping boxes are suppressed (anchors layout only; default 0.5). */
  nmsIou?: number;
  /** Minimum box height and width in frame pixels (defaults 32 and 8). */
  minHeight?: number;
  minWidth?: number;
  /** Class to keep (default "person"). */
  className?: string;
  intraOpThreads?: number;
}

/** A person detector: frames in, boxes in frame coordinates out. */
export interface PersonDetector {
  readonly label: string;
  readonly layout: YoloLayout;
  readonly inputSize: number;
  readonly classNames: readonly string[] | undefined;
  detect(frame: RawInput): Promise<Detection[]>;
  close(): Promise<void>;
}

/**
 * Opens an Ultralytics ONNX export (a `.onnx` file, or a directory holding `model.onnx` or one `.onnx`):
 * input size and class names from its metadata, output layout from its shape.
 * @throws CtgiError MODEL_UNSUPPORTED for an unknown output layout (naming the shapes) or a model without the class.
 */
export async function openOnnxDetector(path: string, options: DetectorOptions = {}): Promise<PersonDetector> {
  const file = await detectorFile(path);
  const bytes = await readFile(file);
  let meta: Map<string, string>;
  try {
    meta = readOnnxMetadata(bytes);
  } catch (err) {
    throw new CtgiError('MODEL_INVALID', `${file} is not a readable ONNX model: ${(err as Error).message}.`, { cause: err });
  }
  const session = await openOnnxSession(bytes, file, options.intraOpThreads !== undefined ? { intraOpThreads: options.intraOpThreads } : {});
  try {
    return makeDetector(session, file, meta, options);
  } catch (err) {
    await session.close();
    throw err;
  }
}

function makeDetector(session: OnnxSession, label: string, meta: Map<string, string>, options: DetectorOptions): PersonDetector {
  const shapes = `inputs ${session.inputs.map((i) => `${i.name} [${i.shape.join(', ')}]`).join(', ')}; outputs ${session.outputs.map((o) => `${o.name} [${o.shape.join(', ')}]`).join(', ')}`;
  const input = session.inputs[0];
  if (session.inputs.length !== 1 || input.type !== 'float32' || input.shape.length !== 4) {
    throw new CtgiError('MODEL_UNSUPPORTED', `${label} is not an image detector with one float input [1, 3, H, W] (${shapes}).`);
  }
  const [, , h, w] = input.shape;
  const fixed = typeof h === 'number' && typeof w === 'number' ? (h === w ? h : undefined) : undefined;
  if (typeof h === 'number' && typeof w === 'number' && h !== w) {
    throw new CtgiError('MODEL_UNSUPPORTED', `${label} takes ${w}×${h} inputs; only square detector inputs are supported (${shapes}).`);
  }
  const inputSize = fixed ?? parseImgsz(meta.get('imgsz'));
  if (!inputSize) throw new CtgiError('MODEL_UNSUPPORTED', `${label} has a dynamic input size and no "imgsz" in its metadata; re-export it with a fixed size (${shapes}).`);
  const names = parseNames(meta.get('names'));
  const output = session.outputs[0];
  if (!output || output.type !== 'float32') throw new CtgiError('MODEL_UNSUPPORTED', `${label} has no float detection output (${shapes}).`);
  let layout: YoloLayout;
  try {
    layout = yoloLayoutOf(output.shape, names?.length, label);
  } catch (err) {
    throw new CtgiError('MODEL_UNSUPPORTED', `${(err as Error).message} Found ${shapes}.`, { cause: err });
  }
  return yoloDetector({ label, layout, inputSize, classNames: names }, async (tensor) => {
    const result = await session.run({ [input.name]: { type: 'float32', data: tensor, dims: [1, 3, inputSize, inputSize] } }, [output.name]);
    return result[output.name];
  }, options, () => session.close());
}

/** What a detector model is, as read at open. */
export interface YoloModelInfo {
  label: string;
  layout: YoloLayout;
  inputSize: number;
  classNames: string[] | undefined;
}

/**
 * A person detector around anything that maps a letterboxed NCHW input (0–1, square `inputSize`) to an
 * output in one of the Ultralytics layouts: an ONNX session, or the demo world's stand-in.
 * @throws CtgiError MODEL_UNSUPPORTED when the model has no class named `options.className`.
 */
export function yoloDetector(
  info: YoloModelInfo,
  run: (input: Float32Array) => Promise<{ data: Float32Array; dims: number[] }>,
  options: DetectorOptions = {},
  close: () => Promise<void> = async () => {},
): PersonDetector {
  const { label, layout, inputSize, classNames: names } = info;
  const className = options.className ?? 'person';
  // COCO-trained exports put "person" at 0; without names that is the only safe assumption.
  const classId = names ? names.indexOf(className) : className === 'person' ? 0 : -1;
  if (classId < 0) throw new CtgiError('MODEL_UNSUPPORTED', `${label} has no "${className}" class (its classes: ${(names ?? []).slice(0, 10).join(', ')}…).`);
  const confidence = options.confidence ?? 0.35;
  const nmsIou = options.nmsIou ?? 0.5;
  const minHeight = options.minHeight ?? 32;
  const minWidth = options.minWidth ?? 8;
  return {
    label,
    layout,
    inputSize,
    classNames: names,
    async detect(frame) {
      const plan = planLetterbox(frame.width, frame.height, inputSize);
      const resized = await resizeRaw(frame, plan.width, plan.height);
      const { data, dims } = await run(letterboxTensor(resized.data, plan));
      const raw = decodeYolo(layout, data, dims, classId, confidence);
      const kept = layout === 'anchors' ? nms(raw, nmsIou) : raw;
      return kept
        .map((d) => ({ ...d, box: clipBox(boxToFrame(d.box, plan), frame.width, frame.height) }))
        .filter((d) => d.box.y2 - d.box.y1 >= minHeight && d.box.x2 - d.box.x1 >= minWidth);
    },
    close,
  };
}

async function detectorFile(path: string): Promise<string> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new CtgiError('NOT_FOUND', `The detector ${path} does not exist; give an ONNX file or a folder holding model.onnx.`);
  if (info.isFile()) return path;
  const onnx = (await readdir(path)).filter((f) => f.endsWith('.onnx')).sort();
  if (onnx.includes('model.onnx')) return join(path, 'model.onnx');
  if (onnx.length === 1) return join(path, onnx[0]);
  throw new CtgiError('NOT_FOUND', `The folder ${path} holds ${onnx.length === 0 ? 'no' : 'several'} .onnx files; name the detector model.onnx or give its file.`);
}
