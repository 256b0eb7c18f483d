import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexFootage } from '../../src/footage/footage-index.js';
import { readProgress } from '../../src/footage/footage-progress.js';
import type { Gallery } from '../../src/gallery/gallery.js';
import { openGallery } from '../../src/gallery/open-gallery.js';
import type { ImageRecord } from '../../src/gallery/gallery-store.js';
import { BLACK, WHITE, writePainted } from '../fixtures/images.js';
import { tinyAnchorsDetector } from '../fixtures/tiny-detector.js';
import { writeTinyClipModel, type TinyClipInfo } from '../fixtures/tiny-clip.js';
import { Command, CommanderError } from 'commander';
import { PassThrough } from 'node:stream';
import { registerIndex } from '../../app/cli/commands/index.command.js';
import { loadConfig } from '../../src/config/config.js';
import { userMessage } from '../../src/errors/ctgi-error.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// Frames of a white figure walking right over a dark street, the tiny generated detector that finds it, and
// the tiny CLIP model: footage → detections → one track → its best crops → the index.

const FRAMES = 12;
const START = '2024-01-05T14:00:00.000Z';
let tmp: { dir: string; cleanup: () => Promise<void> };
let model: TinyClipInfo;
let frames: string;
let detector: string;

const figureAt = (f: number) => ({ x1: 20 + 12 * f, y1: 24, x2: 60 + 12 * f, y2: 104 });

beforeAll(async () => {
  tmp = await makeTempDir('footage-index');
  model = await writeTinyClipModel(join(tmp.dir, 'model'), { layout: 'hf' });
  detector = join(tmp.dir, 'detector.onnx');
  await writeFile(detector, tinyAnchorsDetector(64));
  frames = join(tmp.dir, 'frames');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(frames);
  for (let f = 0; f < FRAMES; f++) {
    const b = figureAt(f);
    // Texture on the figure so crops differ in content and sharpness is measurable.
    await writePainted(join(frames, `frame_${f + 1}.png`), 256, 128, (x, y) => (x >= b.x1 && x < b.x2 && y >= b.y1 && y < b.y2 ? ((x + y) % 3 === 0 ? [150 + 5 * f, 200, 200] : WHITE) : BLACK));
  }
}, 120_000);
afterAll(() => tmp.cleanup());

async function records(index: string): Promise<ImageRecord[]> {
  const g = await openGallery(index);
  try {
    const all = [...(await g.getMany(Array.from({ length: 100 }, (_, i) => i))).values()];
    return all.sort((a, b) => a.path.localeCompare(b.path));
  } finally {
    await g.close({ save: false });
  }
}

/** `ctgi index …` through the command's own registration (main.ts also loads the bots, which this test does not need). */
async function runIndexCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = new PassThrough().on('data', (c: Buffer) => (stdout += c));
  const err = new PassThrough().on('data', (c: Buffer) => (stderr += c));
  const ctx = { config: () => loadConfig(), stdin: process.stdin, stdout: out, stderr: err };
  const program = new Command().exitOverride().configureOutput({ writeOut: (t) => out.write(t), writeErr: (t) => err.write(t) });
  registerIndex(program, ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return { code: 0, stdout, stderr };
  } catch (e) {
    if (!(e instanceof CommanderError)) stderr += `ctgi: ${userMessage(e)}\n`;
    return { code: e instanceof CommanderError ? 2 : 1, stdout, stderr };
  }
}

const base = () => ({ modelDir: model.dir, detector, detectorOptions: { minHeight: 16 }, camera: 'lobby', frames, start: START, fps: 2 });

