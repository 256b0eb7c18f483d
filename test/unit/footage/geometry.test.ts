import { describe, expect, it } from 'vitest';
import { iou, nms, touchesEdge } from '../../../src/footage/box.js';
import { boxToFrame, planLetterbox } from '../../../src/footage/letterbox.js';
import { parseImgsz, parseNames, yoloLayoutOf } from '../../../src/footage/yolo-output.js';

describe('footage geometry', () => {
  it('letterbox round trip: a frame box placed into the input maps back to itself', () => {
    for (const [w, h] of [[1920, 1080], [720, 1280], [640, 640], [333, 101]]) {
      const plan = planLetterbox(w, h, 640);
      expect(Math.max(plan.width, plan.height)).toBe(640);
      const box = { x1: w * 0.1, y1: h * 0.2, x2: w * 0.4, y2: h * 0.9 };
      const input = { x1: box.x1 * plan.scale + plan.left, y1: box.y1 * plan.scale + plan.top, x2: box.x2 * plan.scale + plan.left, y2: box.y2 * plan.scale + plan.top };
      const back = boxToFrame(input, plan);
      for (const k of ['x1', 'y1', 'x2', 'y2'] as const) expect(back[k]).toBeCloseTo(box[k], 6);
    }
  });

  it('letterbox of 1920×1080 into 640 matches Ultralytics: 640×360, 140 px above', () => {
    expect(planLetterbox(1920, 1080, 640)).toMatchObject({ width: 640, height: 360, left: 0, top: 140 });
  });

  it('NMS keeps the best of overlapping boxes and distinct ones', () => {
    const a = { box: { x1: 0, y1: 0, x2: 10, y2: 20 }, score: 0.9 };
    const b = { box: { x1: 1, y1: 0, x2: 11, y2: 20 }, score: 0.8 };
    const c = { box: { x1: 50, y1: 0, x2: 60, y2: 20 }, score: 0.5 };
    expect(iou(a.box, b.box)).toBeGreaterThan(0.8);
    expect(nms([c, b, a], 0.5)).toEqual([a, c]);
  });

  it('edge contact', () => {
    expect(touchesEdge({ x1: 0, y1: 10, x2: 10, y2: 20 }, 100, 100)).toBe(true);
    expect(touchesEdge({ x1: 10, y1: 10, x2: 20, y2: 20 }, 100, 100)).toBe(false);
  });

  it('reads Ultralytics metadata and recognises both layouts by shape', () => {
    expect(parseImgsz('[640, 640]')).toBe(640);
    expect(parseImgsz('[640, 480]')).toBeUndefined();
    expect(parseNames("{0: 'person', 1: 'bicycle', 2: \"traffic light\"}")).toEqual(['person', 'bicycle', 'traffic light']);
    expect(yoloLayoutOf([1, 84, 8400], 80, 'm')).toBe('anchors');
    expect(yoloLayoutOf([1, 300, 6], 80, 'm')).toBe('end2end');
    expect(yoloLayoutOf(['batch', 84, 'anchors'], 80, 'm')).toBe('anchors');
    // Two classes: [1, 6, N] is the anchors layout, not end-to-end.
    expect(yoloLayoutOf([1, 6, 6], 2, 'm')).toBe('anchors');
    expect(() => yoloLayoutOf([1, 85, 8400], 80, 'm')).toThrow(/\[1, 85, 8400\]/);
  });
});
