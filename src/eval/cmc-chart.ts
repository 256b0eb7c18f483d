import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { CtgiError } from '../errors/ctgi-error.js';
import { renderSvgToPng } from '../vision/svg-render.js';

/** What the CMC chart shows: the curve, the marked ranks and the facts for its title. */
export interface CmcChartInput {
  /** Percent of queries with a match in the top k, for k = 1..cmc.length. */
  cmc: number[];
  model: string;
  /** Dataset name as shown in the title (e.g. `CUHK-PEDES`). */
  dataset: string;
  split?: string;
  queries?: number;
  gallery?: number;
  mAP?: number;
  mINP?: number;
}

/** The ranks marked and labelled on the curve (R1, R5, R10). */
const MARKED_RANKS = [1, 5, 10];

/** One layer of a layered vega-lite chart. */
type LayerSpec = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];

/** A positional channel definition (field, scale, axis) as the chart uses it. */
interface AxisField {
  field: string;
  type: 'quantitative';
  title: string;
  scale: { domain: number[]; nice: boolean };
  axis: Record<string, unknown>;
}

const LINE_COLOUR = '#1f5fa8';
const MARK_COLOUR = '#d1495b';
const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

/**
 * A vega-lite line chart of a CMC curve: matching rate (%) against rank, R1/R5/R10 marked and labelled,
 * titled with the model and dataset.
 * @throws CtgiError BAD_INPUT for an empty curve or a value outside [0, 100].
 */
export function cmcChartSpec(input: CmcChartInput): TopLevelSpec {
  if (input.cmc.length === 0) throw new CtgiError('BAD_INPUT', 'The CMC curve to plot is empty; it needs at least rank 1.');
  input.cmc.forEach((v, i) => {
    if (!(Number.isFinite(v) && v >= 0 && v <= 100)) throw new CtgiError('BAD_INPUT', `CMC at rank ${i + 1} is ${v}; values must be percentages in [0, 100].`);
  });
  const maxRank = input.cmc.length;
  const points = input.cmc.map((rate, i) => ({ rank: i + 1, rate }));
  const labels = markedLabels(input.cmc);
  const ticks = [1, 5, 10, 20, 30, 40, 50, 75, 100, 150, 200].filter((t) => t <= maxRank);
  const x: AxisField = {
    field: 'rank',
    type: 'quantitative',
    title: 'Rank k',
    scale: { domain: [1, Math.max(2, maxRank)], nice: false },
    axis: { values: ticks, format: 'd', grid: true, labelFlush: false },
  };
  const y: AxisField = {
    field: 'rate',
    type: 'quantitative',
    title: 'Matching rate (%)',
    scale: { domain: [0, 100], nice: false },
    axis: { values: [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100], grid: true },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 560,
    height: 340,
    padding: { left: 12, right: 24, top: 12, bottom: 12 },
    background: 'white',
    title: { text: `CMC curve — ${input.model}`, subtitle: subtitle(input), anchor: 'start', offset: 14 },
    layer: [
      {
        data: { values: points },
        mark: { type: 'area', color: LINE_COLOUR, opacity: 0.08, interpolate: 'linear' },
        encoding: { x, y },
      },
      {
        data: { values: points },
        mark: { type: 'line', color: LINE_COLOUR, strokeWidth: 2.25, interpolate: 'linear' },
        encoding: { x, y },
      },
      {
        data: { values: labels },
        mark: { type: 'point', filled: true, size: 70, color: MARK_COLOUR, stroke: 'white', strokeWidth: 1.5, opacity: 1 },
        encoding: { x, y },
      },
      // The same labels twice: a thick white outline first, then the text, so they stay legible over the curve.
      labelLayer(labels, x, y, { color: 'white', stroke: 'white', strokeWidth: 4, strokeJoin: 'round' }),
      labelLayer(labels, x, y, { color: MARK_COLOUR }),
    ],
    config: {
      font: FONT,
      view: { stroke: '#b8b8b8' },
      title: { fontSize: 16, fontWeight: 'bold', subtitleFontSize: 12, subtitleColor: '#555555', subtitlePadding: 6, color: '#222222' },
      axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', titleColor: '#333333', labelColor: '#444444', gridColor: '#e6e6e6', domainColor: '#888888', tickColor: '#888888' },
    },
  };
}

