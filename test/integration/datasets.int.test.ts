import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetFormat } from '../../src/datasets/dataset.js';
import { readDataset, selectSplit, writeDataset } from '../../src/datasets/dataset-io.js';
import { evaluationView } from '../../src/datasets/dataset-split.js';
import { isCtgiError } from '../../src/errors/ctgi-error.js';
import { describeImage } from '../fixtures/images.js';
import { writeTinyDataset, type TinyDatasetInfo } from '../fixtures/tiny-dataset.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let root: string;
let cleanup: () => Promise<void>;
const FORMATS: DatasetFormat[] = ['cuhk-pedes', 'icfg-pedes', 'rstpreid'];
const tiny = new Map<DatasetFormat, TinyDatasetInfo>();

beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir('datasets'));
  for (const format of FORMATS) tiny.set(format, await writeTinyDataset(join(root, format), { format, seed: 3 }));
});
afterAll(() => cleanup());

async function rejection(promise: Promise<unknown>): Promise<Error & { code: string }> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(isCtgiError(err), `expected a CtgiError, got ${String(err)}`).toBe(true);
  return err as Error & { code: string };
}

const compact = (text: string): string => JSON.stringify(JSON.parse(text));

describe('tiny dataset fixture', () => {
  it.each(FORMATS)('%s: writes the annotation file and real images in the format layout', async (format) => {
    const info = tiny.get(format)!;
    const fileName = { 'cuhk-pedes': 'reid_raw.json', 'icfg-pedes': 'ICFG-PEDES.json', rstpreid: 'data_captions.json' }[format];
    expect(info.datasetPath).toBe(join(root, format, fileName));
    const ds = await readDataset(info.datasetPath);
    expect(ds.format).toBe(format);
    expect(ds.skipped).toEqual([]);
    // Defaults: 6 test identities + 2 train identities, 2 images each, 2 captions per image.
    expect(info.entries).toBe(16);
    expect(ds.entries).toHaveLength(16);
    const test = selectSplit(ds, 'test');
    expect(test).toHaveLength(12);
    expect(selectSplit(ds, 'train')).toHaveLength(4);
    expect(new Set(test.map((e) => String(e.id))).size).toBe(6);
    expect(info.imagePaths).toEqual(test.map((e) => resolve(info.imagesRoot, e.imagePath)));
    for (const e of ds.entries) {
      expect(e.captions).toHaveLength(2);
      expect(e.captions[0]).toMatch(/\b(man|woman)\b/);
      const meta = await describeImage(join(info.imagesRoot, e.imagePath));
      expect([meta.width, meta.height]).toEqual([40, 100]);
    }
    const layout = { 'cuhk-pedes': /^(CUHK01\/\d{7}\.png|cam_[ab]\/\d{3}_\d+\.png)$/, 'icfg-pedes': /^(test|train)\/\d{4}\/\d{4}_\d{3}_01_0303morning_\d{4}_0\.jpg$/, rstpreid: /^\d{4}_c\d{2}_\d{4}\.jpg$/ }[format];
    for (const e of ds.entries) expect(e.imagePath).toMatch(layout);
    expect(ds.entries.some((e) => 'processed_tokens' in e.extra)).toBe(format !== 'rstpreid');
    // Each image path appears once: the gallery has one slot per entry.
    expect(evaluationView(test).gallery).toHaveLength(12);
  });

  it('is deterministic by seed and honours the size options', async () => {
    const a = await writeTinyDataset(join(root, 'seed-a'), { format: 'rstpreid', seed: 9 });
    const b = await writeTinyDataset(join(root, 'seed-b'), { format: 'rstpreid', seed: 9 });
    const c = await writeTinyDataset(join(root, 'seed-c'), { format: 'rstpreid', seed: 10 });
    expect(await readFile(b.datasetPath, 'utf8')).toBe(await readFile(a.datasetPath, 'utf8'));
    expect(await readFile(b.imagePaths[3])).toEqual(await readFile(a.imagePaths[3]));
    expect(await readFile(c.datasetPath, 'utf8')).not.toBe(await readFile(a.datasetPath, 'utf8'));

    const small = await writeTinyDataset(join(root, 'small'), { format: 'cuhk-pedes', identities: 3, imagesPerIdentity: 3, captionsPerImage: 1, split: 'val', extraTrainIdentities: 0 });
    const ds = await readDataset(small.datasetPath);
    expect(ds.entries).toHaveLength(9);
    expect(small.imagePaths).toHaveLength(9);
    expect(ds.entries.every((e) => e.split === 'val' && e.captions.length === 1)).toBe(true);
  });
});

