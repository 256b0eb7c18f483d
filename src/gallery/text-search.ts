import type { TextEncoder } from '../models/encoder.js';
import type { Gallery, GalleryHit, SearchOptions } from './gallery.js';

// The search flow (DESIGN.md flow 2) in one place: text → text encoder → the gallery's nearest images.
// `ctgi search`, the dialogue's retrieval step, its Eq. 7 re-ranking and the search tool all call it.

/** Options of a text search: the gallery's own, plus image ids to leave out. */
export interface TextSearchOptions extends SearchOptions {
  exclude?: Iterable<number>;
}

/** The best matches for each text, in the order of `texts`. */
export async function searchTexts(gallery: Gallery, encoder: Pick<TextEncoder, 'embedTexts'>, texts: readonly string[], options: TextSearchOptions = {}): Promise<GalleryHit[][]> {
  const vectors = await encoder.embedTexts([...texts]);
  const skip = new Set(options.exclude ?? []);
  const { exclude: _omit, ...search } = options;
  // Excluded images are searched past, so the caller still gets `top` of the others.
  const top = (search.top ?? 10) + skip.size;
  const out: GalleryHit[][] = [];
  for (const v of vectors) {
    const hits = await gallery.search(v, { ...search, top });
    out.push((skip.size > 0 ? hits.filter((h) => !skip.has(h.id)) : hits).slice(0, search.top ?? 10));
  }
  return out;
}

/** The best matches for one text. */
export async function searchText(gallery: Gallery, encoder: Pick<TextEncoder, 'embedTexts'>, text: string, options: TextSearchOptions = {}): Promise<GalleryHit[]> {
  return (await searchTexts(gallery, encoder, [text], options))[0];
}
