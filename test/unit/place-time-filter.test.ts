import { describe, expect, it } from 'vitest';
import { cameraNumber, describeFilter, filterStatement, matchesFilter, parsePlaceTime, type PlaceTimeContext } from '../../src/gallery/place-time-filter.js';
import { clockMinutes } from '../../src/gallery/time-phrases.js';

// "Now" is Friday 4 Dec 2026, 16:30 in Paris (UTC+1): every relative phrase resolves against it.
const ctx: PlaceTimeContext = {
  cameras: [{ camera: 'cam1' }, { camera: 'cam2' }, { camera: 'cam3', aliases: ['lobby', 'entrance'] }, { camera: 'street' }],
  now: new Date('2026-12-04T15:30:00Z'),
  timeZone: 'Europe/Paris',
};
const parse = (text: string, c: Partial<PlaceTimeContext> = {}) => parsePlaceTime(text, { ...ctx, ...c });

describe('parsePlaceTime: where', () => {
  it.each([
    ['camera 3 after 14:00', ['cam3']],
    ['a woman with a red bag on cam2', ['cam2']],
    ['cam 2 and 3: man in a blue coat', ['cam2', 'cam3']],
    ['cameras 1, 2 or 3', ['cam1', 'cam2', 'cam3']],
    ['near the lobby around 2 pm', ['cam3']],
    ['man at the entrance', ['cam3']],
    ['seen on the street camera', ['street']],
    ['outside the LOBBY, tall man', ['cam3']],
    ['CAM-1 a child', ['cam1']],
  ])('%s → %j', (text, cameras) => {
    expect(parse(text).filter.camera).toEqual(cameras);
  });

  it('names a camera number the gallery lacks instead of guessing', () => {
    const p = parse('camera 9, grey hoodie');
    expect(p.filter.camera).toBeUndefined();
    expect(p.unknownCameras).toEqual(['camera 9']);
    expect(p.text).toBe('grey hoodie');
  });

  it('reads camera numbers from names', () => {
    expect([cameraNumber('cam3'), cameraNumber('Camera-03'), cameraNumber('7'), cameraNumber('lobby'), cameraNumber('gate3b')]).toEqual([3, 3, 7, undefined, undefined]);
  });
});

describe('parsePlaceTime: when (Europe/Paris, now = Fri 4 Dec 2026 16:30)', () => {
  it.each([
    ['camera 3 after 14:00', '2026-12-04T13:00:00.000Z', '2026-12-04T22:59:59.999Z'],
    ['near the lobby around 2 pm', '2026-12-04T12:30:00.000Z', '2026-12-04T13:30:00.000Z'],
    ['yesterday evening', '2026-12-03T17:00:00.000Z', '2026-12-03T22:59:59.999Z'],
    ['between 13:00 and 15:30 on cam2', '2026-12-04T12:00:00.000Z', '2026-12-04T14:30:00.000Z'],
    ['between 1 and 3 pm', '2026-12-04T12:00:00.000Z', '2026-12-04T14:00:00.000Z'],
    ['from 9am to noon', '2026-12-04T08:00:00.000Z', '2026-12-04T11:00:00.000Z'],
    ['13:00-15:30', '2026-12-04T12:00:00.000Z', '2026-12-04T14:30:00.000Z'],
    ['this morning', '2026-12-04T05:00:00.000Z', '2026-12-04T10:59:59.999Z'],
    ['today', '2026-12-03T23:00:00.000Z', '2026-12-04T22:59:59.999Z'],
    ['before 10:00 yesterday', '2026-12-02T23:00:00.000Z', '2026-12-03T09:00:00.000Z'],
    ['last night', '2026-12-03T21:00:00.000Z', '2026-12-04T04:59:59.999Z'],
    ['on Monday afternoon', '2026-11-30T11:00:00.000Z', '2026-11-30T16:59:59.999Z'],
    ['on 2 Dec in the morning', '2026-12-02T05:00:00.000Z', '2026-12-02T10:59:59.999Z'],
    ['2026-11-20', '2026-11-19T23:00:00.000Z', '2026-11-20T22:59:59.999Z'],
    ['in the last 2 hours', '2026-12-04T13:30:00.000Z', '2026-12-04T15:30:00.000Z'],
    // A time of day that has not come yet today is the last one that did: yesterday's.
    ['after 22:00', '2026-12-03T21:00:00.000Z', '2026-12-03T22:59:59.999Z'],
    ['since 14h30', '2026-12-04T13:30:00.000Z', '2026-12-04T22:59:59.999Z'],
  ])('%s', (text, from, to) => {
    const p = parse(text);
    expect(p.filter.from).toBe(from);
    expect(p.filter.to).toBe(to);
  });

  it('resolves in the configured zone', () => {
    const p = parse('after 14:00', { timeZone: 'America/New_York', now: new Date('2026-12-04T21:30:00Z') });
    expect(p.filter.from).toBe('2026-12-04T19:00:00.000Z');
  });

  it('reads clock tokens', () => {
    expect(['2 pm', '12 am', '12pm', '14:05', '9:30 a.m.', '14h', 'noon', '3 o\'clock', '25:00', '13 pm'].map((t) => clockMinutes(t))).toEqual([840, 0, 720, 845, 570, 840, 720, 180, undefined, undefined]);
  });
});

