import { similarityMatrix } from '../eval/similarity-matrix.js';
import { GalleryIndex } from '../gallery/gallery-index.js';
import { rankingMetrics } from '../retrieval/metrics.js';
import { DemoTextEncoder } from './demo-encoder.js';
import type { DemoBuild } from './demo-build.js';

/** One row of the demo benchmark: a mode (plain retrieval now; MTI modes join later) at a dialogue round. */
export interface DemoEvalRow {
  mode: 'retrieval' | 'mti-mllm' | 'mti-mllm-witness';
  round: number;
  R1: number;
  R5: number;
  R10: number;
  mAP: number;
  mINP: number;
  rSum: number;
}

export interface DemoEvalResult {
  seed: number;
  identities: number;
  queries: number;
  gallery: number;
  rows: DemoEvalRow[];
}

/**
 * Plain retrieval on the demo world's vague witness queries: each query ranks every gallery image with
 * the demo encoder; a match is any image of the queried identity (the IRRA/RDE metrics).
 */
export async function evaluateDemoRetrieval(build: DemoBuild): Promise<DemoEvalResult> {
  const index = await GalleryIndex.open(build.indexDir);
  try {
    const { ids, matrix } = index.store.loadEmbeddings(index.manifest.model.dim);
    const records = index.store.getMany(ids);
    const dim = index.manifest.model.dim;
    const gallery = ids.map((_, row) => matrix.subarray(row * dim, (row + 1) * dim));
    const galleryIds = ids.map((id) => records.get(id)?.personId ?? '');
    const queries = build.world.identities.flatMap((person) => person.vagueQueries.map((text) => ({ text, personId: String(person.id) })));
    const text = new DemoTextEncoder();
    const vectors = await text.embedTexts(queries.map((q) => q.text));
    const metrics = rankingMetrics(
      similarityMatrix(vectors, gallery),
      queries.map((q) => q.personId),
      galleryIds,
    );
    const { R1, R5, R10, mAP, mINP, rSum } = metrics;
    return {
      seed: build.world.seed,
      identities: build.world.identities.length,
      queries: queries.length,
      gallery: gallery.length,
      rows: [{ mode: 'retrieval', round: 0, R1, R5, R10, mAP, mINP, rSum }],
    };
  } finally {
    index.closeWithoutSaving();
  }
}
