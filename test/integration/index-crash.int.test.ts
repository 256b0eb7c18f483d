import { spawn } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gallery } from '../../src/gallery/gallery.js';
import { openGallery } from '../../src/gallery/open-gallery.js';
import { OnnxClipTextEncoder } from '../../src/models/clip-text-encoder.js';
import { writePainted } from '../fixtures/images.js';
import { writeTinyClipModel, type TinyClipInfo } from '../fixtures/tiny-clip.js';
import { runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const BIN = resolve(__dirname, '../../bin/ctgi.js');
const IMAGES = 240;

let root: string;
let cleanup: () => Promise<void>;
let model: TinyClipInfo;
let images: string;

beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir('crash'));
  model = await writeTinyClipModel(join(root, 'model'), { layout: 'hf' });
  images = join(root, 'images');
  await mkdir(images, { recursive: true });
  for (let k = 0; k < IMAGES; k++) {
    await writePainted(join(images, `img${String(k).padStart(4, '0')}.png`), 32, 64, (x, y) => [(k * 37 + x) % 256, (k * 11 + y * 3) % 256, (k * 71) % 256]);
  }
}, 120_000);
afterAll(() => cleanup());

function buildArgs(index: string): string[] {
  // Small batches and a checkpoint after every chunk, so kills land inside SQLite commits and HNSW saves.
  return [BIN, 'index', 'build', '--model', model.dir, '--images', images, '--index', index, '--batch-size', '2', '--save-every', '0', '--json'];
}

/** Starts a real build process and SIGKILLs it once the index holds at least `atLeast` images. */
async function buildAndKill(index: string, atLeast: number): Promise<void> {
  const child = spawn(process.execPath, buildArgs(index), { stdio: ['ignore', 'ignore', 'pipe'] });
  let exited = false;
  const done = new Promise<void>((r) => child.on('exit', () => ((exited = true), r())));
  const deadline = Date.now() + 60_000;
  while (!exited && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    let count = 0;
    try {
      const g = await openGallery(index);
      count = await g.count();
      await g.close({ save: false });
    } catch {
      // Not created yet.
    }
    if (count >= atLeast) break;
  }
  child.kill('SIGKILL');
  await done;
}

async function topPaths(index: string): Promise<string[]> {
  const gallery = await openGallery(index);
  const text = await OnnxClipTextEncoder.open(model.dir);
  try {
    const [q] = await text.embedTexts(['a person in a green coat']);
    return [...(await gallery.search(q, { top: 10, exact: false })).map((h) => `${h.path} ${h.cosine.toFixed(6)}`)];
  } finally {
    await gallery.close({ save: false });
    await text.close();
  }
}

describe('kill -9 during index build', () => {
  it('leaves an index that opens at every kill, and a re-run resumes to the same result as a clean build', async () => {
    const index = join(root, 'killed');
    let last = 0;
    for (const atLeast of [1, 60, 150]) {
      await buildAndKill(index, atLeast);
      const g = await openGallery(index);
      const size = await g.count();
      expect(size).toBeGreaterThanOrEqual(last);
      expect(size).toBeLessThanOrEqual(IMAGES);
      last = size;
      await g.close({ save: false });
    }
    expect(last).toBeLessThan(IMAGES);

    const resumed = await runCli(buildArgs(index).slice(1));
    expect(resumed.code).toBe(0);
    const report = JSON.parse(resumed.stdout);
    expect(report.images).toBe(IMAGES);
    expect(report.added + report.unchanged).toBe(IMAGES);
    expect(report.unchanged).toBeGreaterThanOrEqual(last);

    expect((await readdir(index)).filter((f) => /\.tmp-\d+$/.test(f))).toEqual([]);

    const clean = join(root, 'clean');
    expect((await runCli(buildArgs(clean).slice(1))).code).toBe(0);
    expect(await topPaths(index)).toEqual(await topPaths(clean));
  }, 240_000);
});
