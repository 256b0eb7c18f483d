import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { imageByIdReader } from '../../agent/round/image-readers.js';
import { DEFAULT_ROUND_OPTIONS } from '../../agent/round/round-options.js';
import { createConversationService, type PrunableConversationService } from '../../agent/service/conversation-service.js';
import type { BotEvent, BotEvents } from '../../src/conversation/conversation-types.js';
import { buildDemoFootage, type DemoFootage } from '../../src/demo/footage-world.js';
import type { Gallery } from '../../src/gallery/gallery.js';
import type { ImageRecord } from '../../src/gallery/gallery-store.js';
import { openGallery } from '../../src/gallery/open-gallery.js';
import { DEFAULT_TIMELINE_MIN_COSINE } from '../../src/gallery/person-timeline.js';
import type { TextEncoder } from '../../src/models/encoder.js';
import { openTextEncoder } from '../../src/models/open-encoders.js';
import { runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// Where and when through the conversation service over demo footage: three cameras watching the same people
// at 09:00, 11:00 and 13:00 UTC (15 s each), a clock fixed at 18:00 UTC. A description's camera and time
// filter every gallery of the dialogue, the bot states the filter, typed changes widen or narrow it, and a
// confirmed person's timeline lists its own track first, then other cameras, each by capture time.

const NOW = new Date('2026-12-04T18:00:00.000Z');
let tmp: { dir: string; cleanup: () => Promise<void> };
let built: DemoFootage;
let gallery: Gallery;
let encoder: TextEncoder;
let records: Map<number, ImageRecord>;
let n = 0;
const services: PrunableConversationService[] = [];
const errors: string[] = [];
const user = { id: 'U1', name: 'operator' };

beforeAll(async () => {
  tmp = await makeTempDir('where-when');
  built = await buildDemoFootage(join(tmp.dir, 'world'), {
    peopleSeed: 11,
    people: 5,
    frames: 30,
    cameras: [
      { camera: 'cam1', seed: 111, start: '2026-12-04T09:00:00.000Z' },
      { camera: 'cam2', seed: 112, start: '2026-12-04T11:00:00.000Z' },
      { camera: 'cam3', seed: 113, start: '2026-12-04T13:00:00.000Z' },
    ],
  });
  // Aliases as an operator sets them, through the CLI.
  const cli = await runCli(['index', 'cameras', '--index', built.indexDir, '--alias', 'cam3=lobby,entrance']);
  expect(cli.code, cli.stderr).toBe(0);
  expect(cli.stdout).toMatch(/cam3\s+\d+ images\s+aka lobby, entrance/);
  gallery = await openGallery(built.indexDir);
  encoder = await openTextEncoder(built.modelDir);
  records = await gallery.getMany(Array.from({ length: (await gallery.count()) + 10 }, (_, i) => i));
}, 180_000);

afterEach(() => expect(errors).toEqual([]));

afterAll(async () => {
  for (const s of services) await s.close();
  await encoder?.close();
  await gallery?.close({ save: false });
  await tmp?.cleanup();
});

function open(checkpointFile = join(tmp.dir, `checkpoints-${++n}.sqlite`)): PrunableConversationService {
  const service = createConversationService({
    deps: { gallery, textEncoder: encoder, options: DEFAULT_ROUND_OPTIONS, demo: false, witnessTimeoutSeconds: 120, readImage: imageByIdReader(gallery) },
    checkpointFile,
    now: () => NOW.getTime(),
    whereWhen: { timeZone: 'UTC', now: () => NOW },
    logError: (m) => errors.push(m),
  });
  services.push(service);
  return service;
}

type GalleryEvent = Extract<BotEvent, { kind: 'gallery' }>;
const galleries = (events: BotEvents) => events.filter((e): e is GalleryEvent => e.kind === 'gallery');
const texts = (events: BotEvents) => events.flatMap((e) => (e.kind === 'text' ? [e.text] : []));
const camerasOf = (g: GalleryEvent) => new Set(g.items.map((i) => i.camera));

describe('where and when in the conversation (demo footage)', () => {
  it('the index lists its cameras with counts and aliases', async () => {
    const cli = await runCli(['index', 'cameras', '--index', built.indexDir, '--json']);
    const cams = JSON.parse(cli.stdout).cameras as Array<{ camera: string; count: number; aliases: string[] }>;
    expect(cams.map((c) => c.camera)).toEqual(['cam1', 'cam2', 'cam3']);
    expect(cams.find((c) => c.camera === 'cam3')!.aliases).toEqual(['lobby', 'entrance']);
    const bad = await runCli(['index', 'cameras', '--index', built.indexDir, '--alias', 'cam9=hall']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('no camera "cam9"; its cameras are cam1, cam2, cam3');
  });

  it('a description with a place alias and a time searches only there and then, and says so first', async () => {
    const service = open();
    const events = await service.start('web:local:t1', user, 'a person near the lobby after 12:30');
    expect(texts(events)[0]).toBe('Searching camera cam3 (lobby, entrance) from 12:30 to 23:59 today — say "any camera" or "any time" to widen.');
    const [g] = galleries(events);
    expect(g.query).toBe('a person');
    expect(g.items.length).toBeGreaterThan(0);
    for (const item of g.items) {
      expect(item.camera).toBe('cam3');
      expect(Date.parse(item.takenAt!)).toBeGreaterThanOrEqual(Date.parse('2026-12-04T12:30:00Z'));
    }
  });

  it('"any camera" widens, a time narrows, "any time" widens again — each with a new gallery', async () => {
    const service = open();
    const thread = 'web:local:t2';
    const first = await service.start(thread, user, 'a person seen on camera 2');
    expect(texts(first)[0]).toBe('Searching camera cam2 at any time — say "any camera" to widen.');
    expect(camerasOf(galleries(first)[0])).toEqual(new Set(['cam2']));

    const wide = await service.answer(thread, user, 'any camera');
    expect(texts(wide)).toContain('Searching every camera at any time.');
    const g1 = galleries(wide)[0];
    expect(g1.round).toBeGreaterThan(0);
    expect(camerasOf(g1).size).toBeGreaterThan(1);

    const late = await service.answer(thread, user, 'after 12:00');
    expect(texts(late)).toContain('Searching any camera from 12:00 to 23:59 today — say "any time" to widen.');
    expect(camerasOf(galleries(late)[0])).toEqual(new Set(['cam3']));

    const anyTime = await service.start(thread, user, 'any time');
    expect(texts(anyTime)).toContain('Searching every camera at any time.');
    expect(camerasOf(galleries(anyTime)[0]).size).toBeGreaterThan(1);

    const again = await service.act(thread, user, { kind: 'filter', cameras: ['cam1', 'cam2'], from: null, to: null });
    expect(texts(again)).toContain('Searching cameras cam1 and cam2 at any time — say "any camera" to widen.');
    expect([...camerasOf(galleries(again)[0])].every((c) => c === 'cam1' || c === 'cam2')).toBe(true);

    const refused = await service.act(thread, user, { kind: 'filter', cameras: ['cam7'] });
    expect(texts(refused)).toEqual(['This gallery has no camera cam7; its cameras are cam1, cam2, cam3.']);
  });

  it('a confirmed person’s timeline: own track first, then other cameras, each by time — also after a restart', async () => {
    const file = join(tmp.dir, 'timeline.sqlite');
    const service = open(file);
    const thread = 'web:local:t3';
    const start = await service.start(thread, user, 'a person on cam1');
    const picked = galleries(start)[0].items[0].imageId;
    await service.answer(thread, user, '#1 is them');
    const done = await service.answer(thread, user, 'done');
    const closed = done.find((e) => e.kind === 'done');
    expect(closed).toMatchObject({ reason: 'confirmed', imageId: picked });
    expect(closed!.text).toContain('Say "timeline"');

    // A new service over the same checkpoints: the conversation is over, its confirmed image is kept.
    const later = open(file);
    const events = await later.answer(thread, user, 'timeline');
    const timeline = events.find((e): e is Extract<BotEvent, { kind: 'timeline' }> => e.kind === 'timeline');
    expect(timeline, JSON.stringify(events)).toBeDefined();
    expect(timeline!.imageId).toBe(picked);
    const track = records.get(picked)!.footage!.trackId;
    const recs = timeline!.items.map((i) => records.get(i.imageId)!);
    const own = recs.filter((r) => r.footage?.trackId === track).length;
    expect(own).toBeGreaterThanOrEqual(1);
    // Same-track crops lead; every crop of the track in the gallery is there.
    expect(recs.slice(0, own).every((r) => r.footage!.trackId === track)).toBe(true);
    expect(own).toBe([...records.values()].filter((r) => r.footage?.trackId === track).length);
    const others = timeline!.items.slice(own);
    expect(others.length).toBeGreaterThan(0);
    for (const item of others) {
      expect(item.camera).not.toBe('cam1');
      expect(item.cosine).toBeGreaterThanOrEqual(DEFAULT_TIMELINE_MIN_COSINE);
    }
    const times = (xs: typeof recs) => xs.map((r) => Date.parse(r.capturedAt!));
    const sorted = (xs: number[]) => xs.every((t, i) => i === 0 || xs[i - 1] <= t);
    expect(sorted(times(recs.slice(0, own)))).toBe(true);
    expect(sorted(times(recs.slice(own)))).toBe(true);
    // The look-alikes on other cameras are mostly the same person (ground truth from the scenes).
    const who = built.identityOf.get(picked);
    const right = others.filter((i) => built.identityOf.get(i.imageId) === who).length;
    expect(right / others.length).toBeGreaterThanOrEqual(0.5);
  });

  it('a description that says only where and when is refused with a sentence', async () => {
    const events = await open().start('web:local:t4', user, 'camera 3 after 14:00');
    expect(texts(events)[0]).toMatch(/^I read where and when \(camera cam3 \(lobby, entrance\) from 14:00 to 23:59 today\) but not who/);
  });
});