describe('readDataset / writeDataset', () => {
  it.each(FORMATS)('%s: read → write → read gives the same entries and the same JSON modulo whitespace', async (format) => {
    const info = tiny.get(format)!;
    const first = await readDataset(info.datasetPath);
    const out = join(root, 'roundtrip', format, 'out.json');
    await writeDataset(out, first);
    const again = await readDataset(out, { format });
    expect(again.entries).toEqual(first.entries);
    expect(compact(await readFile(out, 'utf8'))).toBe(compact(await readFile(info.datasetPath, 'utf8')));
    // Atomic write: only the target is left behind.
    expect(await readdir(join(root, 'roundtrip', format))).toEqual(['out.json']);
  });

  it('writes back unknown fields and overwrites an existing file', async () => {
    const path = join(root, 'extra', 'data_captions.json');
    await mkdir(join(root, 'extra'));
    const text = '[{"id": 4, "img_path": "0004_c01_0001.jpg", "captions": ["a woman"], "split": "test", "camera": 1, "notes": {"q": [1, 2]}}]';
    await writeFile(path, text);
    const ds = await readDataset(path);
    expect(ds.entries[0].extra).toEqual({ camera: 1, notes: { q: [1, 2] } });
    await writeDataset(path, ds);
    expect(compact(await readFile(path, 'utf8'))).toBe(compact(text));
  });

  it('reads a file with a UTF-8 byte order mark', async () => {
    const path = join(root, 'bom.json');
    await writeFile(path, '\uFEFF[{"id": 1, "img_path": "a.jpg", "captions": ["x"], "split": "test"}]');
    expect((await readDataset(path)).entries).toHaveLength(1);
  });

  it('lets the explicit format win over the file name', async () => {
    // ICFG-style entries under CUHK's file name are still detected as ICFG (paths start with test/) …
    const path = join(root, 'reid_raw.json');
    await writeFile(path, '[{"id": 0, "file_path": "test/0000/a.jpg", "captions": ["x"], "split": "test"}]');
    expect((await readDataset(path)).format).toBe('icfg-pedes');
    // … unless the caller says otherwise.
    expect((await readDataset(path, { format: 'cuhk-pedes' })).format).toBe('cuhk-pedes');
    const bad = await rejection(readDataset(path, { format: 'market' as DatasetFormat }));
    expect(bad.message).toMatch(/Unknown dataset format "market"; use one of cuhk-pedes, icfg-pedes, rstpreid/);
  });

  it('refuses missing files, directories, non-JSON and non-dataset JSON with a clear sentence', async () => {
    const missing = await rejection(readDataset(join(root, 'nope', 'reid_raw.json')));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toContain(join(root, 'nope', 'reid_raw.json'));

    const dir = await rejection(readDataset(join(root, 'rstpreid')));
    expect(dir.code).toBe('BAD_INPUT');
    expect(dir.message).toBe(`${join(root, 'rstpreid')} is a directory; pass the dataset's JSON file, e.g. ${join(root, 'rstpreid', 'data_captions.json')}.`);

    const notJson = join(root, 'not-json.json');
    await writeFile(notJson, 'id,img_path\n1,a.jpg\n');
    const e1 = await rejection(readDataset(notJson));
    expect(e1.code).toBe('BAD_INPUT');
    expect(e1.message).toMatch(/not-json\.json is not valid JSON .*; expected a JSON array .*CUHK-PEDES reid_raw\.json, ICFG-PEDES ICFG-PEDES\.json or RSTPReid data_captions\.json\.$/);

    const object = join(root, 'object.json');
    await writeFile(object, '{"images": [], "annotations": []}');
    const e2 = await rejection(readDataset(object));
    expect(e2.code).toBe('BAD_INPUT');
    expect(e2.message).toMatch(/object\.json is not a person search dataset: it holds an object \(its top-level keys are: images, annotations\)/);

    const noValid = join(root, 'no-valid.json');
    await writeFile(noValid, '[{"id": 1, "img_path": "/abs/a.jpg", "captions": ["x"], "split": "test"}]');
    const e3 = await rejection(readDataset(noValid));
    expect(e3.message).toMatch(/no-valid\.json is not a usable RSTPReid dataset: none of its 1 entries is valid \(entry 0: "img_path" "\/abs\/a\.jpg" is absolute/);
  });
});