describe('parsePlaceTime: the description left to embed', () => {
  it.each([
    ['a man in a red jacket near the lobby around 2 pm', 'a man in a red jacket'],
    ['camera 3 after 14:00, woman with a black backpack', 'woman with a black backpack'],
    ['tall woman, blue dress, seen yesterday evening on cam2', 'tall woman, blue dress'],
    ['between 13:00 and 15:30 on cam2 a boy with a skateboard', 'a boy with a skateboard'],
  ])('%s → %s', (text, left) => {
    expect(parse(text).text).toBe(left);
  });

  it.each([
    'a man in a 2-piece suit',
    'wearing a T3 shirt',
    'woman in an evening dress with a street-style bag',
    'man in street clothes carrying 2 bags',
    'a girl about 12 years old with a 3 stripe jacket',
    'guy with a camera bag',
    'red jacket, jeans size 32, number 10 on his back',
    'this man has a lobby badge',
  ])('is not a place or time: %s', (text) => {
    const p = parse(text);
    expect(p.found).toBe(false);
    expect(p.filter).toEqual({});
    expect(p.text).toBe(text);
  });
});

describe('the stated filter', () => {
  const now = ctx.now;
  it('names the cameras with their aliases and the window with its day', () => {
    const p = parse('camera 3 after 14:00');
    expect(filterStatement(p.filter, { aliases: { cam3: ['lobby'] }, now, timeZone: ctx.timeZone })).toBe('Searching camera cam3 (lobby) from 14:00 to 23:59 today — say "any camera" or "any time" to widen.');
    expect(describeFilter(parse('cam1 and cam2 last night').filter, { now, timeZone: ctx.timeZone })).toBe('cameras cam1 and cam2 from 22:00 yesterday to 05:59 today');
    expect(describeFilter({ camera: ['cam1'] }, { now, timeZone: ctx.timeZone })).toBe('camera cam1 at any time');
  });

  it('matchesFilter agrees with the bounds, inclusively', () => {
    const f = parse('cam2 between 13:00 and 15:30').filter;
    expect(matchesFilter({ camera: 'cam2', capturedAt: '2026-12-04T12:00:00.000Z' }, f)).toBe(true);
    expect(matchesFilter({ camera: 'cam2', capturedAt: '2026-12-04T14:30:00.001Z' }, f)).toBe(false);
    expect(matchesFilter({ camera: 'cam1', capturedAt: '2026-12-04T13:00:00.000Z' }, f)).toBe(false);
    expect(matchesFilter({ camera: 'cam2', capturedAt: null }, f)).toBe(false);
    expect(matchesFilter({ camera: null, capturedAt: null }, {})).toBe(true);
  });
});
