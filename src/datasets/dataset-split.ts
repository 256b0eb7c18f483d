import { basename } from 'node:path';
import { CtgiError } from '../errors/ctgi-error.js';
import type { Dataset, DatasetEntry } from './dataset.js';

/** Each split present in `entries` with its entry count, in order of first appearance. */
export function splitCounts(entries: readonly DatasetEntry[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(e.split, (counts.get(e.split) ?? 0) + 1);
  return counts;
}

/**
 * The entries of one split, in file order.
 * @throws CtgiError BAD_INPUT when no entry has that split, listing the splits present with their counts.
 */
export function selectSplit(dataset: Dataset, split: string): DatasetEntry[] {
  const selected = dataset.entries.filter((e) => e.split === split);
  if (selected.length > 0) return selected;
  const present = [...splitCounts(dataset.entries)].map(([name, n]) => `"${name}" (${n} ${n === 1 ? 'entry' : 'entries'})`).join(', ');
  throw new CtgiError('BAD_INPUT', `${basename(dataset.source)} has no "${split}" split; its splits are ${present}: choose one of those.`);
}

/** The standard evaluation view: the gallery is every image of the split once; each caption is one query. */
export interface EvalView {
  gallery: Array<{ imagePath: string; personId: string }>;
  queries: Array<{ text: string; personId: string; galleryIndex: number }>;
}

/**
 * Builds the standard protocol's gallery and queries (DESIGN.md, "External contracts"): gallery images in
 * order of first appearance, queries in entry then caption order, person ids as strings (1 and "1" are one
 * person). Entries repeating an image path add their captions to that image's gallery slot.
 * @throws CtgiError BAD_INPUT when one image path is given two different person ids.
 */
export function evaluationView(entries: readonly DatasetEntry[]): EvalView {
  const gallery: EvalView['gallery'] = [];
  const queries: EvalView['queries'] = [];
  const slotOf = new Map<string, number>();
  for (const entry of entries) {
    const personId = String(entry.id);
    let galleryIndex = slotOf.get(entry.imagePath);
    if (galleryIndex === undefined) {
      galleryIndex = gallery.length;
      slotOf.set(entry.imagePath, galleryIndex);
      gallery.push({ imagePath: entry.imagePath, personId });
    } else if (gallery[galleryIndex].personId !== personId) {
      const first = gallery[galleryIndex].personId;
      throw new CtgiError(
        'BAD_INPUT',
        `Image ${entry.imagePath} is listed for two people (id ${first} and id ${personId}); a gallery image must belong to one person, so fix the dataset entry.`,
      );
    }
    for (const text of entry.captions) queries.push({ text, personId, galleryIndex });
  }
  return { gallery, queries };
}
