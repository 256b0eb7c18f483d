import { posix, win32 } from 'node:path';
import { CtgiError } from '../errors/ctgi-error.js';
import type { Dataset, DatasetEntry, DatasetFormat, SkippedEntry } from './dataset.js';
import { assertDatasetArray, detectDatasetFormat, EXPECTED_FORMATS, FORMAT_LAYOUTS, isRecord, jsonKind, type FormatLayout } from './dataset-formats.js';

/** Either a valid entry or the reason it is not one. */
export type EntryCheck = { ok: true; entry: DatasetEntry } | { ok: false; reason: string };

/** Why an image path is unsafe to join to the images root, or null when it is fine. */
export function unsafePathReason(path: string): string | null {
  if (path.includes('\0')) return 'contains a NUL character';
  // Drive-relative paths like "C:x" are refused too: they are not relative to the images root on Windows.
  if (posix.isAbsolute(path) || win32.isAbsolute(path) || /^[A-Za-z]:/.test(path)) return 'is absolute; paths must be relative to the images root';
  if (path.split(/[\\/]/).includes('..')) return 'has a ".." segment that leaves the images root';
  return null;
}

function idProblem(id: unknown): string | null {
  if (id === undefined) return '"id" is missing';
  if (typeof id === 'number' && Number.isSafeInteger(id)) return null;
  if (typeof id === 'string' && id.trim() !== '') return null;
  const shown = typeof id === 'object' && id !== null ? jsonKind(id) : JSON.stringify(id);
  return `"id" is ${shown}; expected an integer or a non-empty string`;
}

/**
 * Checks one raw entry of a `layout` file: id, image path, split and captions. Captions that are empty (or
 * only whitespace) are dropped; unknown keys go to `extra`.
 */
export function checkEntry(item: unknown, layout: FormatLayout): EntryCheck {
  if (!isRecord(item)) return { ok: false, reason: `it is ${jsonKind(item)}, not an object` };
  const fail = (reason: string): EntryCheck => ({ ok: false, reason });

  const idIssue = idProblem(item.id);
  if (idIssue) return fail(idIssue);

  const key = layout.pathKey;
  const path = item[key];
  if (path === undefined) {
    const other = key === 'img_path' ? 'file_path' : 'img_path';
    return fail(`"${key}" is missing${other in item ? ` (it has "${other}": is this a different format?)` : ''}`);
  }
  if (typeof path !== 'string' || path.trim() === '') return fail(`"${key}" is ${jsonKind(path)}${path === '' ? ' (empty)' : ''}; expected a relative image path`);
  const unsafe = unsafePathReason(path);
  if (unsafe) return fail(`"${key}" ${JSON.stringify(path)} ${unsafe}`);

  const split = item.split;
  if (split === undefined) return fail('"split" is missing');
  if (typeof split !== 'string' || split.trim() === '') return fail(`"split" is ${jsonKind(split)}; expected a non-empty string such as "test"`);

  const raw = item.captions;
  if (raw === undefined) return fail('"captions" is missing');
  if (!Array.isArray(raw)) return fail(`"captions" is ${jsonKind(raw)}, not an array of strings`);
  const captions: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c: unknown = raw[i];
    if (typeof c !== 'string') return fail(`"captions[${i}]" is ${jsonKind(c)}, not a string`);
    if (c.trim() !== '') captions.push(c);
  }
  if (captions.length === 0) return fail(raw.length === 0 ? '"captions" is empty' : '"captions" holds only empty strings');

  const canonical = new Set(['id', 'split', 'captions', key]);
  // fromEntries defines own properties, so a "__proto__" key stays data and cannot touch the prototype.
  const extra = Object.fromEntries(Object.entries(item).filter(([k]) => !canonical.has(k)));
  return { ok: true, entry: { id: item.id as number | string, split, captions, imagePath: path, extra } };
}

/**
 * Turns a parsed annotation file into a Dataset: malformed entries are skipped and listed with their index.
 * `format` wins over detection.
 * @throws CtgiError BAD_INPUT when `json` is not an array or holds no valid entry.
 */
export function parseDataset(json: unknown, source: string, options: { format?: DatasetFormat } = {}): Dataset {
  assertDatasetArray(json, source);
  const format = options.format ?? detectDatasetFormat(json, source);
  const layout = FORMAT_LAYOUTS[format];
  const entries: DatasetEntry[] = [];
  const skipped: SkippedEntry[] = [];
  for (let index = 0; index < json.length; index++) {
    const check = checkEntry(json[index], layout);
    if (check.ok) entries.push(check.entry);
    else skipped.push({ index, reason: check.reason });
  }
  if (entries.length === 0) {
    const examples = skipped.slice(0, 3).map((s) => `entry ${s.index}: ${s.reason}`).join('; ');
    const why = json.length === 0 ? 'it is an empty array' : `none of its ${json.length} entries is valid (${examples})`;
    throw new CtgiError('BAD_INPUT', `${source} is not a usable ${layout.title} dataset: ${why}; ${EXPECTED_FORMATS}.`);
  }
  return { format, source, entries, skipped };
}
