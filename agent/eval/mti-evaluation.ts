import { performance } from 'node:perf_hooks';
import { Command, MemorySaver } from '@langchain/langgraph';
import type { AttributeEvidence } from '../../src/attributes/vocabulary.js';
import type { SimulatedWitness } from '../../src/eval/caption-witness.js';
import { fullRankingScores } from '../../src/eval/ranking-scores.js';
import { similarityMatrix } from '../../src/eval/similarity-matrix.js';
import type { Gallery } from '../../src/gallery/gallery.js';
import type { Mllm } from '../../src/mllm/mllm.js';
import type { TextEncoder } from '../../src/models/encoder.js';
import { rankingMetrics, type RankingMetrics } from '../../src/retrieval/metrics.js';
import { compileDialogue, initialDialogue, TIMED_OUT, type DialogueValues } from '../graph/dialogue-graph.js';
import { mapSettledLimit } from '../round/map-limit.js';
import type { BotEvent } from '../../src/conversation/conversation-types.js';
import { CountingMllm } from './counting-mllm.js';
import { DEFAULT_ROUND_OPTIONS, type MtiRoundOptions } from '../round/round-options.js';
import { imageByIdReader } from '../round/image-readers.js';

// MTI measured (DESIGN.md flow 9, the paper's Table 4 protocol) on any gallery, model and MLLM: every query
// runs the product's own LangGraph dialogue — the graph the web chat, Slack, Discord and the terminal run —
// with an in-memory checkpointer; a simulated witness answers the graph's question interrupts and the
// gallery interrupt is answered "refine" until the round budget is spent (or the paper's early stop ends
// the dialogue). One runner for `ctgi eval --mti` and `ctgi eval --demo`.

/** One query: the text and the person it describes. */
export interface MtiQuery {
  identity: string;
  text: string;
}

/** The two MTI protocols: the MLLM alone (the paper's), and the MLLM plus a simulated human witness. */
export type MtiMode = 'mti-mllm' | 'mti-mllm-witness';

/** A row of the evaluation: a mode at a dialogue round (plain retrieval is round 0). */
export type MtiEvalRow = { mode: 'retrieval' | MtiMode; round: number } & Omit<RankingMetrics, 'cmc'>;

/** Costs of one mode, per dialogue and per round. */
export interface MtiModeStats {
  mode: MtiMode;
  dialogues: number;
  mllmCallsPerDialogue: number;
  witnessQuestionsPerDialogue: number;
  /** Per round (index 0 = round 1): mean MLLM calls, witness questions and wall time of the dialogues that ran it. */
  perRound: Array<{ round: number; mllmCalls: number; witnessQuestions: number; meanMs: number; dialogues: number }>;
  earlyStops: number;
  /** Dialogues in which some MLLM call failed (those rounds went on witness-only). */
  mllmFailures: number;
  /** Dialogues that failed outright (their rows count plain retrieval for them). */
  failed: number;
}

export interface MtiEvalInput {
  gallery: Gallery;
  textEncoder: TextEncoder;
  mllm?: Mllm;
  /** The Reconstructor's LLM; defaults to `mllm`. */
  reconstructor?: Mllm;
  queries: readonly MtiQuery[];
  modes: readonly MtiMode[];
  /** The simulated witness of a query (mode 'mti-mllm-witness'); undefined: that query's questions go unanswered. */
  witness?: (query: MtiQuery, index: number) => SimulatedWitness | undefined;
  rounds: number;
  options?: MtiRoundOptions;
  /** Per-image evidence cached in the gallery (MTG answers), as the service uses it. */
  cachedEvidence?: (ids: readonly number[]) => Promise<ReadonlyMap<number, AttributeEvidence>>;
  /** Dialogues run at once (default 32: most of a round is waiting on the MLLM). */
  concurrency?: number;
  onProgress?: (mode: MtiMode, done: number, total: number) => void;
}

export interface MtiEvalResult {
  queries: number;
  gallery: number;
  rows: MtiEvalRow[];
  modes: MtiModeStats[];
  notices: string[];
  wallMs: number;
}

interface DialogueOutcome {
  /** Per completed round, the re-ranked pool (best first). */
  rankings: number[][];
  roundMs: number[];
  callsPerRound: number[];
  questionsPerRound: number[];
  earlyStop: boolean;
  mllmFailed: boolean;
}

/**
 * Runs plain retrieval and the MTI dialogues of every mode over `queries`, and scores each round with the
 * IRRA/RDE metrics (a dialogue's ranking covers its re-ranked pool; the rest of the gallery follows in
 * plain-retrieval order).
 */
