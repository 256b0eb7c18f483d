import type { ImageFilter, ImageRecord } from './gallery-store.js';
import { readTimePhrases, type Span } from './time-phrases.js';
import { clockOf, dayName } from '../util/zoned-time.js';

// Where and when in a witness's description ("near the lobby around 2 pm", "camera 3 after 14:00",
// "yesterday evening", "between 13:00 and 15:30 on cam2") as an ImageFilter every search of the dialogue
// uses, with those words cut from the text the image model embeds (CLIP should not look for "camera 3").
// Camera names and their aliases come from the gallery. Pure: the clock and the zone are passed in.

/** A camera of the gallery and the other names people use for it ("lobby", "entrance"). */
export interface CameraNames {
  camera: string;
  aliases?: readonly string[];
}

/** What the parser knows besides the text. */
export interface PlaceTimeContext {
  cameras: readonly CameraNames[];
  now: Date;
  /** IANA zone the witness's "2 pm" and "yesterday" are read in. */
  timeZone: string;
}

/** A description split into the person (what is embedded) and where/when (the filter). */
export interface PlaceTime {
  /** The description without its where/when words. */
  text: string;
  filter: ImageFilter;
  /** Camera phrases that name no camera of the gallery ("camera 9"), for a notice. */
  unknownCameras: string[];
  /** True when the text said anything about place or time. */
  found: boolean;
}

const LEAD = String.raw`(?:near|at|in|on|by|outside|inside|from|around|via|camera|cam)\s+(?:the\s+)?`;
// Before a plain-word name ("lobby"): "near lobby" or "at the lobby", but not "in street clothes".
const WORD_LEAD = String.raw`(?:(?:near|outside|inside|around|via|camera|cam)\s+(?:the\s+)?|(?:at|in|on|by|from)\s+the\s+)`;
const NUMBERED = /\b(?:on\s+|at\s+|from\s+|in\s+)?(?:cameras?|cams?)\s*#?\s*(\d{1,3}(?:\s*(?:,|and|or|&|\/)\s*(?:cam(?:era)?\s*)?\d{1,3})*)\b|\bcam(?:era)?-?(\d{1,3})\b/gi;

/** Reads the where/when of `text`. */
export function parsePlaceTime(text: string, ctx: PlaceTimeContext): PlaceTime {
  const time = readTimePhrases(text, ctx.now, ctx.timeZone);
  const spans: Span[] = [...time.spans];
  const taken = (a: number, b: number) => spans.some(([s, e]) => a < e && b > s);
  const cameras = new Set<string>();
  const unknownCameras: string[] = [];

  // Cameras by name or alias first (a camera may be named "cam3"), longest first so "lobby east" beats "lobby".
  const names = ctx.cameras
    .flatMap((c) => [c.camera, ...(c.aliases ?? [])].map((name) => ({ camera: c.camera, name: name.trim() })))
    .filter((n) => n.name.length > 0)
    .sort((a, b) => b.name.length - a.name.length);
  for (const { camera, name } of names) {
    const word = escapeRegExp(name).replace(/\\? /g, String.raw`\s+`);
    // A plain-word name ("street", "lobby") is a place only with a lead ("near the lobby", "lobby camera"):
    // "street clothes" says nothing about a camera. Names with a digit ("cam3", "gate-2") stand alone.
    const bare = /\d/.test(name);
    const re = new RegExp(bare ? String.raw`(?:\b${LEAD})?(?<![\w-])${word}(?![\w-])(?:\s+cam(?:era)?\b)?` : String.raw`\b${WORD_LEAD}${word}(?![\w-])(?:\s+cam(?:era)?\b)?|(?<![\w-])${word}\s+cam(?:era)?\b`, 'gi');
    for (const m of text.matchAll(re)) {
      const start = m.index ?? 0;
      const end = start + m[0].length;
      if (taken(start, end)) continue;
      spans.push([start, end]);
      cameras.add(camera);
    }
  }
  // "camera 3", "cam 2 and 3", "cameras 2, 3", "cam-4": by number.
  for (const m of text.matchAll(NUMBERED)) {
    const start = m.index ?? 0;
    const end = start + m[0].length;
    if (taken(start, end)) continue;
    spans.push([start, end]);
    const numbers = m[1] !== undefined ? [...m[1].matchAll(/\d{1,3}/g)].map((d) => Number(d[0])) : [Number(m[2])];
    for (const n of numbers) {
      const found = ctx.cameras.filter((c) => cameraNumber(c.camera) === n);
      if (found.length === 0) unknownCameras.push(`camera ${n}`);
      for (const c of found) cameras.add(c.camera);
    }
  }

  const filter: ImageFilter = {
    ...(cameras.size > 0 ? { camera: [...cameras].sort() } : {}),
    ...(time.from ? { from: time.from } : {}),
    ...(time.to ? { to: time.to } : {}),
  };
  const found = spans.length > 0;
  return { text: found ? cutSpans(text, spans) : text, filter, unknownCameras, found };
}

