import type { EvaluationResult } from './run-evaluation.js';
import type { RankingMetrics } from '../retrieval/metrics.js';

/** What was evaluated, for the report's header. */
export interface EvaluationLabels {
  model: string;
  /** The dataset file as given on the command line. */
  dataset: string;
  /** Human name of the dataset format, e.g. `CUHK-PEDES`. */
  datasetName: string;
  split: string;
}

/** The `ctgi eval --json` object (metrics in percent; `cmc[k - 1]` is rank k). */
export type EvaluationJson = RankingMetrics & {
  model: string;
  dataset: string;
  split: string;
  queries: number;
  gallery: number;
  skipped: Array<{ path: string; reason: string }>;
  excludedQueries: Array<{ index: number; personId: string; text: string }>;
};

/** The machine-readable report. */
export function evaluationJson(result: EvaluationResult, labels: EvaluationLabels): EvaluationJson {
  const m = result.metrics;
  return {
    model: labels.model,
    dataset: labels.dataset,
    split: labels.split,
    queries: result.queries,
    gallery: result.gallery,
    R1: m.R1,
    R5: m.R5,
    R10: m.R10,
    mAP: m.mAP,
    mINP: m.mINP,
    rSum: m.rSum,
    cmc: m.cmc,
    skipped: result.skipped,
    excludedQueries: result.excludedQueries,
  };
}

const COLUMNS = ['R1', 'R5', 'R10', 'mAP', 'mINP', 'rSum'] as const;

/** The human report: what was evaluated, a one-row metrics table, then what was left out. */
export function formatEvaluationTable(result: EvaluationResult, labels: EvaluationLabels): string {
  const m = result.metrics;
  const width = 8;
  const lines = [
    `model    ${labels.model}`,
    `dataset  ${labels.dataset} (${labels.datasetName}, ${labels.split} split)`,
    `queries  ${count(result.queries, 'caption')}   gallery ${count(result.gallery, 'image')}   skipped ${count(result.skipped.length, 'unreadable image')}` +
      (result.excludedQueries.length > 0 ? `   excluded ${count(result.excludedQueries.length, 'query', 'queries')}` : ''),
    '',
    COLUMNS.map((c) => c.padStart(width)).join(''),
    COLUMNS.map((c) => m[c].toFixed(2).padStart(width)).join(''),
    '(percent; rSum = R1 + R5 + R10)',
  ];
  if (result.skipped.length > 0) {
    lines.push('', `Skipped ${count(result.skipped.length, 'unreadable image')} (left out of the gallery):`);
    lines.push(...result.skipped.map((s) => `  ${s.path}: ${s.reason}`));
  }
  if (result.excludedQueries.length > 0) {
    lines.push('', `Excluded ${count(result.excludedQueries.length, 'query', 'queries')} whose person has no readable gallery image:`);
    lines.push(...result.excludedQueries.map((q) => `  query ${q.index} (person ${q.personId}): ${q.text}`));
  }
  return lines.join('\n') + '\n';
}

function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? singular : plural}`;
}
