import { describe, expect, it } from 'vitest';
import type { Box, Detection } from '../../../src/footage/box.js';
import { cropQuality, offerCrop, sharpness } from '../../../src/footage/crop-quality.js';
import { BoxTracker } from '../../../src/footage/tracker.js';

const person = (x: number, y: number, score = 0.9, w = 40, h = 120): Detection => ({ box: { x1: x, y1: y, x2: x + w, y2: y + h }, score, classId: 0 });

function ids(tracker: BoxTracker, frames: Detection[][]): number[][] {
  return frames.map((dets, f) => {
    const { assigned } = tracker.update(f, dets);
    return dets.map((d) => assigned.find((a) => a.detection === d)?.trackId ?? -1);
  });
}

describe('BoxTracker', () => {
  it('follows two people crossing at 2 fps, moving more than a box width per frame, without swapping', () => {
    const frames = Array.from({ length: 10 }, (_, f) => [person(20 + 60 * f, 100), person(560 - 60 * f, 140)]);
    const got = ids(new BoxTracker(), frames);
    expect(new Set(got.map((p) => p[0]))).toEqual(new Set([got[0][0]]));
    expect(new Set(got.map((p) => p[1]))).toEqual(new Set([got[0][1]]));
    expect(got[0][0]).not.toBe(got[0][1]);
  });

  it('a weak detection continues a track but never starts one (ByteTrack)', () => {
    const t = new BoxTracker({ highScore: 0.5 });
    const a = t.update(0, [person(100, 100, 0.9)]).assigned[0].trackId;
    expect(t.update(1, [person(104, 100, 0.2)]).assigned).toEqual([expect.objectContaining({ trackId: a })]);
    expect(t.update(2, [person(108, 100, 0.9), person(400, 100, 0.2)]).assigned.map((x) => x.trackId)).toEqual([a]);
  });

  it('keeps identity over a short gap and ends a track unseen for longer than maxLostFrames', () => {
    const t = new BoxTracker({ maxLostFrames: 2 });
    const a = t.update(0, [person(100, 100)]).assigned[0].trackId;
    t.update(1, []);
    t.update(2, []);
    expect(t.update(3, [person(100, 100)]).assigned[0].trackId).toBe(a);
    for (let f = 4; f <= 5; f++) expect(t.update(f, []).ended).toEqual([]);
    expect(t.update(6, []).ended).toEqual([a]);
    expect(t.update(7, [person(100, 100)]).assigned[0].trackId).not.toBe(a);
  });

  it('a restored snapshot continues exactly like the original', () => {
    const frames = Array.from({ length: 8 }, (_, f) => [person(20 + 50 * f, 100), person(500 - 30 * f, 300)]);
    const whole = ids(new BoxTracker(), frames);
    const first = new BoxTracker();
    const head = ids(first, frames.slice(0, 4));
    const resumed = new BoxTracker({}, JSON.parse(JSON.stringify(first.snapshot())));
    const tail = frames.slice(4).map((dets, i) => {
      const { assigned } = resumed.update(i + 4, dets);
      return dets.map((d) => assigned.find((x) => x.detection === d)!.trackId);
    });
    expect([...head, ...tail]).toEqual(whole);
  });

  it('does not link a far-away box of a very different height', () => {
    const t = new BoxTracker();
    const a = t.update(0, [person(100, 100)]).assigned[0].trackId;
    expect(t.update(1, [person(300, 100, 0.9, 20, 50)]).assigned[0].trackId).not.toBe(a);
  });
});

describe('crop selection', () => {
  const frame = (sharp: boolean) => {
    const width = 64;
    const height = 64;
    const data = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.fill(sharp ? ((x + y) % 2) * 255 : 128 + ((x >> 4) % 2) * 10, (y * width + x) * 3, (y * width + x) * 3 + 3);
    return { data, width, height, channels: 3 };
  };
  const box: Box = { x1: 10, y1: 10, x2: 50, y2: 50 };

  it('a sharp crop measures sharper than a flat one', () => {
    expect(sharpness(frame(true), box)).toBeGreaterThan(100 * Math.max(1, sharpness(frame(false), box)));
  });

  it('prefers bigger, sharper, more confident crops and penalises ones cut by the frame edge', () => {
    const q = (d: Detection, s = 100) => cropQuality(d, s, 1000, 1000);
    expect(q(person(100, 100, 0.9, 60, 240))).toBeGreaterThan(q(person(100, 100, 0.9, 30, 100)));
    expect(q(person(100, 100, 0.9))).toBeGreaterThan(q(person(100, 100, 0.6)));
    expect(q(person(100, 100), 300)).toBeGreaterThan(q(person(100, 100), 5));
    expect(q(person(100, 100, 0.9, 60, 240))).toBeGreaterThan(q(person(0, 100, 0.9, 60, 240)));
  });

  it('keeps the best 3, at least minGap frames apart', () => {
    let kept: Array<{ frame: number; quality: number }> = [];
    for (const c of [
      { frame: 0, quality: 0.5 },
      { frame: 1, quality: 0.6 },
      { frame: 4, quality: 0.2 },
      { frame: 8, quality: 0.3 },
      { frame: 12, quality: 0.9 },
      { frame: 13, quality: 0.1 },
    ]) {
      const r = offerCrop(kept, c, 3, 2);
      if (r.accepted) kept = [...kept.filter((k) => !r.evicted.includes(k)), c];
    }
    expect(kept.map((k) => k.frame).sort((a, b) => a - b)).toEqual([1, 8, 12]);
  });
});

describe('BoxTracker after a gap', () => {
  it('does not give a lost track to someone entering where it left (distance only links consecutive frames)', () => {
    const t = new BoxTracker();
    const a = t.update(0, [person(500, 100)]).assigned[0].trackId;
    t.update(1, [person(510, 100)]);
    t.update(2, []);
    // Someone 30 px past the lost track's prediction: no overlap to speak of, only distance.
    expect(t.update(3, [person(560, 100)]).assigned[0].trackId).not.toBe(a);
    // Near the prediction, the lost track is found again.
    const t2 = new BoxTracker();
    const b = t2.update(0, [person(500, 100)]).assigned[0].trackId;
    t2.update(1, [person(510, 100)]);
    t2.update(2, []);
    expect(t2.update(3, [person(532, 100)]).assigned[0].trackId).toBe(b);
  });
});

describe('BoxTracker with colour signatures', () => {
  const red = [1, 0, 0];
  const blue = [0, 0, 1];
  const dressed = (d: Detection, signature: number[]): Detection => ({ ...d, signature });

  it('two people who swap places between frames keep their tracks by their clothes', () => {
    const t = new BoxTracker();
    const first = t.update(0, [dressed(person(100, 100), red), dressed(person(160, 100), blue)]).assigned;
    const [a, b] = first.map((x) => x.trackId);
    const second = t.update(1, [dressed(person(100, 100), blue), dressed(person(160, 100), red)]).assigned;
    expect(second.find((x) => x.detection.signature === red)?.trackId).toBe(a);
    expect(second.find((x) => x.detection.signature === blue)?.trackId).toBe(b);
  });

  it('a walker is not continued by someone coming the other way', () => {
    const t = new BoxTracker();
    const a = t.update(0, [person(100, 100)]).assigned[0].trackId;
    t.update(1, [person(160, 100)]);
    // Beyond the prediction's overlap, and backwards: a newcomer, not the same person.
    expect(t.update(2, [person(140, 100)]).assigned[0].trackId).not.toBe(a);
  });
});
