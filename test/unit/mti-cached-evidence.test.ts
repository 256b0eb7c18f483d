import { describe, expect, it } from 'vitest';
import { galleryEvidence } from '../../agent/round/cached-evidence.js';

type Row = { attribute: string; question: string; answer: string; source: string; confidence: number | null };
const row = (attribute: string, answer: string, source = 'mtg'): Row => ({ attribute, question: 'q', answer, source, confidence: null });

describe('galleryEvidence: MTG answers cached in the gallery as candidate evidence', () => {
  const rows = new Map<number, Row[]>([
    // A visual answer overrides what the caption stated for the same attribute, whatever the row order.
    [1, [row('upperColour', 'red'), row('upperColour', 'A man wearing a blue jacket.', 'mtg-caption'), row('bag', 'a backpack')]],
    // Unknown attributes and unreadable answers give nothing.
    [2, [row('mood', 'happy'), row('hat', 'not visible')]],
    [3, [row('lowerType', 'A woman in a skirt.', 'mtg-caption')]],
  ]);
  const read = galleryEvidence({ attributeAnswers: async (ids: readonly number[]) => new Map(ids.flatMap((id) => (rows.has(id) ? [[id, rows.get(id)!] as const] : []))) });

  it('turns answers and caption statements into certain slot values', async () => {
    const e = await read([1, 2, 3, 4]);
    expect(e.get(1)).toEqual({ upperColour: { red: 1 }, bag: { backpack: 1 } });
    expect(e.get(3)).toEqual({ lowerType: { skirt: 1 } });
    expect(e.has(2)).toBe(false);
    expect(e.has(4)).toBe(false);
  });
});
