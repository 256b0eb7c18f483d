import { DEMO_SLOTS, type PersonAttributes } from './attributes.js';
import { decisive } from '../attributes/phrasing.js';
import { parseDescription } from '../attributes/description-parser.js';

// How well captions cover a demo person's true attributes: precision (stated values that are right) and
// recall (true values that are stated), with the demo text parser reading the captions.

/** Attribute counts of one or more captions against the ground truth. */
export interface AttributeCoverage {
  /** Attribute values the captions state. */
  stated: number;
  /** Stated values that match the ground truth. */
  correct: number;
  /** Ground-truth values that apply (a bag colour only when there is a bag). */
  applicable: number;
  /** correct / stated, in percent (100 when nothing is stated). */
  precision: number;
  /** correct / applicable, in percent. */
  recall: number;
}

/** Counts what one caption states about a person, right and wrong. */
export function captionCoverage(caption: string, truth: PersonAttributes): AttributeCoverage {
  const evidence = parseDescription(caption);
  let stated = 0;
  let correct = 0;
  let applicable = 0;
  for (const s of DEMO_SLOTS) {
    const actual = truth[s.key];
    if (actual === null || actual === undefined) continue;
    applicable++;
    const value = decisive(evidence, s.key);
    if (value === undefined) continue;
    stated++;
    if (value === actual) correct++;
  }
  return finish(stated, correct, applicable);
}

/** Pools the counts of many captions (micro-averaged precision and recall). */
export function pooledCoverage(items: ReadonlyArray<{ caption: string; truth: PersonAttributes }>): AttributeCoverage {
  let stated = 0;
  let correct = 0;
  let applicable = 0;
  for (const { caption, truth } of items) {
    const c = captionCoverage(caption, truth);
    stated += c.stated;
    correct += c.correct;
    applicable += c.applicable;
  }
  return finish(stated, correct, applicable);
}

function finish(stated: number, correct: number, applicable: number): AttributeCoverage {
  const pct = (a: number, b: number, empty: number) => (b === 0 ? empty : Math.round((a / b) * 10000) / 100);
  return { stated, correct, applicable, precision: pct(correct, stated, 100), recall: pct(correct, applicable, 0) };
}