/** The CMC chart as an SVG document (vega's headless renderer; no canvas or browser needed). */
export async function renderCmcChartSvg(input: CmcChartInput): Promise<string> {
  const { spec } = vl.compile(cmcChartSpec(input));
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Draws the CMC chart to a PNG file (twice the SVG's pixel size, for sharp text).
 * @throws CtgiError BAD_INPUT when the curve is invalid or the file cannot be written.
 */
export async function writeCmcChartPng(input: CmcChartInput, outPath: string): Promise<void> {
  await renderSvgToPng(await renderCmcChartSvg(input), outPath, { density: 144 });
}

/** A text layer of the R1/R5/R10 labels with the given paint. */
function labelLayer(labels: MarkedLabel[], x: AxisField, y: AxisField, paint: Record<string, string | number>): LayerSpec {
  const below = labels[0]?.below !== false;
  return {
    data: { values: labels },
    mark: { type: 'text', align: 'left', baseline: below ? 'top' : 'bottom', dx: 7, dy: below ? 5 : -6, fontSize: 12, fontWeight: 'bold', ...paint },
    encoding: {
      // The axis definitions are repeated so vega-lite merges identical axes instead of dropping settings.
      x,
      y: { ...y, field: 'labelRate' },
      text: { field: 'label', type: 'nominal' },
    },
  };
}

/** A marked rank: its point, its label text and the height the label is drawn at. */
interface MarkedLabel {
  rank: number;
  rate: number;
  label: string;
  labelRate: number;
  below: boolean;
}

// Vertical room one label needs, in percentage points of the y axis (≈ 20 px at the chart's height).
const LABEL_GAP = 6;

/**
 * R1/R5/R10 labels placed right of their points and pushed apart vertically, so close or equal rates
 * (e.g. a perfect 100/100/100) stay readable: below the points normally, above them when the rates are
 * too low to leave room under the curve.
 */
export function markedLabels(cmc: number[]): MarkedLabel[] {
  const marked = MARKED_RANKS.filter((r) => r <= cmc.length).map((rank) => ({ rank, rate: cmc[rank - 1] }));
  const below = marked.map((m) => m.rate);
  // CMC never decreases, so walking down from the highest rank only ever lowers labels.
  for (let i = below.length - 2; i >= 0; i--) below[i] = Math.min(below[i], below[i + 1] - LABEL_GAP);
  const fitsBelow = below.length === 0 || below[0] >= LABEL_GAP;
  const above = marked.map((m) => m.rate);
  for (let i = 1; i < above.length; i++) above[i] = Math.max(above[i], above[i - 1] + LABEL_GAP);
  return marked.map((m, i) => ({
    ...m,
    label: `R${m.rank} ${m.rate.toFixed(1)}%`,
    labelRate: fitsBelow ? below[i] : above[i],
    below: fitsBelow,
  }));
}

/** Two subtitle lines: what was evaluated, then the scores the curve does not show. */
function subtitle(input: CmcChartInput): string[] {
  const what = [input.split ? `${input.dataset} (${input.split} split)` : input.dataset];
  if (input.queries !== undefined && input.gallery !== undefined) {
    what.push(`${input.queries.toLocaleString('en-US')} queries, ${input.gallery.toLocaleString('en-US')} gallery images`);
  }
  const scores = [`R1 ${pct(input.cmc[0])}`];
  if (input.mAP !== undefined) scores.push(`mAP ${pct(input.mAP)}`);
  if (input.mINP !== undefined) scores.push(`mINP ${pct(input.mINP)}`);
  return [what.join(' · '), scores.join(' · ')];
}

function pct(value: number): string {
  return `${value.toFixed(2)}%`;
}