/** The number a camera's name ends in when the name is a number with an optional "cam"/"camera" ("cam3" → 3, "camera-03" → 3, "7" → 7). */
export function cameraNumber(camera: string): number | undefined {
  const m = /^(?:cam(?:era)?)?[\s_-]*0*(\d{1,3})$/i.exec(camera.trim());
  return m ? Number(m[1]) : undefined;
}

/** True when the filter restricts anything. */
export function hasPlaceTime(filter: ImageFilter | undefined): boolean {
  return !!filter && ((filter.camera?.length ?? 0) > 0 || !!filter.from || !!filter.to);
}

/** Whether an image passes the filter (the gallery's own filter, for images fetched otherwise). */
export function matchesFilter(record: Pick<ImageRecord, 'camera' | 'capturedAt'>, filter: ImageFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.camera && filter.camera.length > 0 && (!record.camera || !filter.camera.includes(record.camera))) return false;
  if ((filter.from || filter.to) && !record.capturedAt) return false;
  const t = record.capturedAt ? Date.parse(record.capturedAt) : NaN;
  if (filter.from && !(t >= Date.parse(filter.from))) return false;
  if (filter.to && !(t <= Date.parse(filter.to))) return false;
  return true;
}

/**
 * The filter in words: "camera cam3 (lobby) from 14:00 to 23:59 today", "cameras cam2 and cam3 at any time",
 * "any camera after 18:00 yesterday".
 */
export function describeFilter(filter: ImageFilter, ctx: { aliases?: Record<string, readonly string[]>; now: Date; timeZone: string }): string {
  const named = (c: string) => (ctx.aliases?.[c]?.length ? `${c} (${ctx.aliases[c].join(', ')})` : c);
  const cams = filter.camera ?? [];
  const where = cams.length === 0 ? 'any camera' : cams.length === 1 ? `camera ${named(cams[0])}` : `cameras ${listOf(cams.map(named))}`;
  const at = (iso: string) => {
    const d = new Date(iso);
    return { clock: clockOf(d, ctx.timeZone), day: dayName(d, ctx.now, ctx.timeZone) };
  };
  let when = 'at any time';
  if (filter.from && filter.to) {
    const a = at(filter.from);
    const b = at(filter.to);
    when = a.day === b.day ? `from ${a.clock} to ${b.clock} ${a.day}` : `from ${a.clock} ${a.day} to ${b.clock} ${b.day}`;
  } else if (filter.from) {
    const a = at(filter.from);
    when = `after ${a.clock} ${a.day}`;
  } else if (filter.to) {
    const b = at(filter.to);
    when = `before ${b.clock} ${b.day}`;
  }
  return `${where} ${when}`;
}

/** The sentence the bot states a filter with, naming what widens it. */
export function filterStatement(filter: ImageFilter, ctx: Parameters<typeof describeFilter>[1]): string {
  const widen = [(filter.camera?.length ?? 0) > 0 ? '"any camera"' : undefined, filter.from || filter.to ? '"any time"' : undefined].filter(Boolean);
  return `Searching ${describeFilter(filter, ctx)} — say ${widen.join(' or ')} to widen.`;
}

function listOf(xs: readonly string[]): string {
  return xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}

/** The text with the spans removed and the connecting words they leave dangling tidied away. */
function cutSpans(text: string, spans: readonly Span[]): string {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  let out = '';
  let at = 0;
  for (const [s, e] of sorted) {
    if (s < at) continue;
    out += `${text.slice(at, s)} `;
    at = e;
  }
  out += text.slice(at);
  const DANGLING = /(?:^|[\s,;])(?:seen|spotted|walking|was|on|at|in|near|from|around|by|the|and|or|between|who\s+was|,|;)\s*$/i;
  let t = out
    .replace(/\s+([,.;!?])/g, '$1')
    .replace(/([,;])\s*(?=[,;.!?]|$)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  for (let i = 0; i < 6; i++) {
    const next = t.replace(/[,;:.\s]+$/, '').replace(DANGLING, '').replace(/^[,;:.\s]+/, '').replace(/^(?:and|or)\s+/i, '').trim();
    if (next === t) break;
    t = next;
  }
  return t.replace(/\s+,/g, ',').replace(/,\s*,/g, ',').replace(/\s+/g, ' ').trim();
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
