import { CtgiError } from '../errors/ctgi-error.js';
import type { Gallery } from './gallery.js';
import type { ImageFilter, ImageRecord } from './gallery-store.js';

// A confirmed person's timeline: the other crops of the same footage track, then the images on other
// cameras that look most like them (cosine to the confirmed crop's embedding at or above a threshold), each
// group in capture-time order. Only the Gallery port is used, so every adapter gives the same strip.

/**
 * Default cosine threshold for "the same person on another camera", measured on the demo footage with
 * `node bin/run-ts.js bench/timeline-threshold.bench.ts` (3 cameras × 6 people, every labelled crop against
 * every crop on another camera): at 0.80 precision 0.942 / recall 0.348 on people seeds 11,12 and 0.991 / 0.394
 * on held-out seeds 21,22 (0.70 gave 0.926 but only 0.841 held out). Another encoder has another scale:
 * measure it there and set CTGI_TIMELINE_MIN_COSINE.
 */
export const DEFAULT_TIMELINE_MIN_COSINE = 0.8;

/** How a timeline is gathered. */
export interface TimelineOptions {
  /** Cosine to the confirmed crop at or above which an image on another camera counts (default DEFAULT_TIMELINE_MIN_COSINE). */
  minCosine?: number;
  /** Most sightings on other cameras (default 20). */
  maxOthers?: number;
}

/** One image of the timeline. */
export interface TimelineEntry {
  record: ImageRecord;
  /** Cosine to the confirmed image (1 for itself). */
  cosine: number;
  /** Of the confirmed image's own footage track (the image itself included). */
  sameTrack: boolean;
}

/** Crops of one track lie within this of each other (a person crossing one camera's view). */
const TRACK_WINDOW_MS = 30 * 60_000;
const TRACK_POOL = 100;

/**
 * The timeline of `imageId`: its track (itself included) by time, then other cameras' look-alikes by time.
 * @throws CtgiError NOT_FOUND for an image the gallery does not have.
 */
export async function personTimeline(gallery: Gallery, imageId: number, options: TimelineOptions = {}): Promise<TimelineEntry[]> {
  const minCosine = options.minCosine ?? DEFAULT_TIMELINE_MIN_COSINE;
  const maxOthers = options.maxOthers ?? 20;
  const record = (await gallery.getMany([imageId])).get(imageId);
  const vector = (await gallery.embeddingsOf([imageId])).get(imageId);
  if (!record || !vector) throw new CtgiError('NOT_FOUND', `Image ${imageId} is no longer in the gallery, so it has no timeline.`);

  const track = record.footage?.trackId;
  const same: TimelineEntry[] = [{ record, cosine: 1, sameTrack: true }];
  if (track !== undefined && record.camera) {
    const t = record.capturedAt ? Date.parse(record.capturedAt) : NaN;
    const near: ImageFilter = { camera: [record.camera], ...(Number.isFinite(t) ? { from: new Date(t - TRACK_WINDOW_MS).toISOString(), to: new Date(t + TRACK_WINDOW_MS).toISOString() } : {}) };
    for (const h of await gallery.search(vector, { top: TRACK_POOL, filter: near, exact: true })) {
      if (h.id !== imageId && h.record.footage?.trackId === track) same.push({ record: h.record, cosine: h.cosine, sameTrack: true });
    }
  }
  const inTrack = new Set(same.map((e) => e.record.id));
  const others: TimelineEntry[] = [];
  for (const h of await gallery.search(vector, { top: maxOthers * 5 + inTrack.size, exact: true })) {
    if (h.cosine < minCosine || inTrack.has(h.id)) continue;
    // Another camera (in a gallery without cameras, any other image).
    if (record.camera && h.record.camera === record.camera) continue;
    others.push({ record: h.record, cosine: h.cosine, sameTrack: false });
    if (others.length >= maxOthers) break;
  }
  return [...byTime(same), ...byTime(others)];
}

/** Capture time, then frame time, then id; images without a time last. */
function byTime(entries: TimelineEntry[]): TimelineEntry[] {
  const at = (e: TimelineEntry) => (e.record.capturedAt ? Date.parse(e.record.capturedAt) : Number.POSITIVE_INFINITY);
  return [...entries].sort((a, b) => at(a) - at(b) || (a.record.footage?.frameTimeMs ?? 0) - (b.record.footage?.frameTimeMs ?? 0) || a.record.id - b.record.id);
}
