import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SLOTS, type AttributeEvidence, type DemoSlotKey } from '../../src/demo/attributes.js';
import { renderPersonPng } from '../../src/demo/person-render.js';
import { readAttributes } from '../../src/demo/pixel-reader.js';
import { generateWorld, type DemoIdentity } from '../../src/demo/world.js';
import { decodeRgb } from '../../src/vision/rgb-decode.js';
import { renderSvgToPngBuffer } from '../../src/vision/svg-render.js';

// The pixel reader against the ground truth on 100 renders (one image each of 100 people), read at the
// render size and squashed to 64×192. Thresholds sit a few points under what 1,000 renders measured
// (see the accuracy table the test prints), so they catch regressions, not sampling noise.

const THRESHOLDS: Record<DemoSlotKey, number> = {
  gender: 0.92,
  hairColour: 0.88,
  hairLength: 0.88,
  upperType: 0.92,
  upperColour: 0.95,
  lowerType: 0.95,
  lowerColour: 0.95,
  shoeColour: 0.95,
  bag: 0.92,
  bagColour: 0.9,
  hat: 0.92,
  hatColour: 0.85,
  glasses: 0.92,
  held: 0.92,
};

const SIZES = { '128x384': undefined, '64x192': { width: 64, height: 192 } } as const;

let people: DemoIdentity[];
const readings: Record<keyof typeof SIZES, AttributeEvidence[]> = { '128x384': [], '64x192': [] };

beforeAll(async () => {
  people = generateWorld({ identities: 100, seed: 77, imagesPerIdentity: [1, 1] }).identities;
  for (const person of people) {
    const png = await renderPersonPng(person.attributes, person.appearance, person.images[0].jitter);
    for (const [name, size] of Object.entries(SIZES) as Array<[keyof typeof SIZES, (typeof SIZES)[keyof typeof SIZES]]>) {
      readings[name].push(readAttributes(await decodeRgb(png, person.images[0].file, size ? { size } : {})));
    }
  }
});

function argmax(probs: Partial<Record<string, number>>): string {
  return Object.entries(probs).reduce((best, [k, p]) => ((p ?? 0) > (probs[best] ?? -1) ? k : best), '');
}

function accuracy(evidence: AttributeEvidence[]): Record<DemoSlotKey, { correct: number; total: number }> {
  const out = Object.fromEntries(DEMO_SLOTS.map((s) => [s.key, { correct: 0, total: 0 }])) as Record<DemoSlotKey, { correct: number; total: number }>;
  people.forEach((person, i) => {
    for (const s of DEMO_SLOTS) {
      const truth = person.attributes[s.key];
      if (truth === null) continue; // no bag, no bag colour to read
      out[s.key].total++;
      if (argmax(evidence[i][s.key] ?? {}) === truth) out[s.key].correct++;
    }
  });
  return out;
}

describe('readAttributes on rendered pedestrians', () => {
  it('reads every slot above its threshold at both sizes', () => {
    const tables = Object.fromEntries(Object.entries(readings).map(([size, ev]) => [size, accuracy(ev)]));
    const lines = DEMO_SLOTS.map((s) => {
      const cells = Object.keys(SIZES).map((size) => {
        const { correct, total } = tables[size][s.key];
        return `${((100 * correct) / total).toFixed(0).padStart(4)}% of ${String(total).padStart(3)}`;
      });
      return `  ${s.key.padEnd(12)} ${cells.join('   ')}`;
    });
    console.log(`pixel reader accuracy (argmax vs ground truth)\n  ${''.padEnd(12)} ${Object.keys(SIZES).map((k) => k.padEnd(11)).join('   ')}\n${lines.join('\n')}`);
    for (const [size, table] of Object.entries(tables)) {
      for (const s of DEMO_SLOTS) {
        const { correct, total } = table[s.key];
        expect(correct / total, `${s.key} at ${size}`).toBeGreaterThanOrEqual(THRESHOLDS[s.key]);
      }
    }
  });

  it('gives soft probabilities: every value possible, sums of 1 (item colours: the item is there)', () => {
    for (const evidence of readings['64x192']) {
      const bagPresent = 1 - (evidence.bag?.none ?? 0);
      const hatPresent = evidence.hat?.yes ?? 0;
      for (const s of DEMO_SLOTS) {
        const probs = Object.values(evidence[s.key] ?? {}) as number[];
        expect(probs).toHaveLength(s.values.length);
        const sum = probs.reduce((a, b) => a + b, 0);
        const expected = s.key === 'bagColour' ? bagPresent : s.key === 'hatColour' ? hatPresent : 1;
        expect(sum).toBeCloseTo(expected, 6);
        for (const p of probs) expect(p).toBeGreaterThan(0);
        if (s.key !== 'bagColour' && s.key !== 'hatColour') expect(Math.max(...probs)).toBeLessThan(1);
      }
    }
  });

  it('reads an image without a person as no evidence (uniform)', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="128" height="384"><rect width="128" height="384" fill="#beb8aa"/></svg>';
    const png = await renderSvgToPngBuffer(svg, { density: 72 });
    const evidence = readAttributes(await decodeRgb(png, 'empty'));
    for (const s of DEMO_SLOTS) {
      for (const p of Object.values(evidence[s.key] ?? {})) expect(p).toBeCloseTo(1 / s.values.length, 6);
    }
  });
});
