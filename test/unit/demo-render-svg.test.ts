import { describe, expect, it } from 'vitest';
import { COLOUR_RGB, DEMO_SLOTS, type PersonAttributes } from '../../src/demo/attributes.js';
import { CAMERA_IDS, sampleAppearance, sampleJitter, type Appearance, type Jitter } from '../../src/demo/appearance.js';
import { renderPersonSvg } from '../../src/demo/person-svg.js';
import { Rng } from '../../src/demo/rng.js';

const base: PersonAttributes = {
  gender: 'man',
  hairColour: 'black',
  hairLength: 'short',
  upperType: 'jacket',
  upperColour: 'red',
  lowerType: 'trousers',
  lowerColour: 'blue',
  shoeColour: 'white',
  bag: 'backpack',
  bagColour: 'green',
  hat: 'yes',
  hatColour: 'yellow',
  glasses: 'no',
  held: 'none',
};
const rng = new Rng(4);
const appearance: Appearance = sampleAppearance(rng);
const jitter: Jitter = sampleJitter(rng, 'c3');

const hex = (c: readonly number[]) => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;

describe('renderPersonSvg', () => {
  it('is a 128×384 SVG and the same inputs give the same text', () => {
    const svg = renderPersonSvg(base, appearance, jitter);
    expect(svg).toMatch(/^<svg [^>]*width="128" height="384"/);
    expect(renderPersonSvg(base, appearance, jitter)).toBe(svg);
  });

  it('draws every attribute: changing any value changes the drawing', () => {
    const svg = renderPersonSvg(base, appearance, jitter);
    for (const s of DEMO_SLOTS) {
      for (const value of s.values) {
        if (value === base[s.key]) continue;
        const changed = { ...base, [s.key]: value };
        if (s.key === 'bag') changed.bagColour = value === 'none' ? null : base.bagColour;
        if (s.key === 'hat') changed.hatColour = value === 'no' ? null : base.hatColour;
        expect(renderPersonSvg(changed, appearance, jitter), `${s.key}=${value}`).not.toBe(svg);
      }
    }
  });

  it('paints garments, bag and hat in their palette colours', () => {
    const svg = renderPersonSvg(base, appearance, jitter);
    for (const c of ['red', 'blue', 'white', 'green', 'yellow'] as const) expect(svg).toContain(`fill="${hex(COLOUR_RGB[c])}"`);
  });

  it('changes the image with the jitter: framing, pose, background and camera', () => {
    const svg = renderPersonSvg(base, appearance, jitter);
    const other = sampleJitter(new Rng(99), 'c5');
    for (const key of ['scale', 'dx', 'armLeft', 'legRight', 'wall', 'brightness', 'camera'] as const) {
      expect(renderPersonSvg(base, appearance, { ...jitter, [key]: other[key] }), key).not.toBe(svg);
    }
  });

  it('keeps backgrounds away from every garment colour', () => {
    const r = new Rng(1);
    for (let i = 0; i < 200; i++) {
      const j = sampleJitter(r, r.pick(CAMERA_IDS));
      for (const bg of [j.wall, j.floor]) {
        for (const c of Object.values(COLOUR_RGB)) {
          const d = Math.hypot(bg[0] - c[0], bg[1] - c[1], bg[2] - c[2]);
          expect(d).toBeGreaterThan(40);
        }
      }
    }
  });
});
