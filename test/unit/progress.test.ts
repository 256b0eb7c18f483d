import { describe, expect, it } from 'vitest';
import {
  BYTES,
  ProgressBar,
  estimateRate,
  formatAmount,
  formatBytes,
  formatDuration,
  formatEta,
  formatPercent,
  formatRate,
  items,
  renderProgressLine,
} from '../../app/cli/progress.js';

const MiB = 1024 * 1024;

describe('formatting', () => {
  it.each([
    [0, '0 B'],
    [1, '1 B'],
    [1023, '1023 B'],
    [1024, '1.00 KiB'],
    [1536, '1.50 KiB'],
    [10 * 1024, '10.0 KiB'],
    [150 * MiB, '150 MiB'],
    [MiB - 1, '1.00 MiB'],
    [2.5 * 1024 * MiB, '2.50 GiB'],
  ])('formatBytes(%d) = %s', (n, s) => expect(formatBytes(n)).toBe(s));

  it('formats item counts with thousands separators', () => {
    expect(formatAmount(1234567, items('images'))).toBe('1,234,567');
    expect(formatAmount(2048, BYTES)).toBe('2.00 KiB');
  });

  it('formats rates', () => {
    expect(formatRate(2.5 * MiB, BYTES)).toBe('2.50 MiB/s');
    expect(formatRate(12.345, items('images'))).toBe('12.3 images/s');
    expect(formatRate(1234, items('images'))).toBe('1,234 images/s');
    expect(formatRate(0.5, items())).toBe('0.50 items/s');
    expect(formatRate(undefined, BYTES)).toBe('-- B/s');
    expect(formatRate(undefined, items('images'))).toBe('-- images/s');
  });

  it.each([
    [0, '0:00'],
    [5, '0:05'],
    [4.2, '0:05'],
    [65, '1:05'],
    [600, '10:00'],
    [3725, '1:02:05'],
    [Infinity, '--:--'],
    [-1, '--:--'],
  ])('formatDuration(%d) = %s', (n, s) => expect(formatDuration(n)).toBe(s));

  it('computes the ETA from what is left and the rate', () => {
    expect(formatEta(50, 100, 10)).toBe('0:05');
    expect(formatEta(0, 3600, 1)).toBe('1:00:00');
    expect(formatEta(100, 100, 10)).toBe('0:00');
    expect(formatEta(50, 100, 0)).toBe('--:--');
    expect(formatEta(50, 100, undefined)).toBe('--:--');
    expect(formatEta(50, undefined, 10)).toBe('--:--');
  });

  it('floors percentages so 100% means done', () => {
    expect(formatPercent(1, 3)).toBe('33%');
    expect(formatPercent(999, 1000)).toBe('99%');
    expect(formatPercent(1000, 1000)).toBe('100%');
    expect(formatPercent(0, 0)).toBe('100%');
    expect(formatPercent(5, undefined)).toBe('');
  });

  it('estimates the rate over the sample window', () => {
    expect(estimateRate([{ atMs: 0, done: 0 }, { atMs: 1000, done: 300 }, { atMs: 2000, done: 1000 }])).toBe(500);
    expect(estimateRate([{ atMs: 0, done: 0 }, { atMs: 100, done: 300 }])).toBeUndefined();
    expect(estimateRate([])).toBeUndefined();
  });

  it('renders one line with bar, percentage, amounts, rate and ETA', () => {
    const line = renderProgressLine({ label: 'Pulling x', done: 2 * MiB, total: 8 * MiB, unit: BYTES, perSecond: MiB, barWidth: 10 });
    expect(line).toBe('Pulling x [##--------] 25% 2.00 MiB/8.00 MiB 1.00 MiB/s ETA 0:06');
    const counted = renderProgressLine({ label: 'Indexing', done: 30, total: 120, unit: items('images'), perSecond: undefined, barWidth: 0 });
    expect(counted).toBe('Indexing 25% 30/120 images -- images/s ETA --:--');
    const open = renderProgressLine({ label: 'Scanning', done: 7, total: undefined, unit: items('files'), perSecond: 2, barWidth: 10 });
    expect(open).toBe('Scanning 7 files 2.00 files/s');
  });
});

