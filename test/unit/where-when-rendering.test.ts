import { describe, expect, it } from 'vitest';
import { galleryBody, timelineBody } from '../../bots/discord/discord-renderer.js';
import { galleryListMessage, timelineMessage } from '../../bots/slack/slack-blocks.js';
import { publicEvents } from '../../bots/web/web-public-events.js';
import type { BotEvent, GalleryItem } from '../../src/conversation/conversation-types.js';
import { spansDays, whereWhenLabel, whereWhenLabels } from '../../src/conversation/tile-label.js';

// Camera and time on tiles, compactly ("cam3 · 14:05"), and the timeline event, in the front ends that
// render on the server (Slack, Discord) and in what the browser is sent (no stored paths).

const tile = (rank: number, extra: Partial<GalleryItem> = {}): GalleryItem => ({ rank, imageId: 100 + rank, path: `/srv/crops/${rank}.jpg`, score: 0.5, cosine: 0.3, anchor: false, ...extra });
const UTC = { timeZone: 'UTC' };

describe('tile labels', () => {
  it('are camera · HH:MM in the given zone, with the day only when the tiles span days', () => {
    expect(whereWhenLabel({ camera: 'cam3', takenAt: '2026-12-04T14:05:59.000Z' }, UTC)).toBe('cam3 · 14:05');
    expect(whereWhenLabel({ camera: 'cam3', takenAt: '2026-12-04T14:05:00.000Z' }, { timeZone: 'Asia/Kolkata' })).toBe('cam3 · 19:35');
    expect(whereWhenLabel({ camera: 'cam3' }, UTC)).toBe('cam3');
    expect(whereWhenLabel({ takenAt: '2026-12-04T09:00:00Z' }, UTC)).toBe('09:00');
    expect(whereWhenLabel({}, UTC)).toBe('');
    const two = [{ camera: 'a', takenAt: '2026-12-03T23:30:00Z' }, { camera: 'b', takenAt: '2026-12-04T00:10:00Z' }];
    expect(spansDays(two, UTC)).toBe(true);
    expect(whereWhenLabels(two, UTC)).toEqual(['a · 3 Dec 23:30', 'b · 4 Dec 00:10']);
    expect(spansDays(two, { timeZone: 'Europe/Paris' })).toBe(false);
  });
});

describe('camera and time in the galleries', () => {
  const items = [tile(1, { camera: 'cam3', takenAt: '2026-12-04T14:05:00.000Z' }), tile(2)];
  const label = whereWhenLabel(items[0]!);
  const event: Extract<BotEvent, { kind: 'gallery' }> = { kind: 'gallery', round: 0, items, query: 'red coat', demo: false, options: [] };

  it('Slack lists "cam3 · 14:05" on the tile that has them and nothing on the one that has not', () => {
    const text = JSON.stringify(galleryListMessage(event).blocks);
    expect(text).toContain(`image 101  ·  ${label}`);
    expect(text).not.toContain('2026-12-04T14:05');
    expect(text).toMatch(/image 102"|image 102\\n|image 102$/m);
  });

  it('Discord lists them the same way', () => {
    const content = galleryBody(event).content!;
    expect(content).toContain(`image 101 · ${label}`);
    expect(content).not.toContain('2026-12-04T14:05');
  });
});

describe('the timeline event', () => {
  const items = [
    tile(1, { imageId: 7, camera: 'cam1', takenAt: '2026-12-04T09:00:05.000Z', cosine: 1, mark: 'picked', anchor: true }),
    tile(2, { imageId: 8, camera: 'cam1', takenAt: '2026-12-04T09:00:09.000Z', cosine: 0.97 }),
    tile(3, { imageId: 31, camera: 'cam3', takenAt: '2026-12-04T13:00:02.000Z', cosine: 0.84 }),
  ];
  const event: Extract<BotEvent, { kind: 'timeline' }> = { kind: 'timeline', imageId: 7, items, text: 'Timeline of image 7 <@U1>', demo: true };
  const labels = whereWhenLabels(items);

  it('Slack posts one line per sighting in order, the confirmed one ticked, text escaped', () => {
    const m = timelineMessage(event);
    const section = (m.blocks![0] as { text: { text: string } }).text.text.split('\n');
    expect(section[0]).toBe('*Timeline* _(demo data)_: Timeline of image 7 &lt;@U1&gt;');
    expect(section.slice(1)).toEqual([`*1.*  ${labels[0]}  ·  image 7  :white_check_mark:`, `*2.*  ${labels[1]}  ·  image 8  \`0.97\``, `*3.*  ${labels[2]}  ·  image 31  \`0.84\``]);
  });

  it('Discord posts the same list, without buttons', () => {
    const body = timelineBody(event);
    expect(body.components).toBeUndefined();
    expect(body.content!.split('\n').slice(1)).toEqual([`**1.** ${labels[0]} · image 7 ✅`, `**2.** ${labels[1]} · image 8 · \`0.97\``, `**3.** ${labels[2]} · image 31 · \`0.84\``]);
  });

  it('the browser gets it without stored paths', () => {
    const [pub] = publicEvents([event]);
    expect(pub!.kind).toBe('timeline');
    expect(JSON.stringify(pub)).not.toContain('/srv/crops');
    expect((pub as { items: unknown[] }).items).toHaveLength(3);
  });
});
