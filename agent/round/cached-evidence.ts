import { SLOTS, type AttributeEvidence, type SlotKey } from '../../src/attributes/vocabulary.js';
import { parseDescription } from '../../src/attributes/description-parser.js';
import type { Gallery } from '../../src/gallery/gallery.js';
import { SETTLED_P, settledValue } from '../core/answers.js';

// Per-image answers that MTG cached in the gallery (DESIGN.md flow 4), as attribute evidence for MTI's
// question ranking: with them, "which question splits the candidates best" is known before any MLLM call.

const SLOT_KEYS = new Set<string>(SLOTS.map((s) => s.key));

/** Reads cached answers for candidate ids; images without any get no entry. */
export function galleryEvidence(gallery: Pick<Gallery, 'attributeAnswers'>): (ids: readonly number[]) => Promise<ReadonlyMap<number, AttributeEvidence>> {
  return async (ids) => {
    const out = new Map<number, AttributeEvidence>();
    for (const [id, rows] of await gallery.attributeAnswers(ids)) {
      const e: AttributeEvidence = {};
      // Caption-stated attributes first, so a visual answer about the same attribute overrides them.
      for (const row of [...rows].sort((a, b) => Number(a.source !== 'mtg-caption') - Number(b.source !== 'mtg-caption'))) {
        if (!SLOT_KEYS.has(row.attribute)) continue;
        const key = row.attribute as SlotKey;
        const value = row.source === 'mtg-caption' ? captionValue(key, row.answer) : settledValue(key, row.answer);
        if (value) e[key] = { [value]: 1 };
      }
      if (Object.keys(e).length > 0) out.set(id, e);
    }
    return out;
  };
}

/** The value a caption states for `key`, when it states one clearly. */
function captionValue(key: SlotKey, caption: string): string | undefined {
  const probs = parseDescription(caption)[key];
  if (!probs) return undefined;
  const [best] = Object.entries(probs).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0));
  return best && (best[1] ?? 0) >= SETTLED_P ? best[0] : undefined;
}
