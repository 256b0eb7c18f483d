import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxClipImageEncoder } from '../../src/models/clip-image-encoder.js';
import { OnnxClipTextEncoder } from '../../src/models/clip-text-encoder.js';
import { rankingMetrics } from '../../src/retrieval/metrics.js';
import { writeTinyClipModel } from '../fixtures/tiny-clip.js';
import { writeTinyDataset, type TinyDatasetInfo } from '../fixtures/tiny-dataset.js';
import { runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';

interface RawEntry {
  id: number;
  split: string;
  captions: string[];
  file_path: string;
}

/**
 * The expected metrics, computed here without src/eval: read the dataset JSON directly, embed the
 * readable test images and the captions of people that still have an image, take float64 dot products.
 */
async function expectedMetrics(modelDir: string, ds: TinyDatasetInfo, unreadable: Set<string> = new Set()) {
  const entries = (JSON.parse(await readFile(ds.datasetPath, 'utf8')) as RawEntry[]).filter((e) => e.split === 'test');
  const gallery = entries.filter((e) => !unreadable.has(e.file_path));
  const people = new Set(gallery.map((e) => String(e.id)));
  const queries = entries.flatMap((e) => (people.has(String(e.id)) ? e.captions.map((text) => ({ text, id: String(e.id) })) : []));
  const images = await OnnxClipImageEncoder.open(modelDir);
  const texts = await OnnxClipTextEncoder.open(modelDir);
  try {
    const iv = await images.embedImageFiles(gallery.map((e) => join(ds.imagesRoot, e.file_path)));
    const tv = await texts.embedTexts(queries.map((q) => q.text));
    const sim = tv.map((t) => iv.map((v) => t.reduce((s, x, k) => s + x * v[k], 0)));
    const metrics = rankingMetrics(sim, queries.map((q) => q.id), gallery.map((e) => e.id));
    return { metrics, queries: queries.length, gallery: gallery.length, excluded: entries.reduce((n, e) => n + e.captions.length, 0) - queries.length };
  } finally {
    await images.close();
    await texts.close();
  }
}

describe('ctgi eval', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let modelDir: string;
  let ds: TinyDatasetInfo;

  beforeAll(async () => {
    tmp = await makeTempDir('eval');
    modelDir = join(tmp.dir, 'model');
    await writeTinyClipModel(modelDir, { layout: 'hf', seed: 3 });
    ds = await writeTinyDataset(join(tmp.dir, 'cuhk'), { format: 'cuhk-pedes', identities: 6, imagesPerIdentity: 2, captionsPerImage: 2 });
  });
  afterAll(() => tmp.cleanup());

  it('prints the standard-protocol metrics as JSON, equal to a ranking the test computes itself', async () => {
    const r = await runCli(['eval', '--model', modelDir, '--dataset', ds.datasetPath, '--images-root', ds.imagesRoot, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(
      expect.arrayContaining(['model', 'dataset', 'split', 'queries', 'gallery', 'R1', 'R5', 'R10', 'mAP', 'mINP', 'rSum', 'cmc', 'skipped']),
    );
    // 6 identities × 2 images in the test split; each image has 2 captions.
    expect(out.gallery).toBe(12);
    expect(out.queries).toBe(24);
    expect(out.split).toBe('test');
    expect(out.model).toBe('ctgi-test/tiny-clip-hf');
    expect(out.skipped).toEqual([]);
    expect(out.cmc).toHaveLength(50);
    for (const key of ['R1', 'R5', 'R10', 'mAP', 'mINP']) {
      expect(out[key]).toBeGreaterThanOrEqual(0);
      expect(out[key]).toBeLessThanOrEqual(100);
    }
    const expected = await expectedMetrics(modelDir, ds);
    for (const key of ['R1', 'R5', 'R10', 'mAP', 'mINP', 'rSum'] as const) expect(out[key]).toBeCloseTo(expected.metrics[key], 6);
    expect(out.cmc[out.cmc.length - 1]).toBe(100); // 12 images: every first match is within rank 12
    // Progress went to stderr, never stdout.
    expect(r.stderr).toMatch(/embedding gallery/);
  });

  it('prints a baseline model\'s rows beside the model\'s with --baseline, each equal to its own evaluation', async () => {
    const other = join(tmp.dir, 'model-other');
    await writeTinyClipModel(other, { layout: 'hf', seed: 9 });
    const r = await runCli(['eval', '--model', modelDir, '--baseline', other, '--dataset', ds.datasetPath, '--images-root', ds.imagesRoot, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const [mine, theirs] = await Promise.all([expectedMetrics(modelDir, ds), expectedMetrics(other, ds)]);
    for (const key of ['R1', 'mAP'] as const) {
      expect(out[key]).toBeCloseTo(mine.metrics[key], 6);
      expect(out.baseline[key]).toBeCloseTo(theirs.metrics[key], 6);
    }
    const table = await runCli(['eval', '--model', modelDir, '--baseline', other, '--dataset', ds.datasetPath, '--images-root', ds.imagesRoot]);
    expect(table.stdout).toMatch(/^Baseline \(/);
  });

  it('skips unreadable images, lists them, and excludes queries left without a match', async () => {
    const broken = await writeTinyDataset(join(tmp.dir, 'broken'), { format: 'rstpreid', identities: 5 });
    const entries = JSON.parse(await readFile(broken.datasetPath, 'utf8')) as Array<{ id: number; split: string; img_path: string }>;
    const test = entries.filter((e) => e.split === 'test');
    // Both images of the first person (their 4 queries lose every match) and one image of the second.
    const ids = [...new Set(test.map((e) => e.id))];
    const bad = [...test.filter((e) => e.id === ids[0]), test.find((e) => e.id === ids[1])!].map((e) => e.img_path);
    await writeFile(join(broken.imagesRoot, bad[0]), 'not an image');
    await writeFile(join(broken.imagesRoot, bad[1]), Buffer.alloc(0));
    const jpeg = await readFile(join(broken.imagesRoot, bad[2]));
    await writeFile(join(broken.imagesRoot, bad[2]), jpeg.subarray(0, 40)); // truncated

    const r = await runCli(['eval', '--model', modelDir, '--dataset', broken.datasetPath, '--images-root', broken.imagesRoot, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.skipped.map((s: { path: string }) => s.path).sort()).toEqual([...bad].sort());
    for (const s of out.skipped) expect(s.reason).toMatch(/\S/);
    expect(out.gallery).toBe(10 - 3);
    expect(out.excludedQueries).toHaveLength(4);
    expect(out.queries).toBe(20 - 4);

    // rstpreid uses img_path; map it to the shape expectedMetrics reads.
    const asFilePath = { ...broken };
    const rawPath = join(tmp.dir, 'broken', 'as-file-path.json');
    await writeFile(rawPath, JSON.stringify(entries.map((e) => ({ ...e, file_path: e.img_path }))));
    asFilePath.datasetPath = rawPath;
    const expected = await expectedMetrics(modelDir, asFilePath, new Set(bad));
    expect(expected.excluded).toBe(4);
    for (const key of ['R1', 'R5', 'R10', 'mAP', 'mINP'] as const) expect(out[key]).toBeCloseTo(expected.metrics[key], 6);

    // The human report lists them too.
    const human = await runCli(['eval', '--model', modelDir, '--dataset', broken.datasetPath, '--images-root', broken.imagesRoot]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Skipped 3 unreadable images/);
    for (const p of bad) expect(human.stdout).toContain(p);
    expect(human.stdout).toMatch(/Excluded 4 queries/);
  });

  it('prints a table and draws the CMC curve to a PNG with --plot', async () => {
    const png = join(tmp.dir, 'cmc.png');
    const r = await runCli(['eval', '--model', modelDir, '--dataset', ds.datasetPath, '--images-root', ds.imagesRoot, '--plot', png]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\s+R1\s+R5\s+R10\s+mAP\s+mINP\s+rSum$/m);
    expect(r.stdout).toMatch(/^(\s+\d+\.\d\d){6}$/m);
    expect(r.stdout).toContain('ctgi-test/tiny-clip-hf');
    expect(r.stdout).toContain('24 captions');
    expect(r.stdout).toContain('12 images');
    const bytes = await readFile(png);
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const meta = await sharp(bytes).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(800);
    expect(meta.height).toBeGreaterThan(500);
    // Not a blank canvas: the curve and text make the image far from uniform.
    const stats = await sharp(bytes).stats();
    expect(stats.channels[0].stdev).toBeGreaterThan(10);
  });

  it('refuses a missing images root, an unknown split and an unwritable plot folder with one sentence', async () => {
    const missing = await runCli(['eval', '--model', modelDir, '--dataset', ds.datasetPath, '--images-root', join(tmp.dir, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^ctgi: --images-root: .*nope does not exist; .+\.\n$/);
    const split = await runCli(['eval', '--model', modelDir, '--dataset', ds.datasetPath, '--images-root', ds.imagesRoot, '--split', 'val']);
    expect(split.code).toBe(1);
    expect(split.stderr).toMatch(/no "val" split/);
    const plot = await runCli(['eval', '--model', modelDir, '--dataset', ds.datasetPath, '--images-root', ds.imagesRoot, '--plot', join(tmp.dir, 'no', 'dir', 'c.png')]);
    expect(plot.code).toBe(1);
    expect(plot.stderr).toMatch(/^ctgi: --plot: .* does not exist; .+\.\n$/);
  });
});
