import { describe, expect, it } from 'vitest';
import { calibratedScores } from '../../src/retrieval/calibration.js';

describe('calibratedScores (softmax of CLIP logit scale × cosine)', () => {
  it('matches the softmax computed by hand', () => {
    // e^{100·0.30} : e^{100·0.28} = e^2 : 1 → 0.8808, 0.1192.
    const [a, b] = calibratedScores([0.3, 0.28]);
    expect(a).toBeCloseTo(Math.exp(2) / (Math.exp(2) + 1), 10);
    expect(b).toBeCloseTo(1 / (Math.exp(2) + 1), 10);
  });

  it('is in [0, 1], sums to 1, keeps the order and falls when competitors come close', () => {
    const s = calibratedScores([0.31, 0.25, 0.2, 0.305]);
    expect(s.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
    expect(s[0]).toBeGreaterThan(s[3]);
    expect(s[3]).toBeGreaterThan(s[1]);
    expect(calibratedScores([0.31, 0.2])[0]).toBeGreaterThan(0.99);
    expect(calibratedScores([0.31, 0.309])[0]).toBeLessThan(0.6);
    expect(calibratedScores([])).toEqual([]);
  });

  it('does not overflow on large logits', () => {
    const s = calibratedScores([1, 0.99, -1], 1e4);
    expect(s.every(Number.isFinite)).toBe(true);
    expect(s[0]).toBeCloseTo(1, 10);
  });
});
