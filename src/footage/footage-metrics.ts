import { iou, type Box } from './box.js';

// Detection and tracking quality against ground truth, MOT-style: per frame, detections are matched one to
// one to true boxes at IoU ≥ 0.5 (best pairs first); true boxes marked `ignore` (mostly hidden or outside
// the frame) count neither as missed nor, when matched, as false detections.

/** A true box of one frame. */
export interface TruthBox {
  identity: number;
  box: Box;
  ignore: boolean;
}

/** A detection of one frame and the track it joined. */
export interface TrackedBox {
  box: Box;
  trackId: number;
}

/** Running counts over frames. */
export interface FootageCounts {
  truths: number;
  detections: number;
  truePositives: number;
  falsePositives: number;
  /** Per track, how many of its detections matched each identity. */
  trackIdentities: Map<number, Map<number, number>>;
}

/** Empty counts. */
export function newCounts(): FootageCounts {
  return { truths: 0, detections: 0, truePositives: 0, falsePositives: 0, trackIdentities: new Map() };
}

/** Adds one frame's truth and tracked detections to `counts`. */
export function countFrame(counts: FootageCounts, truth: readonly TruthBox[], detections: readonly TrackedBox[], minIou = 0.5): void {
  const pairs: Array<{ t: number; d: number; v: number }> = [];
  truth.forEach((t, ti) => detections.forEach((d, di) => {
    const v = iou(t.box, d.box);
    if (v >= minIou) pairs.push({ t: ti, d: di, v });
  }));
  // Required boxes claim detections before ignored ones, best overlaps first.
  pairs.sort((a, b) => Number(truth[a.t].ignore) - Number(truth[b.t].ignore) || b.v - a.v);
  const usedT = new Set<number>();
  const usedD = new Set<number>();
  for (const p of pairs) {
    if (usedT.has(p.t) || usedD.has(p.d)) continue;
    usedT.add(p.t);
    usedD.add(p.d);
    const t = truth[p.t];
    if (!t.ignore) counts.truePositives++;
    const byIdentity = counts.trackIdentities.get(detections[p.d].trackId) ?? new Map<number, number>();
    byIdentity.set(t.identity, (byIdentity.get(t.identity) ?? 0) + 1);
    counts.trackIdentities.set(detections[p.d].trackId, byIdentity);
  }
  counts.truths += truth.filter((t) => !t.ignore).length;
  counts.detections += detections.length;
  counts.falsePositives += detections.length - usedD.size;
}

/** Summary figures of the counts. */
export interface FootageMetrics {
  recall: number;
  precision: number;
  /** Matched detections that belong to their track's majority identity. */
  purity: number;
  /** Tracks per identity seen (1 is ideal). */
  fragmentation: number;
  tracks: number;
  identities: number;
}

/** Recall, precision, track purity and fragmentation. */
export function summarise(c: FootageCounts): FootageMetrics {
  let majority = 0;
  let matched = 0;
  const tracksOf = new Map<number, Set<number>>();
  for (const [track, ids] of c.trackIdentities) {
    let best = 0;
    for (const [identity, k] of ids) {
      matched += k;
      best = Math.max(best, k);
      if (!tracksOf.has(identity)) tracksOf.set(identity, new Set());
      tracksOf.get(identity)!.add(track);
    }
    majority += best;
  }
  const identities = tracksOf.size;
  return {
    recall: c.truths === 0 ? 1 : c.truePositives / c.truths,
    precision: c.detections === 0 ? 1 : (c.detections - c.falsePositives) / c.detections,
    purity: matched === 0 ? 1 : majority / matched,
    fragmentation: identities === 0 ? 0 : [...tracksOf.values()].reduce((s, t) => s + t.size, 0) / identities,
    tracks: c.trackIdentities.size,
    identities,
  };
}
