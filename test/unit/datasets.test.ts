import { describe, expect, it } from 'vitest';
import type { Dataset, DatasetEntry } from '../../src/datasets/dataset.js';
import { detectDatasetFormat } from '../../src/datasets/dataset-formats.js';
import { datasetToJson } from '../../src/datasets/dataset-io.js';
import { parseDataset } from '../../src/datasets/dataset-parse.js';
import { evaluationView, selectSplit } from '../../src/datasets/dataset-split.js';
import { isCtgiError } from '../../src/errors/ctgi-error.js';

// Entries shaped like the published files (key order as in the files themselves).
const CUHK_TEXT =
  '[{"split": "train", "captions": ["A woman in a white shirt.", "She carries a bag."], "file_path": "CUHK01/0363004.png", "processed_tokens": [["a", "woman", "in", "a", "white", "shirt"], ["she", "carries", "a", "bag"]], "id": 1},' +
  ' {"split": "test", "captions": ["A man in black."], "file_path": "cam_a/000_45.png", "processed_tokens": [["a", "man", "in", "black"]], "id": 2}]';
const ICFG_TEXT =
  '[{"id": 0, "file_path": "test/0000/0000_000_01_0303morning_0004_0.jpg", "captions": ["The man wears a grey coat."], "split": "test", "processed_tokens": [["the", "man", "wears", "a", "grey", "coat"]]}]';
const RSTP_TEXT =
  '[{"id": 0, "img_path": "0000_c14_0031.jpg", "captions": ["a man in a red jacket", "he has black shoes"], "split": "train"}]';

/** The same JSON with whitespace removed, for "identical modulo whitespace" comparisons. */
const compact = (text: string): string => JSON.stringify(JSON.parse(text));

