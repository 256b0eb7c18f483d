import { CtgiError } from '../../errors/ctgi-error.js';
import type { ModelLayout } from '../model-dir.js';
import type { HubFile } from './hub-client.js';

/** What a pulled directory holds: a CLIP layout, or one person-detector graph. */
export type PulledLayout = ModelLayout | 'detector';

/** What a pull fetches: the layout found in the listing and the files it needs. */
export interface ModelFileSelection {
  layout: PulledLayout;
  files: HubFile[];
}

const HF_TOP_LEVEL = new Set([
  'config.json',
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.json',
  'merges.txt',
]);

const LAYOUT_GRAPHS: Record<ModelLayout, [string, string]> = {
  hf: ['onnx/text_model.onnx', 'onnx/vision_model.onnx'],
  immich: ['textual/model.onnx', 'visual/model.onnx'],
};

/** The external-data file names ONNX exporters write beside `graph` (`x.onnx_data`, `x.onnx.data`). */
function isExternalDataOf(path: string, graph: string): boolean {
  return path === `${graph}_data` || path === `${graph}.data`;
}

/** Directory part and base name of a `/`-separated path. */
function split(path: string): [string, string] {
  const i = path.lastIndexOf('/');
  return i < 0 ? ['', path] : [path.slice(0, i), path.slice(i + 1)];
}

function wantedHf(path: string): boolean {
  if (HF_TOP_LEVEL.has(path)) return true;
  // Only the full-precision graphs: quantized and fp16 variants (`*_quantized.onnx`, `*_fp16.onnx`, ...) are skipped.
  return LAYOUT_GRAPHS.hf.some((g) => path === g || isExternalDataOf(path, g));
}

function wantedImmich(path: string): boolean {
  if (path === 'config.json') return true;
  const [dir, base] = split(path);
  if (dir === 'textual') return base === 'model.onnx' || isExternalDataOf(base, 'model.onnx') || /\.(json|txt)$/.test(base);
  if (dir === 'visual') return base === 'model.onnx' || isExternalDataOf(base, 'model.onnx') || base.endsWith('.json');
  // Subfolders such as `textual/fp16/` (ARM NN) and `rknpu/` hold other runtimes' formats.
  return false;
}

/** The configs and tokenizer files `readModelDir` and the tokenizer need, that `paths` lacks. */
function missingSupportFiles(layout: ModelLayout, paths: ReadonlySet<string>): string[] {
  if (layout === 'immich') return ['config.json', 'visual/preprocess_cfg.json', 'textual/tokenizer.json'].filter((p) => !paths.has(p));
  const missing = ['config.json', 'preprocessor_config.json'].filter((p) => !paths.has(p));
  if (!paths.has('tokenizer.json') && !(paths.has('vocab.json') && paths.has('merges.txt'))) missing.push('tokenizer.json (or vocab.json + merges.txt)');
  return missing;
}

/**
 * Detects the CLIP layout of a repository listing and picks the files a pull needs.
 * @throws CtgiError MODEL_INVALID naming the files that were expected.
 */
export function selectModelFiles(repo: string, listing: readonly HubFile[], file?: string): ModelFileSelection {
  const paths = new Set(listing.map((f) => f.path));
  if (file !== undefined) {
    // A detector alias names its one graph; the repository may hold other sizes beside it.
    const found = listing.find((f) => f.path === file);
    if (!found) throw new CtgiError('MODEL_INVALID', `${repo} has no ${file} (the detector this alias names); the repository may have changed: pull another detector or give its file to --detector.`);
    return { layout: 'detector', files: [found] };
  }
  for (const layout of ['hf', 'immich'] as const) {
    const graphs = LAYOUT_GRAPHS[layout];
    const present = graphs.filter((g) => paths.has(g));
    if (present.length === 0) continue;
    const missing = graphs.filter((g) => !paths.has(g));
    if (missing.length > 0) {
      throw new CtgiError('MODEL_INVALID', `${repo} has ${present.join(', ')} but not ${missing.join(', ')}, so it is not a complete CLIP model.`);
    }
    const absent = missingSupportFiles(layout, paths);
    if (absent.length > 0) {
      throw new CtgiError('MODEL_INVALID', `${repo} has the ${layout === 'hf' ? 'Hugging Face' : 'immich'} ONNX graphs but lacks ${absent.join(', ')}, which ctgi needs to use them.`);
    }
    const wanted = layout === 'hf' ? wantedHf : wantedImmich;
    const files = listing.filter((f) => wanted(f.path)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { layout, files };
  }
  throw new CtgiError(
    'MODEL_INVALID',
    `${repo} is not an ONNX CLIP model: expected onnx/text_model.onnx + onnx/vision_model.onnx (Hugging Face/Xenova export) ` +
      `or textual/model.onnx + visual/model.onnx (immich export).`,
  );
}
