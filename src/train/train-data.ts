import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { Dataset, DatasetEntry } from '../datasets/dataset.js';
import { selectSplit } from '../datasets/dataset-split.js';
import { CtgiError } from '../errors/ctgi-error.js';
import { mulberry32 } from '../util/prng.js';

/** One training example: a caption, its image and its person. */
export interface TrainPair {
  text: string;
  imagePath: string;
  personId: string;
}

/** The validation part: every image once as the gallery, every caption a query (the eval protocol). */
export interface ValidationSet {
  gallery: Array<{ imagePath: string; personId: string }>;
  queries: Array<{ text: string; personId: string }>;
  identities: number;
}

export interface TrainData {
  pairs: TrainPair[];
  identities: number;
  validation: ValidationSet;
}

export interface SplitChoice {
  split: string;
  /** A split of the file held out for validation, or … */
  valSplit?: string;
  /** … this fraction of the training split's people, drawn with `seed`. */
  valFraction: number;
  seed: number;
}

/**
 * The training pairs and the validation set of a dataset, held out by person id.
 * @throws CtgiError BAD_INPUT with a sentence for entries without captions, captions whose image is missing,
 *   a part with fewer than two people, or an empty split.
 */
export async function prepareTrainData(dataset: Dataset, imagesRoot: string, choice: SplitChoice): Promise<TrainData> {
  const file = basename(dataset.source);
  const noCaptions = dataset.skipped.filter((s) => /captions/.test(s.reason));
  if (dataset.skipped.length > 0) {
    const first = dataset.skipped[0];
    const what = noCaptions.length === dataset.skipped.length ? `${dataset.skipped.length} image(s) without captions` : `${dataset.skipped.length} malformed entr${dataset.skipped.length === 1 ? 'y' : 'ies'}`;
    throw new CtgiError('BAD_INPUT', `${file} has ${what} (entry ${first.index}: ${first.reason}); caption or remove them before training. Nothing was written.`);
  }
  const trainEntries = selectSplit(dataset, choice.split);
  requirePeople(trainEntries, `split "${choice.split}"`);
  let fitEntries = trainEntries;
  let valEntries: DatasetEntry[];
  if (choice.valSplit !== undefined) {
    if (choice.valSplit === choice.split) throw new CtgiError('BAD_INPUT', `--val-split must differ from --split (both are "${choice.split}").`);
    valEntries = selectSplit(dataset, choice.valSplit);
  } else {
    if (!(choice.valFraction > 0 && choice.valFraction < 1)) throw new CtgiError('BAD_INPUT', `--val-fraction must be between 0 and 1 (exclusive), not ${choice.valFraction}.`);
    const people = [...new Set(trainEntries.map((e) => String(e.id)))].sort();
    const random = mulberry32(choice.seed ^ 0x5eed);
    for (let i = people.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [people[i], people[j]] = [people[j], people[i]];
    }
    const held = new Set(people.slice(0, Math.max(2, Math.round(people.length * choice.valFraction))));
    valEntries = trainEntries.filter((e) => held.has(String(e.id)));
    fitEntries = trainEntries.filter((e) => !held.has(String(e.id)));
  }
  const identities = requirePeople(fitEntries, `the training part of split "${choice.split}"`);
  const valIdentities = requirePeople(valEntries, choice.valSplit !== undefined ? `split "${choice.valSplit}"` : 'the held-out validation part');
  await requireImages([...fitEntries, ...valEntries], imagesRoot, file);

  const pairs = fitEntries.flatMap((e) => e.captions.map((text) => ({ text, imagePath: e.imagePath, personId: String(e.id) })));
  const gallery: ValidationSet['gallery'] = [];
  const seen = new Set<string>();
  for (const e of valEntries) {
    if (seen.has(e.imagePath)) continue;
    seen.add(e.imagePath);
    gallery.push({ imagePath: e.imagePath, personId: String(e.id) });
  }
  const queries = valEntries.flatMap((e) => e.captions.map((text) => ({ text, personId: String(e.id) })));
  return { pairs, identities, validation: { gallery, queries, identities: valIdentities } };
}

function requirePeople(entries: readonly DatasetEntry[], part: string): number {
  const n = new Set(entries.map((e) => String(e.id))).size;
  if (n < 2) {
    throw new CtgiError(
      'BAD_INPUT',
      `${part[0].toUpperCase()}${part.slice(1)} has ${n === 0 ? 'no people' : 'only one person'}; training and validation each need at least two identities (use more data, a smaller --val-fraction, or another --val-split). Nothing was written.`,
    );
  }
  return n;
}

async function requireImages(entries: readonly DatasetEntry[], root: string, file: string): Promise<void> {
  const missing: string[] = [];
  const checked = new Set<string>();
  for (const e of entries) {
    if (checked.has(e.imagePath)) continue;
    checked.add(e.imagePath);
    const ok = await stat(resolve(root, e.imagePath)).then((s) => s.isFile(), () => false);
    if (!ok) missing.push(e.imagePath);
  }
  if (missing.length > 0) {
    const list = missing.slice(0, 3).join(', ') + (missing.length > 3 ? ', …' : '');
    throw new CtgiError('BAD_INPUT', `${missing.length} captioned image(s) of ${file} are not under ${root} (${list}); check --images-root. Nothing was written.`);
  }
}
