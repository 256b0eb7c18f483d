import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProgress } from '../../src/footage/footage-progress.js';
import type { Gallery } from '../../src/gallery/gallery.js';
import { openGallery } from '../../src/gallery/open-gallery.js';
import { BLACK, WHITE, writePainted } from '../fixtures/images.js';
import { tinyAnchorsDetector } from '../fixtures/tiny-detector.js';
import { writeTinyClipModel, type TinyClipInfo } from '../fixtures/tiny-clip.js';
import { makeTempDir } from '../helpers/temp-dir.js';

// A footage build SIGKILLed part-way (a real process, so no finally block runs) resumes from its last
// commit and ends with the same gallery as a build that was never interrupted.

const ROOT = resolve(__dirname, '../..');
const FRAMES = 24;
const START = '2024-01-05T14:00:00.000Z';
let tmp: { dir: string; cleanup: () => Promise<void> };
let model: TinyClipInfo;
let frames: string;
let detector: string;

beforeAll(async () => {
  tmp = await makeTempDir('footage-kill');
  model = await writeTinyClipModel(join(tmp.dir, 'model'), { layout: 'hf' });
  detector = join(tmp.dir, 'detector.onnx');
  await writeFile(detector, tinyAnchorsDetector(64));
  frames = join(tmp.dir, 'frames');
  await mkdir(frames);
  // Two passers-by, one after the other, so tracks end and commit during the run.
  for (let f = 0; f < FRAMES; f++) {
    const x = 20 + 12 * (f % 12);
    await writePainted(join(frames, `frame_${f + 1}.png`), 256, 128, (px, py) =>
      px >= x && px < x + 40 && py >= 24 && py < 104 ? ((px + py) % 3 === 0 ? [150 + 4 * f, 200, 200] : WHITE) : BLACK,
    );
  }
}, 120_000);
afterAll(() => tmp.cleanup());

function build(index: string, pauseMs: number) {
  const child = spawn(process.execPath, ['bin/run-ts.js', 'test/fixtures/footage-build-process.ts', index, model.dir, detector, frames, START, String(pauseMs)], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  const done = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, done, stderr: () => stderr };
}

async function contents(index: string) {
  const g = await openGallery(index);
  try {
    return [...(await g.getMany(Array.from({ length: 200 }, (_, i) => i))).values()]
      .map((r) => ({ path: r.path, sha: r.sha256, footage: r.footage, capturedAt: r.capturedAt }))
      .sort((a, b) => a.path.localeCompare(b.path));
  } finally {
    await g.close({ save: false });
  }
}

describe('footage build killed part-way', () => {
  it('resumes at the last commit and ends with the gallery of an uninterrupted build', async () => {
    const whole = join(tmp.dir, 'whole');
    const w = build(whole, 0);
    expect(await w.done, w.stderr()).toBe(0);

    const index = join(tmp.dir, 'killed');
    const k = build(index, 150);
    const deadline = Date.now() + 60_000;
    let progressed = 0;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      progressed = Object.values(await readProgress(index))[0]?.nextFrame ?? 0;
      if (progressed >= 14) break;
    }
    k.child.kill('SIGKILL');
    await k.done;
    const at = Object.values(await readProgress(index))[0];
    expect(at.done).toBe(false);
    expect(at.nextFrame).toBeGreaterThanOrEqual(14);

    const again = build(index, 0);
    expect(await again.done, again.stderr()).toBe(0);
    expect(Object.values(await readProgress(index))[0]).toMatchObject({ done: true, nextFrame: FRAMES });
    const expected = await contents(whole);
    expect(expected.length).toBeGreaterThanOrEqual(4);
    expect(await contents(index)).toEqual(expected);
  }, 180_000);
});