describe('indexFootage (frames folder)', () => {
  it('indexes the best crops of the track with camera, capture time, box, track id, source and frame time', async () => {
    const index = join(tmp.dir, 'idx-whole');
    const result = await indexFootage({ ...base(), indexDir: index });
    expect(result.sources).toEqual([expect.objectContaining({ frames: FRAMES, detections: FRAMES, tracks: 1, crops: 3, resumedFrom: 0 })]);
    const recs = await records(index);
    expect(recs).toHaveLength(3);
    for (const r of recs) {
      const f = r.footage!;
      const frame = Math.round(f.frameTimeMs / 500);
      expect(r.camera).toBe('lobby');
      expect(r.capturedAt).toBe(new Date(Date.parse(START) + f.frameTimeMs).toISOString());
      expect(f.source).toBe(frames);
      expect(f.trackId).toBe(recs[0].footage!.trackId);
      const truth = figureAt(frame);
      for (const [k, v] of (['x1', 'y1', 'x2', 'y2'] as const).entries()) expect(Math.abs(f.box[k] - truth[v])).toBeLessThanOrEqual(4);
      expect(r.width).toBeGreaterThanOrEqual(36);
      expect(r.height).toBeGreaterThanOrEqual(76);
    }
    // Kept crops are at least two frames apart; evicted candidates leave no files behind.
    const framesKept = recs.map((r) => r.footage!.frameTimeMs / 500).sort((a, b) => a - b);
    for (let i = 1; i < framesKept.length; i++) expect(framesKept[i] - framesKept[i - 1]).toBeGreaterThanOrEqual(2);
    expect(await readdir(join(index, 'crops', 'lobby', 'frames'))).toHaveLength(3);
    // A second run finds the source done and decodes nothing.
    const again = await indexFootage({ ...base(), indexDir: index });
    expect(again.sources[0]).toMatchObject({ unchanged: true, frames: 0 });
    expect(again.size).toBe(3);
  });

  it('a run that dies mid-way resumes at the last commit and ends with the same gallery as an uninterrupted run', async () => {
    const whole = join(tmp.dir, 'idx-whole-2');
    await indexFootage({ ...base(), indexDir: whole, commitEveryFrames: 4 });
    const index = join(tmp.dir, 'idx-crash');
    const crash = new Error('killed');
    await expect(
      indexFootage({
        ...base(),
        indexDir: index,
        commitEveryFrames: 4,
        onFrame: (_s, frame) => {
          if (frame.index === 6) throw crash;
        },
      }),
    ).rejects.toBe(crash);
    expect(Object.values(await readProgress(index))[0]).toMatchObject({ nextFrame: 4, done: false });
    const decoded: number[] = [];
    const resumed = await indexFootage({ ...base(), indexDir: index, commitEveryFrames: 4, onFrame: (_s, frame) => decoded.push(frame.index) });
    expect(resumed.sources[0].resumedFrom).toBe(4);
    expect(decoded).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    const strip = (rs: ImageRecord[]) => rs.map((r) => ({ path: r.path, sha: r.sha256, footage: r.footage, capturedAt: r.capturedAt }));
    expect(strip(await records(index))).toEqual(strip(await records(whole)));
  });

  it('refuses a missing source and a bad --start with a sentence', async () => {
    await expect(indexFootage({ ...base(), indexDir: join(tmp.dir, 'x'), frames: undefined })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(indexFootage({ ...base(), indexDir: join(tmp.dir, 'x'), start: 'yesterday' })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('--start yesterday') });
    // A folder of videos takes each start time from the names; one --start cannot apply to all.
    await expect(indexFootage({ ...base(), indexDir: join(tmp.dir, 'x'), frames: undefined, video: frames })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('--start applies to one video file') });
    await expect(indexFootage({ ...base(), indexDir: join(tmp.dir, 'x'), frames: undefined, video: frames, start: null })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('holds no video files') });
    await expect(indexFootage({ ...base(), indexDir: join(tmp.dir, 'x'), detector: join(tmp.dir, 'nope.onnx') })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('does not exist') });
  });

  it('`ctgi index build --frames` indexes crops and `index info` lists the camera; a bad --fps is one sentence', async () => {
    const index = join(tmp.dir, 'idx-cli');
    const run = await runIndexCli(['index', 'build', '--model', model.dir, '--index', index, '--frames', frames, '--camera', 'lobby', '--detector', detector, '--start', START, '--json']);
    expect(run.code, run.stderr).toBe(0);
    // The CLI's default minimum height (32 px) keeps the 80-px figure.
    expect(JSON.parse(run.stdout)).toMatchObject({ size: 3, sources: [{ tracks: 1, crops: 3 }] });
    const info = await runIndexCli(['index', 'info', '--index', index, '--json']);
    expect(JSON.parse(info.stdout).cameras).toEqual([{ camera: 'lobby', count: 3 }]);
    const bad = await runIndexCli(['index', 'build', '--model', model.dir, '--index', index, '--frames', frames, '--camera', 'lobby', '--detector', detector, '--fps', '0']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--fps must be a number above 0');
    const noCamera = await runIndexCli(['index', 'build', '--model', model.dir, '--index', index, '--frames', frames, '--detector', detector]);
    expect(noCamera.stderr).toContain('--camera NAME and --detector PATH');
  });
});
