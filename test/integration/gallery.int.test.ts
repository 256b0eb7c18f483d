import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gallery } from '../../src/gallery/gallery.js';
import { openGallery } from '../../src/gallery/open-gallery.js';
import { OnnxClipImageEncoder } from '../../src/models/clip-image-encoder.js';
import { OnnxClipTextEncoder } from '../../src/models/clip-text-encoder.js';
import { writeJpeg, writePainted, type Rgb } from '../fixtures/images.js';
import { writeTinyClipModel, type TinyClipInfo } from '../fixtures/tiny-clip.js';
import { runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let root: string;
let cleanup: () => Promise<void>;
let model: TinyClipInfo;
let images: string;
let index: string;
const QUERY = 'a man in a red jacket and blue jeans';

/** 4 images per camera folder; distinct colours so embeddings differ. */
async function writeGallery(dir: string): Promise<string[]> {
  const made: string[] = [];
  for (const cam of ['cam1', 'cam2', 'cam3']) {
    await mkdir(join(dir, cam), { recursive: true });
    for (let i = 0; i < 4; i++) {
      const k = made.length;
      const top: Rgb = [(k * 53) % 256, (k * 97 + 40) % 256, (k * 31 + 90) % 256];
      const paint = (x: number, y: number): Rgb => (y < 50 ? top : [(x * 5 + k * 20) % 256, 60, (y + k * 9) % 256]);
      const file = join(dir, cam, `p${k}.${k % 2 ? 'png' : 'jpg'}`);
      made.push(k % 2 ? await writePainted(file, 40, 100, paint) : await writeJpeg(file, 40, 100, paint));
    }
  }
  return made;
}

beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir('gallery'));
  model = await writeTinyClipModel(join(root, 'model'), { layout: 'hf' });
  images = join(root, 'images');
  await writeGallery(images);
  await writeFile(join(images, 'cam2', 'broken.jpg'), 'not really a jpeg');
  await writeFile(join(images, 'README.txt'), 'camera export notes');
  await copyFile(join(images, 'cam1', 'p0.jpg'), join(images, 'cam3', 'copy-of-p0.jpg'));
  index = join(root, 'index');
});
afterAll(() => cleanup());

async function build(...extra: string[]) {
  const r = await runCli(['index', 'build', '--model', model.dir, '--images', images, '--index', index, '--camera-pattern', '^([^/]+)/', '--json', ...extra]);
  expect(r.stderr).not.toMatch(/Internal error/);
  return { ...r, report: r.code === 0 ? JSON.parse(r.stdout) : undefined };
}

/** Independent reference: cosines of the query against every image, computed with the encoders directly. */
async function referenceRanking(paths: string[]): Promise<Array<{ path: string; cosine: number }>> {
  const text = await OnnxClipTextEncoder.open(model.dir);
  const image = await OnnxClipImageEncoder.open(model.dir);
  try {
    const [q] = await text.embedTexts([QUERY]);
    const vs = await image.embedImageFiles(paths.map((p) => join(images, p)));
    return paths
      .map((path, i) => ({ path, cosine: vs[i].reduce((s, x, d) => s + x * q[d], 0) }))
      .sort((a, b) => b.cosine - a.cosine);
  } finally {
    await text.close();
    await image.close();
  }
}

