import { access, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CtgiError } from '../errors/ctgi-error.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Dataset, DatasetEntry, DatasetFormat } from './dataset.js';
import { DATASET_FORMATS, EXPECTED_FORMATS, FORMAT_LAYOUTS } from './dataset-formats.js';
import { checkEntry, parseDataset } from './dataset-parse.js';

export { detectDatasetFormat } from './dataset-formats.js';
export { selectSplit } from './dataset-split.js';

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

async function readDatasetText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT') {
      throw new CtgiError('NOT_FOUND', `Dataset file ${path} does not exist; pass the path of reid_raw.json, ICFG-PEDES.json or data_captions.json.`, { cause: err });
    }
    if (code === 'EISDIR') {
      const found: string[] = [];
      for (const f of DATASET_FORMATS.map((k) => FORMAT_LAYOUTS[k].fileName)) {
        if (await access(join(path, f)).then(() => true, () => false)) found.push(join(path, f));
      }
      const hint = found.length > 0 ? `, e.g. ${found[0]}` : ' (reid_raw.json, ICFG-PEDES.json or data_captions.json)';
      throw new CtgiError('BAD_INPUT', `${path} is a directory; pass the dataset's JSON file${hint}.`, { cause: err });
    }
    throw new CtgiError('BAD_INPUT', `Cannot read dataset file ${path} (${code ?? 'read error'}); check that it is a readable file.`, { cause: err });
  }
}

/**
 * Reads a CUHK-PEDES, ICFG-PEDES or RSTPReid annotation file; the format is detected unless given.
 * Malformed entries are skipped and listed in `skipped`.
 * @throws CtgiError NOT_FOUND for a missing file, BAD_INPUT for a file that is not such a dataset.
 */
export async function readDataset(path: string, options: { format?: DatasetFormat } = {}): Promise<Dataset> {
  if (options.format !== undefined && !DATASET_FORMATS.includes(options.format)) {
    throw new CtgiError('BAD_INPUT', `Unknown dataset format "${String(options.format)}"; use one of ${DATASET_FORMATS.join(', ')}.`);
  }
  // A UTF-8 byte order mark is legal in files but not in JSON.parse.
  const text = (await readDatasetText(path)).replace(/^\uFEFF/, '');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    // V8 quotes the offending text; keep the sentence on one short line.
    const raw = err instanceof Error ? err.message.replace(/\s+/g, ' ') : '';
    const detail = raw ? ` (${raw.length > 120 ? `${raw.slice(0, 117)}...` : raw})` : '';
    throw new CtgiError('BAD_INPUT', `${path} is not valid JSON${detail}; ${EXPECTED_FORMATS}.`, { cause: err });
  }
  return parseDataset(json, path, options);
}

/** One entry as the format's file spells it, keys in the published order and `extra` written back. */
export function entryToJson(entry: DatasetEntry, format: DatasetFormat): Record<string, unknown> {
  const layout = FORMAT_LAYOUTS[format];
  const own: Record<string, unknown> = { id: entry.id, split: entry.split, captions: entry.captions, [layout.pathKey]: entry.imagePath };
  const pairs: Array<[string, unknown]> = [];
  for (const key of layout.keyOrder) {
    if (Object.hasOwn(own, key)) pairs.push([key, own[key]]);
    else if (Object.hasOwn(entry.extra, key)) pairs.push([key, entry.extra[key]]);
  }
  for (const [key, value] of Object.entries(entry.extra)) {
    if (!layout.keyOrder.includes(key) && !Object.hasOwn(own, key)) pairs.push([key, value]);
  }
  return Object.fromEntries(pairs);
}

/**
 * Serialises entries as the format's annotation file (one compact JSON array).
 * @throws CtgiError BAD_INPUT for no entries, or naming the first entry its reader would refuse.
 */
export function datasetToJson(dataset: Pick<Dataset, 'format' | 'entries'>): string {
  const layout = FORMAT_LAYOUTS[dataset.format];
  if (!layout) throw new CtgiError('BAD_INPUT', `Unknown dataset format "${String(dataset.format)}"; use one of ${DATASET_FORMATS.join(', ')}.`);
  if (dataset.entries.length === 0) throw new CtgiError('BAD_INPUT', `Cannot write a ${layout.title} dataset with no entries: its reader would refuse the file.`);
  const items = dataset.entries.map((entry, i) => {
    const item = entryToJson(entry, dataset.format);
    const check = checkEntry(item, layout);
    if (!check.ok) throw new CtgiError('BAD_INPUT', `Cannot write ${layout.title} entry ${i}: ${check.reason}.`);
    return item;
  });
  return `${JSON.stringify(items)}\n`;
}

/**
 * Writes a dataset file atomically (temporary sibling, then rename) in the given format.
 * @throws CtgiError BAD_INPUT when an entry is not writable as a valid entry.
 */
export async function writeDataset(path: string, dataset: Pick<Dataset, 'format' | 'entries'>): Promise<void> {
  const text = datasetToJson(dataset);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, text);
}