export async function runMtiEvaluation(input: MtiEvalInput): Promise<MtiEvalResult> {
  const started = performance.now();
  const { gallery, queries } = input;
  const dim = gallery.manifest.model.dim;
  const { ids, matrix } = await gallery.loadEmbeddings();
  const records = await gallery.getMany(ids);
  const galleryVectors = ids.map((_, row) => matrix.subarray(row * dim, (row + 1) * dim));
  const galleryIds = ids.map((id) => records.get(id)?.personId ?? '');
  const queryVectors = await input.textEncoder.embedTexts(queries.map((q) => q.text));
  const similarity = similarityMatrix(queryVectors, galleryVectors);
  const personIds = queries.map((q) => q.identity);
  const rows: MtiEvalRow[] = [row('retrieval', 0, rankingMetrics(similarity, personIds, galleryIds))];
  const notices: string[] = [];
  const modes: MtiModeStats[] = [];
  const rowOf = new Map(ids.map((id, i) => [id, i]));
  const G = ids.length;
  const readImage = imageByIdReader(gallery);

  for (const mode of input.modes) {
    let done = 0;
    const settled = await mapSettledLimit(queries, input.concurrency ?? 32, async (q, i) => {
      const outcome = await dialogue(input, mode, q, i, readImage);
      input.onProgress?.(mode, ++done, queries.length);
      return outcome;
    });
    const outcomes = settled.map((s) => (s.ok ? s.value : undefined));
    const failures = settled.flatMap((s) => (s.ok ? [] : [s.error]));
    if (failures.length > 0) {
      notices.push(`${mode}: ${failures.length} of ${queries.length} dialogues failed (${String((failures[0] as Error)?.message ?? failures[0])}); they count as plain retrieval.`);
    }
    for (let r = 0; r < input.rounds; r++) {
      const scores = new Float32Array(queries.length * G);
      outcomes.forEach((o, q) => {
        const ranked = o ? (o.rankings[Math.min(r, o.rankings.length - 1)] ?? []) : [];
        fullRankingScores(ranked, similarity.subarray(q * G, (q + 1) * G), rowOf, scores.subarray(q * G, (q + 1) * G));
      });
      rows.push(row(mode, r + 1, rankingMetrics(scores, personIds, galleryIds)));
    }
    const ok = outcomes.filter((o): o is DialogueOutcome => o !== undefined);
    const stats: MtiModeStats = {
      mode,
      dialogues: queries.length,
      mllmCallsPerDialogue: mean(ok.map((o) => sum(o.callsPerRound))),
      witnessQuestionsPerDialogue: mean(ok.map((o) => sum(o.questionsPerRound))),
      perRound: Array.from({ length: input.rounds }, (_, r) => {
        const ran = ok.filter((o) => o.roundMs.length > r);
        return { round: r + 1, dialogues: ran.length, mllmCalls: mean(ran.map((o) => o.callsPerRound[r])), witnessQuestions: mean(ran.map((o) => o.questionsPerRound[r])), meanMs: mean(ran.map((o) => o.roundMs[r])) };
      }),
      earlyStops: ok.filter((o) => o.earlyStop).length,
      mllmFailures: ok.filter((o) => o.mllmFailed).length,
      failed: failures.length,
    };
    if (stats.mllmFailures > 0) notices.push(`${mode}: the MLLM failed in ${stats.mllmFailures} dialogues; their rounds went on without it (witness-only where a witness answers).`);
    modes.push(stats);
  }
  return { queries: queries.length, gallery: G, rows, modes, notices, wallMs: performance.now() - started };
}

/** One dialogue through the product's graph, its witness questions answered by the simulated witness. */
async function dialogue(input: MtiEvalInput, mode: MtiMode, q: MtiQuery, index: number, readImage: (id: number) => Promise<Buffer>): Promise<DialogueOutcome> {
  const mllm = input.mllm ? new CountingMllm(input.mllm) : undefined;
  const reconstructor = input.reconstructor ?? input.mllm;
  const counted = reconstructor ? (reconstructor === input.mllm ? mllm : new CountingMllm(reconstructor)) : undefined;
  const options = { ...DEFAULT_ROUND_OPTIONS, ...input.options, ...(mode === 'mti-mllm' ? { witnessPerRound: 0 } : {}) };
  const witness = mode === 'mti-mllm-witness' ? input.witness?.(q, index) : undefined;
  const saver = new MemorySaver();
  const graph = compileDialogue(
    {
      gallery: input.gallery,
      textEncoder: input.textEncoder,
      ...(mllm ? { mllm } : {}),
      ...(counted ? { reconstructor: counted } : {}),
      ...(input.cachedEvidence ? { cachedEvidence: input.cachedEvidence } : {}),
      options,
      readImage,
      demo: false,
      // Unused: the simulated witness answers at once and no timers run here.
      witnessTimeoutSeconds: 120,
    },
    saver,
  );
  const config = { configurable: { thread_id: `eval:${mode}:${index}` } };
  const out: DialogueOutcome = { rankings: [], roundMs: [], callsPerRound: [], questionsPerRound: [], earlyStop: false, mllmFailed: false };
  const calls = () => (mllm?.calls ?? 0) + (counted && counted !== mllm ? counted.calls : 0);
  let next: Parameters<typeof graph.invoke>[0] = initialDialogue(q.text);
  let t0 = performance.now();
  let callsBefore = 0;
  let questions = 0;
  while (out.rankings.length < input.rounds) {
    await graph.invoke(next, config);
    const state = await graph.getState(config);
    const pending = state.tasks.flatMap((t) => t.interrupts ?? [])[0]?.value as BotEvent | undefined;
    if (!pending) break;
    if (pending.kind === 'question') {
      questions++;
      const reply = witness ? await witness.answer({ text: pending.text, options: pending.options.map((o) => o.value) }) : null;
      next = new Command({ resume: reply ?? TIMED_OUT });
      continue;
    }
    if (pending.kind !== 'gallery') break;
    const values = state.values as DialogueValues;
    out.rankings.push([...values.ranking]);
    out.roundMs.push(performance.now() - t0);
    out.callsPerRound.push(calls() - callsBefore);
    out.questionsPerRound.push(questions);
    callsBefore = calls();
    questions = 0;
    if (values.earlyStop) {
      out.earlyStop = true;
      break;
    }
    t0 = performance.now();
    next = new Command({ resume: 'refine' });
  }
  out.mllmFailed = (mllm?.failures ?? 0) > 0;
  await saver.deleteThread(config.configurable.thread_id);
  return out;
}

function row(mode: MtiEvalRow['mode'], round: number, m: RankingMetrics): MtiEvalRow {
  return { mode, round, R1: m.R1, R5: m.R5, R10: m.R10, mAP: m.mAP, mINP: m.mINP, rSum: m.rSum };
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : sum(xs) / xs.length;
}
