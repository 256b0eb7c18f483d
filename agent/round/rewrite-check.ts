import { parseDescription } from '../../src/attributes/description-parser.js';
import { decisive } from '../../src/attributes/phrasing.js';
import { SLOTS, type SlotKey } from '../../src/attributes/vocabulary.js';
import type { MergedAnswers } from '../core/answers.js';

// The Reconstructor's LLM rewrite checked against what the witness actually said, read by the product's own
// parser: an LLM that obeys text injected into a description (or simply drifts) must not turn "a man in a
// red jacket" into "a woman in a yellow dress" and have that ranked. The rule, per attribute slot:
//  - what may be said: the settled answer's value when there is one (answers win over q, as in the template
//    merge), otherwise what q states decisively; plus any value a free-text answer states decisively;
//  - q̂ stating another value is a contradiction, for every slot;
//  - for the salient slots (gender, top and bottom colour: they dominate the text embedding and are what an
//    injection flips) q̂ silent on a stated value is a contradiction too, and so is q̂ stating a value
//    nobody said. Other slots may be left out or added (the LLM's wording of details is its job).
// Slots that depend on a denied one (a bag's colour after "no bag") are not expected.

/** Slots whose loss or invention changes who is searched for. */
export const SALIENT_SLOTS: readonly SlotKey[] = ['gender', 'upperColour', 'lowerColour'];

/** One disagreement between q̂ and what was said. */
export interface RewriteContradiction {
  slot: SlotKey;
  /** What q and the answers allow (empty: nothing was said). */
  expected: string[];
  /** What q̂ states (undefined: silent). */
  found: string | undefined;
}

/** The contradictions of `rewritten` (q̂) against `query` (q) and the settled answers; [] when faithful. */
export function rewriteContradictions(query: string, merged: MergedAnswers, rewritten: string): RewriteContradiction[] {
  const q = parseDescription(query);
  const qHat = parseDescription(rewritten);
  // Slot answers count by their value only: a bare "red" read as a description would be a top's colour.
  const said = merged.freeText.map((a) => parseDescription(a.text));
  const expected = new Map<SlotKey, Set<string>>();
  for (const s of SLOTS) {
    const settled = merged.bySlot.get(s.key)?.value;
    const base = settled ?? decisive(q, s.key);
    const values = new Set<string>(base !== undefined ? [base] : []);
    for (const e of said) {
      const v = decisive(e, s.key);
      if (v !== undefined) values.add(v);
    }
    if (values.size > 0) expected.set(s.key, values);
  }
  const out: RewriteContradiction[] = [];
  for (const s of SLOTS) {
    if (s.requires && expected.get(s.requires.key)?.has(s.requires.notValue)) continue;
    const allowed = expected.get(s.key);
    const found = decisive(qHat, s.key);
    const salient = SALIENT_SLOTS.includes(s.key);
    const bad = allowed ? (found !== undefined ? !allowed.has(found) : salient) : salient && found !== undefined;
    if (bad) out.push({ slot: s.key, expected: [...(allowed ?? [])], found });
  }
  return out;
}
