import type { Gallery } from '../../src/gallery/gallery.js';
import type { ImageFilter } from '../../src/gallery/gallery-store.js';
import { cameraNames } from '../../src/gallery/camera-aliases.js';
import { DEFAULT_TIMELINE_MIN_COSINE } from '../../src/gallery/person-timeline.js';
import { filterStatement, hasPlaceTime, parsePlaceTime, type PlaceTime } from '../../src/gallery/place-time-filter.js';
import { systemTimeZone } from '../../src/util/zoned-time.js';

// Where and when for the conversation service: the clock and zone a description's "2 pm" is read in, the
// gallery's camera names, and the sentence that states a filter to the user.

/** How the service reads where/when and builds timelines. */
export interface WhereWhenSettings {
  /** IANA zone (CTGI_TIMEZONE); default the server's. */
  timeZone: string;
  /** The current time (injected in tests). */
  now: () => Date;
  /** Cosine at or above which another camera's image joins a timeline. */
  timelineMinCosine: number;
}

/** Settings with the defaults filled in. */
export function whereWhenSettings(partial: Partial<WhereWhenSettings> = {}, clock: () => number = Date.now): WhereWhenSettings {
  return { timeZone: partial.timeZone ?? systemTimeZone(), now: partial.now ?? (() => new Date(clock())), timelineMinCosine: partial.timelineMinCosine ?? DEFAULT_TIMELINE_MIN_COSINE };
}

/** Reads the where/when of `text` against the gallery's cameras. */
export async function readWhereWhen(gallery: Gallery, text: string, settings: WhereWhenSettings): Promise<PlaceTime> {
  return parsePlaceTime(text, { cameras: await cameraNames(gallery), now: settings.now(), timeZone: settings.timeZone });
}

/** The sentence stating `filter` ("Searching camera cam3 (lobby) from 14:00 to 23:59 today — …"). */
export function statementOf(gallery: Gallery, filter: ImageFilter, settings: WhereWhenSettings): string {
  if (!hasPlaceTime(filter)) return 'Searching every camera at any time.';
  return filterStatement(filter, { aliases: gallery.manifest.cameraAliases ?? {}, now: settings.now(), timeZone: settings.timeZone });
}

/** What a new description says: the person to search for, the filter and the sentences to say first, or a refusal. */
export type DescribedSearch =
  | { ok: true; text: string; filter?: ImageFilter; statement?: string; notices: string[] }
  | { ok: false; reason: string };

/** Splits a description into who (embedded) and where/when (filter), with notices for cameras the gallery lacks. */
export async function describedSearch(gallery: Gallery, text: string, settings: WhereWhenSettings): Promise<DescribedSearch> {
  const place = await readWhereWhen(gallery, text, settings);
  const notices: string[] = [];
  if (place.unknownCameras.length > 0) {
    const known = (await gallery.cameras()).map((c) => c.camera);
    notices.push(`This gallery has no ${place.unknownCameras.join(' or ')}${known.length ? `; its cameras are ${known.join(', ')}` : ' (it records no cameras)'}.`);
  }
  if (!place.found) return { ok: true, text, notices };
  if (!/\p{L}{2}/u.test(place.text)) {
    const where = hasPlaceTime(place.filter) ? ` (${statementOf(gallery, place.filter, settings).replace(/^Searching /, '').replace(/ — .*$/, '')})` : '';
    return { ok: false, reason: `I read where and when${where} but not who: describe the person too, e.g. "a man in a red jacket${text.length < 80 ? ` ${text.trim()}` : ''}".` };
  }
  if (!hasPlaceTime(place.filter)) return { ok: true, text: place.text, notices };
  return { ok: true, text: place.text, filter: place.filter, statement: statementOf(gallery, place.filter, settings), notices };
}
