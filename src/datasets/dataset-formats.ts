import { basename } from 'node:path';
import { CtgiError } from '../errors/ctgi-error.js';
import type { DatasetFormat } from './dataset.js';

/** How one format spells an entry: the key holding the image path and the key order of the real files. */
export interface FormatLayout {
  /** The usual file name of the annotation file. */
  fileName: string;
  /** Human name used in messages. */
  title: string;
  pathKey: 'file_path' | 'img_path';
  /** Key order of an entry in the published file; `extra` fields with these names go in their slot. */
  keyOrder: readonly string[];
}

/** The three layouts (DESIGN.md, "External contracts"). */
export const FORMAT_LAYOUTS: Readonly<Record<DatasetFormat, FormatLayout>> = {
  'cuhk-pedes': {
    fileName: 'reid_raw.json',
    title: 'CUHK-PEDES',
    pathKey: 'file_path',
    keyOrder: ['split', 'captions', 'file_path', 'processed_tokens', 'id'],
  },
  'icfg-pedes': {
    fileName: 'ICFG-PEDES.json',
    title: 'ICFG-PEDES',
    pathKey: 'file_path',
    keyOrder: ['id', 'file_path', 'captions', 'split', 'processed_tokens'],
  },
  rstpreid: {
    fileName: 'data_captions.json',
    title: 'RSTPReid',
    pathKey: 'img_path',
    keyOrder: ['id', 'img_path', 'captions', 'split'],
  },
};

export const DATASET_FORMATS = Object.keys(FORMAT_LAYOUTS) as DatasetFormat[];

/** The sentence every refusal ends with: which files are understood. */
export const EXPECTED_FORMATS =
  'expected a JSON array of {id, split, captions, file_path | img_path} entries as in CUHK-PEDES reid_raw.json, ICFG-PEDES ICFG-PEDES.json or RSTPReid data_captions.json';

/** True for a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Describes a JSON value's kind for messages ("an object", "a number", …). */
export function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'string' ? 'a string' : typeof value === 'number' ? 'a number' : `a ${typeof value}`;
}

/**
 * Refuses anything that is not a JSON array, naming the file and the expected formats.
 * @throws CtgiError BAD_INPUT
 */
export function assertDatasetArray(json: unknown, fileName: string): asserts json is unknown[] {
  if (Array.isArray(json)) return;
  const hint = isRecord(json) ? ` (its top-level keys are: ${Object.keys(json).slice(0, 8).join(', ') || 'none'})` : '';
  throw new CtgiError('BAD_INPUT', `${fileName} is not a person search dataset: it holds ${jsonKind(json)}${hint}; ${EXPECTED_FORMATS}.`);
}

const ICFG_FILE = /^ICFG-PEDES.*\.json$/i;
const ICFG_PATH = /^(train|test)\//;

/**
 * Tells the format from the parsed file: `img_path` entries are RSTPReid; `file_path` entries are ICFG-PEDES
 * when the file is named ICFG-PEDES*.json or most paths start with train/ or test/, else CUHK-PEDES.
 * @throws CtgiError BAD_INPUT when `json` is not an array or no entry has either path key.
 */
export function detectDatasetFormat(json: unknown, fileName: string): DatasetFormat {
  assertDatasetArray(json, fileName);
  let imgPaths = 0;
  let filePaths = 0;
  let icfgLike = 0;
  for (const item of json) {
    if (!isRecord(item)) continue;
    if (typeof item.img_path === 'string') imgPaths++;
    if (typeof item.file_path === 'string') {
      filePaths++;
      if (ICFG_PATH.test(item.file_path)) icfgLike++;
    }
  }
  if (imgPaths === 0 && filePaths === 0) {
    const what = json.length === 0 ? 'it is an empty array' : 'no entry has a "file_path" or "img_path" string';
    throw new CtgiError('BAD_INPUT', `${fileName} is not a person search dataset: ${what}; ${EXPECTED_FORMATS}.`);
  }
  if (imgPaths > filePaths) return 'rstpreid';
  return ICFG_FILE.test(basename(fileName)) || icfgLike * 2 > filePaths ? 'icfg-pedes' : 'cuhk-pedes';
}
