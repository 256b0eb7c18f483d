import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDemoDetector } from '../../src/demo/demo-detector.js';
import { writeDemoModelDir } from '../../src/demo/demo-model.js';
import { writeScene } from '../../src/demo/scene.js';
import { findFfmpeg, openVideo } from '../../src/footage/ffmpeg-frames.js';
import { indexFootage } from '../../src/footage/footage-index.js';
import { BLACK, WHITE, writePainted } from '../fixtures/images.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// Video decoding needs an ffmpeg binary (the @ffmpeg-installer/ffmpeg package or one on PATH). Without one
// the decoding tests are skipped with a message and the "no ffmpeg" sentence is checked instead.

const ffmpeg = await findFfmpeg();
if (!ffmpeg) console.warn('footage-video: no ffmpeg found (neither @ffmpeg-installer/ffmpeg nor ffmpeg on PATH); video decoding tests are skipped.');

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await makeTempDir('footage-video');
});
afterAll(() => tmp.cleanup());

async function collect(source: Awaited<ReturnType<typeof openVideo>>, from = 0) {
  const out: Array<{ index: number; timeMs: number; width: number; height: number; mean: number }> = [];
  for await (const f of source.frames(from)) {
    let sum = 0;
    for (let i = 0; i < f.pixels.data.length; i += 3) sum += f.pixels.data[i];
    out.push({ index: f.index, timeMs: f.timeMs, width: f.pixels.width, height: f.pixels.height, mean: sum / (f.pixels.data.length / 3) });
  }
  return out;
}

describe.skipIf(ffmpeg !== undefined)('video without ffmpeg', () => {
  it('says in one sentence how to get ffmpeg or use --frames', async () => {
    await expect(openVideo(join(tmp.dir, 'any.mp4'), { fps: 2, start: null })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/needs ffmpeg.*--frames DIR/),
    });
  });
});

describe.skipIf(ffmpeg === undefined)('video through ffmpeg', () => {
  let video: string;
  beforeAll(async () => {
    const frames = join(tmp.dir, 'src');
    await mkdir(frames);
    // 8 s at 10 fps: a bright square moving right, brightness rising with time.
    for (let f = 0; f < 80; f++) {
      await writePainted(join(frames, `f${String(f).padStart(3, '0')}.png`), 160, 96, (x, y) => (x >= f && x < f + 40 && y >= 20 && y < 80 ? WHITE : BLACK));
    }
    video = join(tmp.dir, 'lobby_20240105T140000.mp4');
    const r = spawnSync(ffmpeg!, ['-hide_banner', '-loglevel', 'error', '-framerate', '10', '-i', join(frames, 'f%03d.png'), '-c:v', 'mpeg4', '-q:v', '2', video]);
    expect(r.status, String(r.stderr)).toBe(0);
  }, 120_000);

  it('samples at the requested fps, streams frames with their times, and takes the start from the name', async () => {
    const source = await openVideo(video, { fps: 2, start: null });
    expect(source.startsAt).toBe('2024-01-05T14:00:00.000Z');
    const frames = await collect(source);
    expect(frames.length).toBeGreaterThanOrEqual(15);
    expect(frames.length).toBeLessThanOrEqual(17);
    expect(frames.slice(0, 3).map((f) => [f.index, f.timeMs, f.width, f.height])).toEqual([
      [0, 0, 160, 96],
      [1, 500, 160, 96],
      [2, 1000, 160, 96],
    ]);
  });

  it('takes the start time from the container’s creation_time before the name', async () => {
    const tagged = join(tmp.dir, 'lobby_20240105T140000-tagged.mp4');
    const r = spawnSync(ffmpeg!, ['-hide_banner', '-loglevel', 'error', '-i', video, '-c', 'copy', '-metadata', 'creation_time=2024-03-01T10:00:00.000000Z', tagged]);
    expect(r.status, String(r.stderr)).toBe(0);
    expect((await openVideo(tagged, { fps: 2, start: null })).startsAt).toBe('2024-03-01T10:00:00.000Z');
    expect((await openVideo(tagged, { fps: 2, start: '2024-03-02T08:00:00.000Z' })).startsAt).toBe('2024-03-02T08:00:00.000Z');
  });

  it('resumes at a frame number by seeking', async () => {
    const source = await openVideo(video, { fps: 2, start: null });
    const tail = await collect(source, 10);
    expect(tail[0]).toMatchObject({ index: 10, timeMs: 5000 });
  });

  it('a truncated file yields what it can and says where it stopped', async () => {
    const bytes = await readFile(video);
    const cut = join(tmp.dir, 'cut.mp4');
    await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const source = await openVideo(cut, { fps: 2, start: null });
    const seen: number[] = [];
    let error: unknown;
    try {
      for await (const f of source.frames(0)) seen.push(f.index);
    } catch (err) {
      error = err;
    }
    // An MP4 cut in half may lose its index entirely (nothing decodable) or keep part of its frames.
    if (error) expect(error).toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('stopped') });
    else expect(seen.length).toBeGreaterThan(0);
  });

  it('indexes a demo scene from MP4 like from its frames, and resumes a killed run by seeking', async () => {
    const dir = join(tmp.dir, 'scene');
    const scene = await writeScene(dir, { seed: 2, frames: 24, people: 4, mp4: true });
    expect(scene.video).toBe('street_20240506T140000.mp4');
    const mp4 = join(dir, scene.video!);
    const model = join(tmp.dir, 'model');
    await writeDemoModelDir(model);
    const detector = await openDemoDetector(join(dir, 'background.png'));
    const fromFrames = await indexFootage({ indexDir: join(tmp.dir, 'i-frames'), modelDir: model, detector, camera: 'street', frames: join(dir, 'frames'), start: scene.start });
    const whole = await indexFootage({ indexDir: join(tmp.dir, 'i-video'), modelDir: model, detector, camera: 'street', video: mp4 });
    expect(whole.sources[0]).toMatchObject({ frames: 24 });
    expect(Math.abs(whole.sources[0].tracks - fromFrames.sources[0].tracks)).toBeLessThanOrEqual(1);
    const crash = new Error('killed');
    await expect(
      indexFootage({ indexDir: join(tmp.dir, 'i-crash'), modelDir: model, detector, camera: 'street', video: mp4, commitEveryFrames: 5, onFrame: (_s, f) => { if (f.index === 12) throw crash; } }),
    ).rejects.toBe(crash);
    const decoded: number[] = [];
    const resumed = await indexFootage({ indexDir: join(tmp.dir, 'i-crash'), modelDir: model, detector, camera: 'street', video: mp4, commitEveryFrames: 5, onFrame: (_s, f) => decoded.push(f.index) });
    expect(resumed.sources[0].resumedFrom).toBe(10);
    expect(decoded[0]).toBe(10);
    expect(resumed.size).toBe(whole.size);
  }, 120_000);
});