describe('index build / search / add / remove', () => {
  it('builds from a folder: skips and lists unreadable files, duplicates and non-images, never aborts', async () => {
    const r = await build();
    expect(r.code).toBe(0);
    expect(r.report.added).toBe(12);
    expect(r.report.images).toBe(12);
    expect(r.report.skipped).toEqual([{ path: 'cam2/broken.jpg', reason: expect.stringContaining('broken.jpg') }]);
    expect(r.report.duplicates).toEqual([{ path: 'cam3/copy-of-p0.jpg', of: 'cam1/p0.jpg' }]);
    expect(r.report.ignored).toEqual([join(images, 'README.txt')]);
    const human = await runCli(['index', 'info', '--index', index]);
    expect(human.stdout).toMatch(/images: +12/);
    expect(human.stdout).toMatch(/cam1 \(4\), cam2 \(4\), cam3 \(4\)/);
    expect(human.stdout).toMatch(/cam2\/broken.jpg/);
  });

  it('re-running adds nothing new', async () => {
    const r = await build();
    expect(r.report).toMatchObject({ added: 0, unchanged: 12, images: 12 });
  });

  it('searches: hits best first with exact cosines, calibrated scores and paths as indexed', async () => {
    const r = await runCli(['search', '--index', index, '--json', QUERY]);
    expect(r.code).toBe(0);
    const hits = JSON.parse(r.stdout) as Array<{ rank: number; id: number; path: string; score: number; cosine: number }>;
    expect(hits.map((h) => h.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const h of hits) expect(Object.keys(h).sort()).toEqual(['cosine', 'id', 'path', 'rank', 'score']);
    const all = (await runCli(['search', '--index', index, '--json', '--top', '12', QUERY])).stdout;
    const ref = await referenceRanking(JSON.parse(all).map((h: { path: string }) => h.path));
    expect(hits.map((h) => h.path)).toEqual(ref.slice(0, 10).map((x) => x.path));
    hits.forEach((h, i) => expect(h.cosine).toBeCloseTo(ref[i].cosine, 5));
    for (let i = 1; i < hits.length; i++) expect(hits[i].score).toBeLessThanOrEqual(hits[i - 1].score);
    expect(hits.every((h) => h.score >= 0 && h.score <= 1)).toBe(true);
    // softmax(100·cos) over the gallery: the top-2 ratio is e^{100·Δcos}.
    expect(hits[0].score / hits[1].score).toBeCloseTo(Math.exp(100 * (hits[0].cosine - hits[1].cosine)), 3);
  });

  it('HNSW and the exact path agree on a small gallery', async () => {
    const gallery = await openGallery(index);
    const text = await OnnxClipTextEncoder.open(model.dir);
    try {
      const [q] = await text.embedTexts([QUERY]);
      const viaHnsw = (await gallery.search(q, { top: 12, exact: false })).map((h) => [h.path, h.cosine]);
      const viaExact = (await gallery.search(q, { top: 12, exact: true })).map((h) => [h.path, h.cosine]);
      expect(viaHnsw).toEqual(viaExact);
    } finally {
      await gallery.close({ save: false });
      await text.close();
    }
  });

  it('filters by camera and refuses a bad time', async () => {
    const r = await runCli(['search', '--index', index, '--json', '--camera', 'cam2', QUERY]);
    const hits = JSON.parse(r.stdout) as Array<{ path: string }>;
    expect(hits).toHaveLength(4);
    expect(hits.every((h) => h.path.startsWith('cam2/'))).toBe(true);
    const bad = await runCli(['search', '--index', index, '--from', 'yesterday-ish', QUERY]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--from yesterday-ish is not a date/);
  });

  it('adds files incrementally and removes by indexed path', async () => {
    const extra = join(images, 'cam1', 'late.png');
    await writePainted(extra, 40, 100, (x, y) => [250, (x * 9) % 256, (y * 3) % 256]);
    const added = await runCli(['index', 'add', '--index', index, '--json', extra]);
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ added: 1, images: 13 });
    const removed = await runCli(['index', 'remove', '--index', index, 'cam1/late.png', 'cam9/nothing.jpg']);
    expect(removed.stdout).toMatch(/Removed 1 image; the index holds 12/);
    expect(removed.stdout).toMatch(/cam9\/nothing.jpg/);
    const hits = JSON.parse((await runCli(['search', '--index', index, '--json', '--top', '20', QUERY])).stdout) as Array<{ path: string }>;
    expect(hits).toHaveLength(12);
    expect(hits.map((h) => h.path)).not.toContain('cam1/late.png');
  });

  it('refuses to mix models, naming both', async () => {
    const other = await writeTinyClipModel(join(root, 'other-model'), { layout: 'immich', seed: 5 });
    const r = await runCli(['index', 'build', '--model', other.dir, '--images', images, '--index', index]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/built with ctgi-test\/tiny-clip-hf .* the model given is other-model/);
    const s = await runCli(['search', '--index', index, '--model', other.dir, QUERY]);
    expect(s.stderr).toMatch(/INDEX|built with/);
    expect(s.code).toBe(1);
  });

  it('gives clear sentences for a missing index and bad arguments', async () => {
    const r = await runCli(['search', '--index', join(root, 'nowhere'), QUERY]);
    expect(r.stderr).toMatch(/is not a gallery index/);
    const both = await runCli(['index', 'build', '--model', model.dir, '--index', index]);
    expect(both.stderr).toMatch(/Give exactly one of --images DIR or --dataset FILE/);
  });
});
