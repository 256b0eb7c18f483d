import { describe, expect, it } from 'vitest';
import { filterChangeOf, timelineRequestOf } from '../../agent/service/filter-change-text.js';
import type { Gallery } from '../../src/gallery/gallery.js';

// Typed replies that change where/when a running search looks, or ask for the timeline; anything that says
// more than that is an answer or more description and must not be taken for one.

const gallery = {
  manifest: { cameraAliases: { cam3: ['lobby'] } },
  cameras: async () => [{ camera: 'cam1', count: 4 }, { camera: 'cam2', count: 5 }, { camera: 'cam3', count: 6 }],
} as unknown as Gallery;
const settings = { timeZone: 'UTC', now: () => new Date('2026-12-04T18:00:00Z'), timelineMinCosine: 0.8 };
const change = (text: string) => filterChangeOf(text, gallery, settings);

describe('filter changes in typed text', () => {
  it.each([
    ['any camera', { kind: 'filter', cameras: null }],
    ['All cameras please', { kind: 'filter', cameras: null }],
    ['any time', { kind: 'filter', from: null, to: null }],
    ['anytime.', { kind: 'filter', from: null, to: null }],
    ['anywhere', { kind: 'filter', cameras: null, from: null, to: null }],
    ['clear the filter', { kind: 'filter', cameras: null, from: null, to: null }],
    ['only cam2 and cam3', { kind: 'filter', cameras: ['cam2', 'cam3'] }],
    ['just the lobby', undefined],
    ['near the lobby', { kind: 'filter', cameras: ['cam3'] }],
    ['after 15:00', { kind: 'filter', from: '2026-12-04T15:00:00.000Z', to: '2026-12-04T23:59:59.999Z' }],
    ['now only camera 1 between 9 and 11 am', { kind: 'filter', cameras: ['cam1'], from: '2026-12-04T09:00:00.000Z', to: '2026-12-04T11:00:00.000Z' }],
  ])('%s', async (text, action) => {
    expect(await change(text)).toEqual(action);
  });

  it.each(['yes', "don't know", 'a red backpack', 'he had a camera bag', 'black jacket after 15:00', 'camera 9', 'any', 'the second one', '2 pm shoes'])('is not a filter change: %s', async (text) => {
    expect(await change(text)).toBeUndefined();
  });
});

describe('timeline requests in typed text', () => {
  it('reads "timeline", "show me the timeline of #3" and "#3 timeline", nothing else', () => {
    expect(timelineRequestOf('timeline')).toEqual({ kind: 'timeline' });
    expect(timelineRequestOf('Show me the timeline of #3.')).toEqual({ kind: 'timeline', rank: 3 });
    expect(timelineRequestOf('#12 timeline')).toEqual({ kind: 'timeline', rank: 12 });
    for (const t of ['timelines are nice', 'no timeline', 'what is a timeline?', '#3 is them']) expect(timelineRequestOf(t)).toBeUndefined();
  });
});
