import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gallery } from '../../src/gallery/gallery.js';
import { openOrCreateGallery } from '../../src/gallery/open-gallery.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const DIM = 4;
const MODEL = { id: 'test-model', dir: '/nowhere', layout: 'demo' as const, dim: DIM, contextLength: 77, preprocess: null };

function image(path: string) {
  return { path, sha256: path, personId: '1', camera: null, capturedAt: null, width: 1, height: 1, bytes: 1, mtimeMs: 0, embedding: new Float32Array([1, 0, 0, 0]), captions: ['dataset caption'] };
}

describe('the gallery caption and attribute-answer cache (SQLite)', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let index: Gallery;
  let ids: number[];

  beforeAll(async () => {
    temp = await makeTempDir('mtg-gallery');
    index = await openOrCreateGallery(join(temp.dir, 'index'), { model: MODEL, hnsw: { M: 8, efConstruction: 50, ef: 20 }, imagesRoot: null });
    ids = await index.add([image('a.png'), image('b.png')]);
  });

  afterAll(async () => {
    await index?.close({ save: false });
    await temp?.cleanup();
  });

  it('keeps one caption per image and source, beside the dataset captions', async () => {
    await index.putCaption(ids[0], 'mtg', 'first');
    await index.putCaption(ids[0], 'mtg', 'second');
    const captions = await index.captionsOf([ids[0], ids[1], 999]);
    expect(captions.get(ids[0])).toEqual([
      { source: 'dataset', text: 'dataset caption' },
      { source: 'mtg', text: 'second' },
    ]);
    expect(captions.get(ids[1])).toEqual([{ source: 'dataset', text: 'dataset caption' }]);
    expect(captions.has(999)).toBe(false);
  });

  it('upserts attribute answers per image, attribute and source, and reads them back per image', async () => {
    await index.putAttributeAnswers([
      { imageId: ids[0], attribute: 'bag', question: 'Bag?', answer: 'A red backpack.', source: 'mtg', confidence: 0.9 },
      { imageId: ids[0], attribute: 'bag', question: 'Describe.', answer: 'A man with a bag.', source: 'mtg-caption' },
      { imageId: ids[1], attribute: 'hat', question: 'Hat?', answer: 'No.', source: 'mtg', confidence: 1 },
    ]);
    await index.putAttributeAnswers([{ imageId: ids[0], attribute: 'bag', question: 'Bag? (again)', answer: 'A black backpack.', source: 'mtg', confidence: 0.8 }]);
    const answers = await index.attributeAnswers([ids[0], ids[1], 12345]);
    expect(answers.get(ids[0])).toEqual([
      { attribute: 'bag', question: 'Bag? (again)', answer: 'A black backpack.', source: 'mtg', confidence: 0.8 },
      { attribute: 'bag', question: 'Describe.', answer: 'A man with a bag.', source: 'mtg-caption', confidence: null },
    ]);
    expect(answers.get(ids[1])).toEqual([{ attribute: 'hat', question: 'Hat?', answer: 'No.', source: 'mtg', confidence: 1 }]);
    expect(answers.has(12345)).toBe(false);
  });

  it('refuses rows for images that are not in the gallery, writing none of the batch', async () => {
    await expect(
      index.putAttributeAnswers([
        { imageId: ids[1], attribute: 'glasses', question: 'Glasses?', answer: 'No.', source: 'mtg' },
        { imageId: 777, attribute: 'hat', question: 'Hat?', answer: 'No.', source: 'mtg' },
      ]),
    ).rejects.toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect((await index.attributeAnswers([ids[1]])).get(ids[1])!.map((a) => a.attribute)).toEqual(['hat']);
    await expect(index.putCaption(777, 'mtg', 'x')).rejects.toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('drops an image’s captions and answers with the image', async () => {
    await index.remove(['a.png']);
    expect((await index.captionsOf([ids[0]])).size).toBe(0);
    expect((await index.attributeAnswers([ids[0]])).size).toBe(0);
  });
});
