import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOnnxDetector } from '../../src/footage/onnx-detector.js';
import type { RawPixels } from '../../src/vision/sharp-adapter.js';
import { BLACK, rgbPixels, WHITE } from '../fixtures/images.js';
import { yoloSizedDetector } from '../fixtures/yolo-sized-detector.js';
import { oddLayoutModel, tinyAnchorsDetector, tinyEndToEndDetector } from '../fixtures/tiny-detector.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await makeTempDir('footage-detector');
});
afterAll(() => tmp.cleanup());

async function write(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(tmp.dir, name);
  await writeFile(path, bytes);
  return path;
}

/** A black frame with a white figure at `fig` (frame pixels). */
function frame(width: number, height: number, fig: { x1: number; y1: number; x2: number; y2: number }): RawPixels {
  const data = rgbPixels(width, height, (x, y) => (x >= fig.x1 && x < fig.x2 && y >= fig.y1 && y < fig.y2 ? WHITE : BLACK));
  return { data, width, height, channels: 3 };
}

// The letterbox of a 256×128 frame into 64: scale 1/4, 16 px of padding above and below.
const FIG = { x1: 100, y1: 24, x2: 140, y2: 104 };

describe('ONNX person detector (Ultralytics layouts)', () => {
  it('YOLOv8 layout: reads size and names from metadata, keeps the person after NMS and thresholds, maps the box back through the letterbox', async () => {
    const det = await openOnnxDetector(await write('v8.onnx', tinyAnchorsDetector(64)), { minHeight: 16 });
    try {
      expect(det.layout).toBe('anchors');
      expect(det.inputSize).toBe(64);
      expect(det.classNames).toEqual(['person', 'car']);
      const found = await det.detect(frame(256, 128, FIG));
      // The shifted twin is suppressed, the car, the tiny box and the low score are filtered out.
      expect(found).toHaveLength(1);
      expect(found[0].score).toBeCloseTo(0.9, 5);
      for (const k of ['x1', 'y1', 'x2', 'y2'] as const) expect(Math.abs(found[0].box[k] - FIG[k])).toBeLessThanOrEqual(4);
    } finally {
      await det.close();
    }
  });

  it('YOLOv8 layout on a portrait frame: horizontal padding is undone too', async () => {
    const det = await openOnnxDetector(await write('v8p.onnx', tinyAnchorsDetector(64)), { minHeight: 16 });
    try {
      const fig = { x1: 40, y1: 100, x2: 80, y2: 220 };
      const found = await det.detect(frame(128, 256, fig));
      expect(found).toHaveLength(1);
      for (const k of ['x1', 'y1', 'x2', 'y2'] as const) expect(Math.abs(found[0].box[k] - fig[k])).toBeLessThanOrEqual(4);
    } finally {
      await det.close();
    }
  });

  it('YOLOv10/26 end-to-end layout: no NMS, class, confidence and size filters, box mapped back', async () => {
    const det = await openOnnxDetector(await write('e2e.onnx', tinyEndToEndDetector(64)), { minHeight: 16 });
    try {
      expect(det.layout).toBe('end2end');
      const found = await det.detect(frame(256, 128, FIG));
      // Only the figure: the car is another class, the 0.2 person is below confidence, the 1-px one too small.
      expect(found).toHaveLength(1);
      for (const k of ['x1', 'y1', 'x2', 'y2'] as const) expect(Math.abs(found[0].box[k] - FIG[k])).toBeLessThanOrEqual(4);
    } finally {
      await det.close();
    }
  });

  it('thresholds are the caller’s: a low confidence lets the 0.2 person through', async () => {
    const det = await openOnnxDetector(await write('e2e-low.onnx', tinyEndToEndDetector(64)), { confidence: 0.1, minHeight: 16 });
    try {
      const found = await det.detect(frame(256, 128, FIG));
      expect(found.map((d) => Math.round(d.score * 10) / 10).sort()).toEqual([0.2, 0.9]);
    } finally {
      await det.close();
    }
  });

  it('refuses an unknown output layout at open, naming the shapes it found', async () => {
    const path = await write('odd.onnx', oddLayoutModel(64));
    await expect(openOnnxDetector(path)).rejects.toMatchObject({ name: 'CtgiError', code: 'MODEL_UNSUPPORTED', message: expect.stringMatching(/\[1, 7\].*\[1, 4 \+ C, N\].*\[1, N, 6\]/s) });
  });

  it('refuses a model without a person class', async () => {
    await expect(openOnnxDetector(await write('nonames.onnx', tinyAnchorsDetector(64, { names: "{0: 'cat', 1: 'car'}" })))).rejects.toMatchObject({
      code: 'MODEL_UNSUPPORTED',
      message: expect.stringContaining('no "person" class'),
    });
  });

  it('opens the YOLOv8n-shaped benchmark graph: 80 COCO-style classes, anchors over three strides', async () => {
    const det = await openOnnxDetector(await write('v8n.onnx', yoloSizedDetector(64)), { confidence: 0.999 });
    try {
      expect([det.layout, det.inputSize, det.classNames?.length, det.classNames?.[0]]).toEqual(['anchors', 64, 80, 'person']);
      expect(Array.isArray(await det.detect(frame(96, 64, FIG)))).toBe(true);
    } finally {
      await det.close();
    }
  });
});

