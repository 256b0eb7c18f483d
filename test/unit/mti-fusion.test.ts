import { describe, expect, it } from 'vitest';
import { fuseScores } from '../../agent/core/fusion.js';
import { isCtgiError } from '../../src/errors/ctgi-error.js';

const base = new Map([['a', 0.8], ['b', 0.6], ['c', 0.4]]);
const refined = new Map([['a', 0.2], ['b', 0.9], ['c', 0.5]]);

describe('fuseScores (Eq. 7)', () => {
  it('mixes the two scores with lambda', () => {
    // a: .5*.8+.5*.2 = .5; b: .5*.6+.5*.9 = .75; c: .5*.4+.5*.5 = .45
    const out = fuseScores({ base, refined, lambda: 0.5 });
    expect(out.map((r) => r.id)).toEqual(['b', 'a', 'c']);
    expect(out[0].score).toBeCloseTo(0.75, 12);
    expect(out[1].score).toBeCloseTo(0.5, 12);
    expect(out[2].score).toBeCloseTo(0.45, 12);
  });

  it('uses only S(q,v) at lambda 1 and only S(q̂,v) at lambda 0', () => {
    expect(fuseScores({ base, refined, lambda: 1 }).map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(fuseScores({ base, refined, lambda: 0 }).map((r) => r.id)).toEqual(['b', 'c', 'a']);
    // lambda .25: a .25*.8+.75*.2 = .35
    expect(fuseScores({ base, refined, lambda: 0.25 }).find((r) => r.id === 'a')!.score).toBeCloseTo(0.35, 12);
  });

  it('fills a missing score with the minimum of that map', () => {
    const r = new Map([['a', 0.2], ['b', 0.9], ['d', 0.3]]);
    // c: .5*.4 + .5*min(r)=.2 → .3; d: .5*min(base)=.4 + .5*.3 → .35
    const out = fuseScores({ base, refined: r, lambda: 0.5 });
    expect(out.map((x) => x.id)).toEqual(['b', 'a', 'd', 'c']);
    expect(out[2].score).toBeCloseTo(0.35, 12);
    expect(out[3].score).toBeCloseTo(0.3, 12);
  });

  it('puts anchors first with score 1 in their given order and drops rejected ids', () => {
    const out = fuseScores({ base, refined, lambda: 0.5, anchors: ['c', 'a'], rejected: new Set(['b']) });
    expect(out).toEqual([
      { id: 'c', score: 1 },
      { id: 'a', score: 1 },
    ]);
    const withSet = fuseScores({ base, refined, lambda: 0.5, anchors: new Set(['a']) });
    expect(withSet.map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });

  it('lets a rejection win over an anchor', () => {
    const out = fuseScores({ base, refined, lambda: 0.5, anchors: ['a'], rejected: new Set(['a']) });
    expect(out.map((r) => r.id)).toEqual(['b', 'c']);
  });

  it('breaks ties by the insertion order of base', () => {
    const out = fuseScores({ base: new Map([['y', 0.5], ['x', 0.5]]), refined: new Map([['x', 0.5], ['y', 0.5]]), lambda: 0.3 });
    expect(out.map((r) => r.id)).toEqual(['y', 'x']);
  });

  it('rejects lambda outside [0, 1] and non-finite scores with BAD_INPUT', () => {
    for (const lambda of [-0.1, 1.2, Number.NaN]) {
      let caught: unknown;
      try {
        fuseScores({ base, refined, lambda });
      } catch (err) {
        caught = err;
      }
      expect(isCtgiError(caught, 'BAD_INPUT')).toBe(true);
    }
    expect(() => fuseScores({ base: new Map([['a', Number.NaN]]), refined, lambda: 0.5 })).toThrow(/finite/);
  });
});
