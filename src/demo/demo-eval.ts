import { similarityMatrix } from '../eval/similarity-matrix.js';
import { spreadSample } from '../util/spread-sample.js';
import { GalleryIndex } from '../gallery/gallery-index.js';
import { rankingMetrics, type RankingMetrics } from '../retrieval/metrics.js';
import { DemoTextEncoder } from './demo-encoder.js';
import type { DemoBuild } from './demo-build.js';
import type { DemoIdentity } from './world.js';

/** One row of the demo benchmark: a mode at a dialogue round (plain retrieval is round 0). */
export type DemoEvalRow = {
  mode: 'retrieval' | 'mti-mllm' | 'mti-mllm-witness';
  round: number;
} & Omit<RankingMetrics, 'cmc'>;

export interface DemoEvalResult {
  seed: number;
  identities: number;
  queries: number;
  gallery: number;
  rows: DemoEvalRow[];
  /** Cost and timing figures of the MTI modes, when they ran. */
  mti?: DemoMtiStats;
}

/** One vague witness query of the benchmark and the person it describes. */
export interface DemoQuery {
  text: string;
  personId: string;
  identity: DemoIdentity;
}

/** What an MTI runner gets: the open gallery and the (sampled) queries. */
export interface DemoMtiContext {
  index: GalleryIndex;
  build: DemoBuild;
  queries: DemoQuery[];
}

/** An MTI mode's ranked gallery ids per round (`rankings[round - 1][query]`, best first, may be partial). */
export interface DemoMtiModeOutcome {
  mode: 'mti-mllm' | 'mti-mllm-witness';
  rankings: number[][][];
}

/** Per-mode costs and the parallel-versus-sequential anchor verification timing. */
export interface DemoMtiStats {
  rounds: number;
  lambda: number;
  mllmLatencyMs: number;
  modes: Array<{ mode: string; mllmCallsPerDialogue: number; witnessQuestionsPerDialogue: number; meanRoundMs: number; earlyStops: number }>;
  /**
   * One dialogue at a time, so a round's wall time is its own: the mean of one MLLM call (a candidate check),
   * of a whole round with all K checks in flight, and of a round checking the K one by one (the paper's
   * appendix C protocol), with the ratios between them.
   */
  timing: {
    sample: number;
    oneCallMs: number;
    parallelRoundMs: number;
    sequentialRoundMs: number;
    /** parallelRoundMs / oneCallMs (goal ≤ 3). */
    roundToCall: number;
    /** sequentialRoundMs / parallelRoundMs (goal ≥ 4). */
    speedup: number;
    parallelVerificationCalls: number;
    sequentialVerificationCalls: number;
  };
  wallMs: number;
}

/** Runs MTI dialogues for the benchmark; injected by the composition root so src/ does not depend on agent/. */
export type DemoMtiRunner = (ctx: DemoMtiContext) => Promise<{ modes: DemoMtiModeOutcome[]; stats: DemoMtiStats }>;

export interface DemoEvalOptions {
  /** Evaluate an evenly spread sample of this many queries (default: all). */
  queries?: number;
  /** Adds per-round MTI rows. */
  mti?: DemoMtiRunner;
}

/**
 * The demo world's vague witness queries: plain retrieval (each query ranks every gallery image with the
 * demo encoder; a match is any image of the queried identity — the IRRA/RDE metrics), plus MTI rows per
 * dialogue round when a runner is given. An MTI ranking covers the re-ranked candidates; the rest of the
 * gallery follows in its plain-retrieval order.
 */
export async function evaluateDemoRetrieval(build: DemoBuild, options: DemoEvalOptions = {}): Promise<DemoEvalResult> {
  const index = await GalleryIndex.open(build.indexDir);
  try {
    const { ids, matrix } = index.store.loadEmbeddings(index.manifest.model.dim);
    const records = index.store.getMany(ids);
    const dim = index.manifest.model.dim;
    const gallery = ids.map((_, row) => matrix.subarray(row * dim, (row + 1) * dim));
    const galleryIds = ids.map((id) => records.get(id)?.personId ?? '');
    const all = build.world.identities.flatMap((identity) => identity.vagueQueries.map((text) => ({ text, personId: String(identity.id), identity })));
    const queries = spreadSample(all, options.queries);
    const text = new DemoTextEncoder();
    const vectors = await text.embedTexts(queries.map((q) => q.text));
    const similarity = similarityMatrix(vectors, gallery);
    const personIds = queries.map((q) => q.personId);
    const rows: DemoEvalRow[] = [row('retrieval', 0, rankingMetrics(similarity, personIds, galleryIds))];
    let mti: DemoMtiStats | undefined;
    if (options.mti) {
      const outcome = await options.mti({ index, build, queries });
      const rowOf = new Map(ids.map((id, i) => [id, i]));
      const G = ids.length;
      for (const m of outcome.modes) {
        m.rankings.forEach((perQuery, r) => {
          const scores = new Float32Array(queries.length * G);
          perQuery.forEach((ranked, q) => fullRankingScores(ranked, similarity.subarray(q * G, (q + 1) * G), rowOf, scores.subarray(q * G, (q + 1) * G)));
          rows.push(row(m.mode, r + 1, rankingMetrics(scores, personIds, galleryIds)));
        });
      }
      mti = outcome.stats;
    }
    return { seed: build.world.seed, identities: build.world.identities.length, queries: queries.length, gallery: gallery.length, rows, ...(mti ? { mti } : {}) };
  } finally {
    index.closeWithoutSaving();
  }
}

/**
 * Scores that put `ranked` first in its order and every other image after it in plain-retrieval order
 * (by `base`, ties by gallery order as rankingMetrics breaks them).
 */
export function fullRankingScores(ranked: readonly number[], base: ArrayLike<number>, rowOf: ReadonlyMap<number, number>, out: Float32Array): void {
  const order = Array.from({ length: base.length }, (_, i) => i).sort((a, b) => base[b] - base[a] || a - b);
  const placed = new Set<number>();
  let position = 0;
  for (const id of ranked) {
    const i = rowOf.get(id);
    if (i === undefined || placed.has(i)) continue;
    placed.add(i);
    out[i] = -position++;
  }
  for (const i of order) if (!placed.has(i)) out[i] = -position++;
}

function row(mode: DemoEvalRow['mode'], round: number, m: { R1: number; R5: number; R10: number; mAP: number; mINP: number; rSum: number }): DemoEvalRow {
  return { mode, round, R1: m.R1, R5: m.R5, R10: m.R10, mAP: m.mAP, mINP: m.mINP, rSum: m.rSum };
}
