import { join, resolve } from 'node:path';
import { readDataset } from '../datasets/dataset-io.js';
import type { DatasetEntry, DatasetFormat } from '../datasets/dataset.js';
import { CtgiError } from '../errors/ctgi-error.js';
import { scanImageDir, storedPathFor } from '../gallery/image-scan.js';

// What `ctgi caption` reads (a folder of images or a dataset file) and how the captions go back out: in
// the input's own format, ids, splits and extra fields kept, so IRRA/RDE train on the file unchanged.

/** One image to caption: its key (the path as the input lists it) and where the file is. */
export interface CaptionItem {
  key: string;
  absPath: string;
}

/** The images of a run and the entries the output dataset is made from. */
export interface CaptionInput {
  format: DatasetFormat;
  imagesRoot: string;
  /** Unique images, in input order. */
  items: CaptionItem[];
  /** The input's entries (their captions are replaced); a bare folder gets one entry per image. */
  entries: DatasetEntry[];
  /** Things the user should know (skipped dataset entries, ignored files). */
  notes: string[];
}

/** Split given to a bare folder's entries: MTG captions are training data. */
export const FOLDER_SPLIT = 'train';

/**
 * A folder of images as input: every image under it (recursively, sorted), keyed by its path relative to
 * the folder, each its own person id (1, 2, …) in CUHK-PEDES style.
 * @throws CtgiError NOT_FOUND when the folder cannot be read, BAD_INPUT when it holds no image.
 */
export async function inputFromFolder(dir: string): Promise<CaptionInput> {
  const root = resolve(dir);
  const scan = await scanImageDir(root);
  if (scan.images.length === 0) throw new CtgiError('BAD_INPUT', `${root} holds no .jpg, .jpeg, .png or .webp images; point --images at the folder of person crops.`);
  const items = scan.images.map((absPath) => ({ key: storedPathFor(absPath, root), absPath }));
  const entries = items.map((item, i) => ({ id: i + 1, split: FOLDER_SPLIT, captions: [], imagePath: item.key, extra: {} }));
  const notes = scan.ignored.length > 0 ? [`Ignored ${scan.ignored.length} file(s) that are not .jpg/.jpeg/.png/.webp images.`] : [];
  for (const s of scan.skipped) notes.push(`Skipped ${s.path}: ${s.reason}.`);
  return { format: 'cuhk-pedes', imagesRoot: root, items, entries, notes };
}

/**
 * A CUHK-PEDES / ICFG-PEDES / RSTPReid file as input: its images resolved under `imagesRoot`, each image
 * once even when several entries list it.
 * @throws CtgiError NOT_FOUND / BAD_INPUT from the dataset reader.
 */
export async function inputFromDataset(file: string, imagesRoot: string): Promise<CaptionInput> {
  const dataset = await readDataset(file);
  const root = resolve(imagesRoot);
  const seen = new Set<string>();
  const items: CaptionItem[] = [];
  for (const entry of dataset.entries) {
    if (seen.has(entry.imagePath)) continue;
    seen.add(entry.imagePath);
    items.push({ key: entry.imagePath, absPath: join(root, entry.imagePath) });
  }
  const notes = dataset.skipped.map((s) => `Dataset entry ${s.index} skipped: ${s.reason}.`);
  return { format: dataset.format, imagesRoot: root, items, entries: dataset.entries, notes };
}

/**
 * The output entries: each input entry whose image got a caption, with that caption as its only one.
 * `processed_tokens` is dropped: it tokenised the old captions.
 */
export function captionedEntries(entries: readonly DatasetEntry[], captions: ReadonlyMap<string, string>): DatasetEntry[] {
  const out: DatasetEntry[] = [];
  for (const entry of entries) {
    const caption = captions.get(entry.imagePath);
    if (caption === undefined) continue;
    const { processed_tokens: _stale, ...extra } = entry.extra;
    out.push({ ...entry, captions: [caption], extra });
  }
  return out;
}
