import type { Gallery } from '../../src/gallery/gallery.js';
import type { OperatorAction } from '../../src/conversation/conversation-types.js';
import { readWhereWhen, type WhereWhenSettings } from './where-when.js';

// Typed text that changes where/when a running search looks ("any camera", "any time", "only cam2 and
// cam3", "after 15:00"), or asks for the confirmed person's timeline. Only a reply that says nothing else
// counts: anything more is an answer or more description.

const ANY_CAMERA = /^(?:(?:search|look|show)\s+)?(?:any|all|every)\s+cameras?(?:\s+(?:please|again))?$/i;
const ANY_TIME = /^(?:(?:search|look|show)\s+)?(?:any\s*time|all\s+times?|any\s+day|any\s+hour|whenever)(?:\s+(?:please|again))?$/i;
const ANYWHERE = /^(?:anywhere(?:\s+(?:and\s+)?any\s*time)?|any\s+camera\s+(?:and|,)\s+any\s*time|any\s*time\s+(?:and|,)\s+any\s+camera|(?:clear|remove|drop|no)\s+(?:the\s+)?(?:filters?|limits?))$/i;
const FILLER = /\b(?:only|just|now|then|instead|please|search|show|look|me|images?|pictures?|crops?|from|but|and|ok(?:ay)?)\b|[,.!;:]/gi;
const TIMELINE = /^(?:(?:show|give|post)\s+(?:me\s+)?)?(?:the\s+|a\s+|their\s+|his\s+|her\s+)?timeline(?:\s+(?:of|for)\s+#?(\d{1,3}))?$|^#(\d{1,3})\s+timeline$/i;

const tidy = (text: string) => text.replace(/\s+/g, ' ').trim().replace(/[.!]+$/, '').trim();

/** The filter change `text` asks for, or undefined when it is anything else. */
export async function filterChangeOf(text: string, gallery: Gallery, settings: WhereWhenSettings): Promise<Extract<OperatorAction, { kind: 'filter' }> | undefined> {
  const t = tidy(text);
  if (t.length === 0 || t.length > 200) return undefined;
  if (ANYWHERE.test(t)) return { kind: 'filter', cameras: null, from: null, to: null };
  if (ANY_CAMERA.test(t)) return { kind: 'filter', cameras: null };
  if (ANY_TIME.test(t)) return { kind: 'filter', from: null, to: null };
  const place = await readWhereWhen(gallery, t, settings);
  if (!place.found || place.unknownCameras.length > 0) return undefined;
  // Whatever is left must be glue words: "only cam2 and cam3", "just after 15:00 please".
  if (place.text.replace(FILLER, ' ').trim().length > 0) return undefined;
  const f = place.filter;
  return {
    kind: 'filter',
    ...(f.camera ? { cameras: f.camera } : {}),
    ...(f.from || f.to ? { from: f.from ?? null, to: f.to ?? null } : {}),
  };
}

/** A typed request for the timeline ("timeline", "show me the timeline of #3", "#3 timeline"), or undefined. */
export function timelineRequestOf(text: string): Extract<OperatorAction, { kind: 'timeline' }> | undefined {
  const m = TIMELINE.exec(tidy(text));
  if (!m) return undefined;
  const rank = m[1] ?? m[2];
  return { kind: 'timeline', ...(rank !== undefined ? { rank: Number(rank) } : {}) };
}