function expectCtgiError(fn: () => unknown, code: string, ...patterns: RegExp[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(isCtgiError(caught), `expected a CtgiError, got ${String(caught)}`).toBe(true);
  const err = caught as Error & { code: string };
  expect(err.code).toBe(code);
  for (const p of patterns) expect(err.message).toMatch(p);
}

function entry(id: number | string, imagePath: string, captions: string[], split = 'test'): DatasetEntry {
  return { id, imagePath, captions, split, extra: {} };
}

describe('detectDatasetFormat', () => {
  it('tells the three formats apart by path key, file name and path prefix', () => {
    expect(detectDatasetFormat(JSON.parse(RSTP_TEXT), 'data_captions.json')).toBe('rstpreid');
    expect(detectDatasetFormat(JSON.parse(CUHK_TEXT), 'reid_raw.json')).toBe('cuhk-pedes');
    // ICFG paths start with test/ or train/, whatever the file is called.
    expect(detectDatasetFormat(JSON.parse(ICFG_TEXT), 'annotations.json')).toBe('icfg-pedes');
    // An ICFG-PEDES*.json file name decides even when the paths look like CUHK's.
    expect(detectDatasetFormat(JSON.parse(CUHK_TEXT), '/data/ICFG-PEDES-clean.json')).toBe('icfg-pedes');
    // CUHK's own train_query/ and test_query/ folders are not ICFG's train/ and test/.
    expect(detectDatasetFormat([{ file_path: 'train_query/p1_s1.jpg' }, { file_path: 'test_query/p2_s2.jpg' }], 'x.json')).toBe('cuhk-pedes');
  });

  it('refuses non-arrays, empty arrays and arrays without path keys, naming the file and the formats', () => {
    expectCtgiError(() => detectDatasetFormat({ annotations: [] }, 'ann.json'), 'BAD_INPUT', /ann\.json/, /an object/, /annotations/, /CUHK-PEDES/, /RSTPReid/);
    expectCtgiError(() => detectDatasetFormat([], 'empty.json'), 'BAD_INPUT', /empty\.json/, /empty array/);
    expectCtgiError(() => detectDatasetFormat([{ image: 'a.jpg' }, 3], 'odd.json'), 'BAD_INPUT', /odd\.json/, /"file_path" or "img_path"/);
  });
});

describe('parseDataset', () => {
  it('reads each format, keeping ids, splits and unknown fields in extra', () => {
    const cuhk = parseDataset(JSON.parse(CUHK_TEXT), 'reid_raw.json');
    expect(cuhk.format).toBe('cuhk-pedes');
    expect(cuhk.skipped).toEqual([]);
    expect(cuhk.entries[0]).toEqual({
      id: 1,
      split: 'train',
      captions: ['A woman in a white shirt.', 'She carries a bag.'],
      imagePath: 'CUHK01/0363004.png',
      extra: { processed_tokens: [['a', 'woman', 'in', 'a', 'white', 'shirt'], ['she', 'carries', 'a', 'bag']] },
    });
    const rstp = parseDataset(JSON.parse(RSTP_TEXT), 'data_captions.json');
    expect(rstp.entries).toEqual([{ id: 0, split: 'train', captions: ['a man in a red jacket', 'he has black shoes'], imagePath: '0000_c14_0031.jpg', extra: {} }]);
    expect(parseDataset(JSON.parse(ICFG_TEXT), 'ICFG-PEDES.json').entries[0].imagePath).toBe('test/0000/0000_000_01_0303morning_0004_0.jpg');
  });

  it('skips malformed entries with their index and reason and keeps the valid ones', () => {
    const ok = { id: 7, img_path: 'a.jpg', captions: ['fine'], split: 'test' };
    const json = [
      ok,
      42,
      { ...ok, id: undefined },
      { ...ok, id: 1.5 },
      { ...ok, img_path: undefined },
      { ...ok, captions: 'one string' },
      { ...ok, captions: ['x', 3] },
      { ...ok, captions: [] },
      { ...ok, captions: ['', '  '] },
      { ...ok, split: undefined },
      { ...ok, img_path: '../outside.jpg' },
      { ...ok, img_path: '/etc/passwd' },
      { ...ok, img_path: 'C:\\images\\a.jpg' },
      { ...ok, img_path: 'sub\\..\\..\\b.jpg' },
      { ...ok, id: 'p-9', captions: ['', 'kept'] },
      null,
    ];
    const ds = parseDataset(json, 'data_captions.json');
    expect(ds.entries.map((e) => e.id)).toEqual([7, 'p-9']);
    // Empty captions are dropped from an otherwise valid entry.
    expect(ds.entries[1].captions).toEqual(['kept']);
    const reasons = new Map(ds.skipped.map((s) => [s.index, s.reason]));
    expect([...reasons.keys()]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15]);
    expect(reasons.get(1)).toMatch(/a number, not an object/);
    expect(reasons.get(2)).toMatch(/"id" is missing/);
    expect(reasons.get(3)).toMatch(/"id" is 1\.5/);
    expect(reasons.get(4)).toMatch(/"img_path" is missing/);
    expect(reasons.get(5)).toMatch(/"captions" is a string, not an array/);
    expect(reasons.get(6)).toMatch(/"captions\[1\]" is a number/);
    expect(reasons.get(7)).toMatch(/"captions" is empty/);
    expect(reasons.get(8)).toMatch(/only empty strings/);
    expect(reasons.get(9)).toMatch(/"split" is missing/);
    expect(reasons.get(10)).toMatch(/"\.\.\/outside\.jpg".*leaves the images root/);
    expect(reasons.get(11)).toMatch(/absolute/);
    expect(reasons.get(12)).toMatch(/absolute/);
    expect(reasons.get(13)).toMatch(/leaves the images root/);
    expect(reasons.get(15)).toMatch(/null, not an object/);
  });

  it('lets an explicit format win over detection and says when the keys do not fit it', () => {
    const json = JSON.parse(ICFG_TEXT);
    expect(parseDataset(json, 'ICFG-PEDES.json', { format: 'cuhk-pedes' }).format).toBe('cuhk-pedes');
    expectCtgiError(() => parseDataset(json, 'ICFG-PEDES.json', { format: 'rstpreid' }), 'BAD_INPUT', /ICFG-PEDES\.json is not a usable RSTPReid dataset/, /entry 0: "img_path" is missing \(it has "file_path"/);
  });

  it('refuses an array with no valid entry, naming the file and the first problems', () => {
    expectCtgiError(
      () => parseDataset([{ id: 1, file_path: 'a.png', split: 'test' }, { id: null, file_path: 'b.png', captions: ['x'], split: 'test' }], 'bad.json'),
      'BAD_INPUT',
      /^bad\.json is not a usable CUHK-PEDES dataset/,
      /none of its 2 entries is valid/,
      /entry 0: "captions" is missing; entry 1: "id" is null/,
      /expected a JSON array/,
    );
    expectCtgiError(() => parseDataset('text', 'str.json'), 'BAD_INPUT', /str\.json .*holds a string/);
  });
});

describe('datasetToJson', () => {
  it('writes the published key order and extra fields, so each format round-trips to the same JSON', () => {
    for (const [text, name] of [[CUHK_TEXT, 'reid_raw.json'], [ICFG_TEXT, 'ICFG-PEDES.json'], [RSTP_TEXT, 'data_captions.json']]) {
      const ds = parseDataset(JSON.parse(text), name);
      const written = datasetToJson(ds);
      expect(written).toBe(`${compact(text)}\n`);
      expect(parseDataset(JSON.parse(written), name).entries).toEqual(ds.entries);
    }
  });

  it('puts unknown extra fields after the known ones and never lets extra override a known key', () => {
    const ds = {
      format: 'rstpreid' as const,
      entries: [{ id: 3, split: 'val', captions: ['c'], imagePath: 'x.jpg', extra: { camera: 'c01', id: 99, ['__proto__']: 1 } }],
    };
    // Built by hand (not from the writer): "__proto__" must survive as an ordinary key.
    expect(datasetToJson(ds)).toBe('[{"id":3,"img_path":"x.jpg","captions":["c"],"split":"val","camera":"c01","__proto__":1}]\n');
  });

  it('refuses to write entries its reader would skip', () => {
    expectCtgiError(() => datasetToJson({ format: 'cuhk-pedes', entries: [entry(1, '../x.png', ['c'])] }), 'BAD_INPUT', /entry 0: "file_path" "\.\.\/x\.png"/);
    expectCtgiError(() => datasetToJson({ format: 'cuhk-pedes', entries: [] }), 'BAD_INPUT', /no entries/);
  });
});

describe('selectSplit', () => {
  const ds: Dataset = {
    format: 'rstpreid',
    source: '/data/RSTPReid/data_captions.json',
    entries: [entry(1, 'a.jpg', ['a'], 'train'), entry(2, 'b.jpg', ['b'], 'test'), entry(3, 'c.jpg', ['c'], 'train'), entry(4, 'd.jpg', ['d'], 'val')],
    skipped: [],
  };

  it('returns the entries of the split in file order', () => {
    expect(selectSplit(ds, 'train').map((e) => e.id)).toEqual([1, 3]);
    expect(selectSplit(ds, 'test').map((e) => e.id)).toEqual([2]);
  });

  it('refuses an unknown split, listing the splits present with their counts', () => {
    expectCtgiError(() => selectSplit(ds, 'Test'), 'BAD_INPUT', /data_captions\.json has no "Test" split/, /"train" \(2 entries\), "test" \(1 entry\), "val" \(1 entry\)/);
  });
});

describe('evaluationView', () => {
  it('puts each image once in the gallery in first-appearance order and maps every caption to its image', () => {
    const view = evaluationView([
      entry(5, 'p5/a.jpg', ['q1', 'q2']),
      entry('7', 'p7/a.jpg', ['q3']),
      entry(5, 'p5/b.jpg', ['q4']),
      entry(5, 'p5/a.jpg', ['q5']), // a duplicate image: its caption joins slot 0
      entry(7, 'p7/b.jpg', ['q6', 'q7']),
    ]);
    expect(view.gallery).toEqual([
      { imagePath: 'p5/a.jpg', personId: '5' },
      { imagePath: 'p7/a.jpg', personId: '7' },
      { imagePath: 'p5/b.jpg', personId: '5' },
      { imagePath: 'p7/b.jpg', personId: '7' },
    ]);
    expect(view.queries).toEqual([
      { text: 'q1', personId: '5', galleryIndex: 0 },
      { text: 'q2', personId: '5', galleryIndex: 0 },
      { text: 'q3', personId: '7', galleryIndex: 1 },
      { text: 'q4', personId: '5', galleryIndex: 2 },
      { text: 'q5', personId: '5', galleryIndex: 0 },
      { text: 'q6', personId: '7', galleryIndex: 3 },
      { text: 'q7', personId: '7', galleryIndex: 3 },
    ]);
  });

  it('refuses one image listed for two people', () => {
    expectCtgiError(() => evaluationView([entry(1, 'x.jpg', ['a']), entry(2, 'x.jpg', ['b'])]), 'BAD_INPUT', /x\.jpg is listed for two people \(id 1 and id 2\)/);
  });
});
