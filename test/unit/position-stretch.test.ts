import { describe, expect, it } from 'vitest';
import { stretchFactor, stretchPositionTable } from '../../src/models/pes/position-stretch.js';

/** A [rows, 2] table whose row r is (r, r²): interpolation results are easy to state by hand. */
function table(rows: number): Float32Array {
  const t = new Float32Array(rows * 2);
  for (let r = 0; r < rows; r++) {
    t[2 * r] = r;
    t[2 * r + 1] = r * r;
  }
  return t;
}

describe('stretchPositionTable (Long-CLIP, DESIGN.md flow 5)', () => {
  const out = stretchPositionTable(table(77), 77, 2, 248, 20);
  const row = (r: number) => [out[2 * r], out[2 * r + 1]];

  it('keeps rows 0–19 exactly', () => {
    for (let r = 0; r < 20; r++) expect(row(r)).toEqual([r, r * r]);
  });

  it('interpolates positions 20..76 four-fold: a linear table stays linear with slope 1/4', () => {
    // First column is p[i] = i, so new[20 + 4i + j] = ((4−j)(20+i) + j(21+i))/4 = 20 + i + j/4.
    for (let r = 20; r < 244; r++) expect(out[2 * r]).toBeCloseTo(20 + (r - 20) / 4, 5);
  });

  it('matches hand-computed rows on the quadratic column', () => {
    expect(row(20)[1]).toBe(400); // p[20]
    expect(row(21)[1]).toBeCloseTo((3 * 400 + 441) / 4, 3); // ¾·p[20] + ¼·p[21]
    expect(row(22)[1]).toBeCloseTo((400 + 441) / 2, 3);
    expect(row(23)[1]).toBeCloseTo((400 + 3 * 441) / 4, 3);
    expect(row(24)[1]).toBe(441); // p[21]
    expect(row(243)[1]).toBeCloseTo((75 * 75 + 3 * 76 * 76) / 4, 2); // between p[75] and p[76]
  });

  it('extrapolates the last four rows past p[76] with step (p[76] − p[75])/4', () => {
    for (let k = 0; k < 4; k++) {
      expect(out[2 * (244 + k)]).toBeCloseTo(76 + k / 4, 5);
      expect(out[2 * (244 + k) + 1]).toBeCloseTo(5776 + (k * (5776 - 5625)) / 4, 2);
    }
    expect(out.length).toBe(248 * 2);
  });

  it('generalises to other keep values and integer factors', () => {
    const t = stretchPositionTable(table(10), 10, 2, 4 + 6 * 3, 4);
    expect(t.length).toBe(22 * 2);
    for (let r = 4; r < 22; r++) expect(t[2 * r]).toBeCloseTo(4 + (r - 4) / 3, 5);
  });
});

describe('stretchFactor', () => {
  it('accepts 248 from 77 keeping 20 (factor 4) and refuses lengths that need a fractional factor', () => {
    expect(stretchFactor(77, 248, 20)).toBe(4);
    expect(stretchFactor(77, 134, 20)).toBe(2);
    expect(() => stretchFactor(77, 250, 20)).toThrow(/20 \+ 57 × an integer factor/);
    expect(() => stretchFactor(77, 248, 0)).toThrow(/--keep must be an integer/);
    expect(() => stretchFactor(77, 248, 76)).toThrow(/--keep/);
  });

  it('refuses a table of the wrong size', () => {
    expect(() => stretchPositionTable(new Float32Array(10), 77, 2, 248, 20)).toThrow(/expected 77 × 2/);
  });
});
