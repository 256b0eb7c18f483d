// What the browser is sent of the service's events: everything but where images are stored. The page fetches
// pictures by id (/images/<id>), so a stored path, which may be absolute and name the server's folders, is
// never needed there.
import type { BotEvent, BotEvents, GalleryItem } from '../../src/conversation/conversation-types.js';

/** A gallery tile as the browser gets it. */
export type PublicGalleryItem = Omit<GalleryItem, 'path'>;

/** A bot event as the browser gets it. */
export type PublicBotEvent =
  | Exclude<BotEvent, { kind: 'gallery' | 'timeline' }>
  | (Omit<Extract<BotEvent, { kind: 'gallery' }>, 'items'> & { items: PublicGalleryItem[] })
  | (Omit<Extract<BotEvent, { kind: 'timeline' }>, 'items'> & { items: PublicGalleryItem[] });

/** `events` without stored image paths. */
export function publicEvents(events: BotEvents): PublicBotEvent[] {
  return events.map((e) => {
    if (e.kind !== 'gallery' && e.kind !== 'timeline') return e;
    return { ...e, items: e.items.map(({ path: _path, ...item }) => item) };
  });
}