/** A stream double recording writes, with a settable clock for the bar. */
function harness(tty: boolean): { out: string[]; text: () => string; stream: NodeJS.WritableStream; clock: { t: number }; now: () => number } {
  const out: string[] = [];
  const stream = { write: (s: string) => (out.push(s), true), columns: 100 } as unknown as NodeJS.WritableStream;
  const clock = { t: 0 };
  return { out, text: () => out.join(''), stream, clock, now: () => clock.t, ...{ tty } };
}

describe('ProgressBar', () => {
  it('redraws in place on a TTY at most 10 times a second', () => {
    const h = harness(true);
    const bar = new ProgressBar({ label: 'L', total: 1000, stream: h.stream, tty: true, now: h.now });
    for (let i = 1; i <= 100; i++) {
      h.clock.t = i * 10;
      bar.update(i * 10);
    }
    const redraws = h.out.filter((s) => s.startsWith('\r') && !s.endsWith('\n')).length;
    // 1 s of updates every 10 ms: the first draw plus about one per 100 ms.
    expect(redraws).toBeGreaterThanOrEqual(10);
    expect(redraws).toBeLessThanOrEqual(11);
    expect(h.out.some((s) => s.includes('\n'))).toBe(false);
    bar.finish();
    expect(h.out.at(-1)).toBe('\r\x1b[KL: 1000 B in 0:01 (1000 B/s)\n');
    bar.update(5);
    bar.finish();
    expect(h.out.at(-1)).toBe('\r\x1b[KL: 1000 B in 0:01 (1000 B/s)\n');
  });

  it('prints a plain line every 10% off a TTY', () => {
    const h = harness(false);
    const bar = new ProgressBar({ label: 'L', total: 1000, stream: h.stream, tty: false, now: h.now });
    for (let i = 1; i <= 1000; i++) {
      h.clock.t = i;
      bar.update(i);
    }
    bar.finish();
    const lines = h.text().split('\n').filter(Boolean);
    expect(h.text()).not.toContain('\r');
    // start + 10%..90% + the summary.
    expect(lines).toHaveLength(11);
    expect(lines.slice(1, 10).map((l) => /(\d+)%/.exec(l)?.[1])).toEqual(['10', '20', '30', '40', '50', '60', '70', '80', '90']);
    expect(lines[10]).toBe('L: 1000 B in 0:01 (1000 B/s)');
  });

  it('prints a plain line every interval when progress is slow or the total unknown', () => {
    const h = harness(false);
    const bar = new ProgressBar({ label: 'Indexing', total: undefined, unit: items('images'), stream: h.stream, tty: false, now: h.now, plainIntervalMs: 15_000 });
    for (let s = 1; s <= 40; s++) {
      h.clock.t = s * 1000;
      bar.increment();
    }
    bar.finish();
    const lines = h.text().split('\n').filter(Boolean);
    expect(lines).toEqual(['Indexing 0 images -- images/s', 'Indexing 15 images 1.00 images/s', 'Indexing 30 images 1.00 images/s', 'Indexing: 40 images in 0:40 (1.00 images/s)']);
  });

  it('does not count resumed bytes in the rate', () => {
    const h = harness(false);
    const bar = new ProgressBar({ label: 'L', total: 1000, initial: 500, stream: h.stream, tty: false, now: h.now });
    h.clock.t = 1000;
    bar.update(600);
    expect(h.out.at(-1)).toBe('L 60% 600 B/1000 B 100 B/s ETA 0:04\n');
    bar.finish();
    expect(h.out.at(-1)).toBe('L: 600 B in 0:01 (100 B/s)\n');
  });

  it('log() prints above a TTY bar and redraws it', () => {
    const h = harness(true);
    const bar = new ProgressBar({ label: 'L', total: 10, stream: h.stream, tty: true, now: h.now });
    bar.log('warning: skipped a.jpg');
    expect(h.out.at(-2)).toBe('\r\x1b[Kwarning: skipped a.jpg\n');
    expect(h.out.at(-1)).toMatch(/^\rL \[-+\] 0% 0 B\/10 B/);
  });
});
