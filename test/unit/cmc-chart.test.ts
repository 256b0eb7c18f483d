import { describe, expect, it } from 'vitest';
import { cmcChartSpec, markedLabels, renderCmcChartSvg } from '../../src/eval/cmc-chart.js';

const curve = Array.from({ length: 50 }, (_, i) => Math.min(100, 40 + 3 * i));

describe('CMC chart', () => {
  it('labels R1, R5 and R10 with their rates', () => {
    const labels = markedLabels(curve);
    expect(labels.map((l) => [l.rank, l.rate, l.label])).toEqual([
      [1, 40, 'R1 40.0%'],
      [5, 52, 'R5 52.0%'],
      [10, 67, 'R10 67.0%'],
    ]);
    // Far apart: each label sits at its own rate, below its point.
    expect(labels.map((l) => l.labelRate)).toEqual([40, 52, 67]);
    expect(labels.every((l) => l.below)).toBe(true);
  });

  it('pushes equal rates apart so labels do not overlap, and puts them above the points near the bottom', () => {
    const perfect = markedLabels(Array(50).fill(100));
    expect(perfect.map((l) => l.labelRate)).toEqual([88, 94, 100]);
    const low = markedLabels(Array(50).fill(1));
    expect(low.every((l) => !l.below)).toBe(true);
    expect(low.map((l) => l.labelRate)).toEqual([1, 7, 13]);
  });

  it('marks only the ranks the curve has', () => {
    expect(markedLabels([30, 60, 90]).map((l) => l.rank)).toEqual([1]);
  });

  it('refuses an empty curve or values that are not percentages', () => {
    const base = { model: 'm', dataset: 'd' };
    expect(() => cmcChartSpec({ ...base, cmc: [] })).toThrow(/empty/);
    expect(() => cmcChartSpec({ ...base, cmc: [50, 101] })).toThrow(/rank 2 is 101/);
    expect(() => cmcChartSpec({ ...base, cmc: [Number.NaN] })).toThrow(/rank 1 is NaN/);
  });

  it('renders an SVG with the title, axis titles and the marked values', async () => {
    const svg = await renderCmcChartSvg({ cmc: curve, model: 'org/clip-model', dataset: 'RSTPReid', split: 'test', queries: 6, gallery: 3, mAP: 12.345 });
    expect(svg.startsWith('<svg')).toBe(true);
    for (const text of ['CMC curve — org/clip-model', 'RSTPReid (test split)', 'mAP 12.35%', 'Rank k', 'Matching rate (%)', 'R1 40.0%', 'R10 67.0%']) {
      expect(svg).toContain(text);
    }
  });
});
