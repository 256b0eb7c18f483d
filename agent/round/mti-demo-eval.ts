import { performance } from 'node:perf_hooks';
import { spreadSample } from '../../src/util/spread-sample.js';
import { startDemoMllmServer, DEMO_MLLM_MODEL } from '../../src/demo/demo-mllm-server.js';
import type { DemoMtiContext, DemoMtiModeOutcome, DemoMtiRunner, DemoMtiStats, DemoQuery } from '../../src/demo/demo-eval.js';
import { WitnessSimulator } from '../../src/demo/witness-simulator.js';
import { OpenAiMllm } from '../../src/mllm/openai-chat.js';
import { openTextEncoder } from '../../src/models/open-encoders.js';
import type { TextEncoder } from '../../src/models/encoder.js';
import { mapSettledLimit } from './map-limit.js';
import { DEMO_SLOTS } from '../../src/demo/attributes.js';
import { checkAnchor } from '../../src/mllm/anchor-check.js';
import { DEFAULT_LAMBDA, runMtiRound, type MtiRoundOptions, type RoundState, type WitnessQuestionOut } from './mti-round.js';
import { imageReader } from './round-steps.js';

export interface DemoMtiRunnerOptions {
  /** Dialogue rounds per query (default 2). */
  rounds?: number;
  /** Simulated MLLM latency per call (default 500 ms). */
  latencyMs?: number;
  lambda?: number;
  /** Dialogues run at once (default 32). */
  dialogues?: number;
  /** Queries in the timing (one call, parallel round, sequential round; default 10). */
  timingSample?: number;
  /** Round options passed through (K, concurrency, …). */
  round?: MtiRoundOptions;
  /** Progress: dialogues finished per mode. */
  onProgress?: (mode: string, done: number, total: number) => void;
}

/**
 * MTI on the demo benchmark: the demo MLLM in-process on 127.0.0.1 over HTTP, reached through the
 * product's OpenAiMllm, and for every query N rounds in two modes — MLLM only (the paper's protocol) and
 * MLLM plus a simulated witness of the query's person — then one round per sampled query with sequential
 * anchor verification for comparison.
 */
export function demoMtiRunner(options: DemoMtiRunnerOptions = {}): DemoMtiRunner {
  const rounds = options.rounds ?? 2;
  const latencyMs = options.latencyMs ?? 500;
  const lambda = options.lambda ?? DEFAULT_LAMBDA;
  // The simulated latency is a wait, not work: many dialogues in flight keep the run short.
  const dialogues = options.dialogues ?? 32;
  return async (ctx) => {
    const started = performance.now();
    const server = await startDemoMllmServer({ latencyMs, seed: ctx.build.world.seed });
    const textEncoder = await openTextEncoder(ctx.build.modelDir);
    try {
      // A local server with no batch limit: every dialogue's K checks go out at once, as to a vLLM server.
      const mllm = new OpenAiMllm({ baseUrl: server.url, model: DEMO_MLLM_MODEL, maxRetries: 0, maxConcurrency: 256 });
      const roundOptions: MtiRoundOptions = { lambda, ...options.round };
      const run = (withWitness: boolean, sample: DemoQuery[], n: number, extra: MtiRoundOptions = {}) =>
        mapSettledLimit(sample, dialogues, (q, i) => dialogue(ctx, textEncoder, mllm, q, i, n, withWitness, { ...roundOptions, ...extra }));
      const modes: DemoMtiModeOutcome[] = [];
      const modeStats: DemoMtiStats['modes'] = [];
      for (const [mode, withWitness] of [['mti-mllm', false], ['mti-mllm-witness', true]] as const) {
        const settled = await run(withWitness, ctx.queries, rounds);
        const results = settled.map((s) => {
          if (!s.ok) throw s.error;
          return s.value;
        });
        options.onProgress?.(mode, results.length, ctx.queries.length);
        modes.push({ mode, rankings: Array.from({ length: rounds }, (_, r) => results.map((d) => d.rankings[r])) });
        const roundTimes = results.flatMap((d) => d.roundMs);
        modeStats.push({
          mode,
          mllmCallsPerDialogue: mean(results.map((d) => d.mllmCalls)),
          witnessQuestionsPerDialogue: mean(results.map((d) => d.witnessQuestions)),
          meanRoundMs: mean(roundTimes),
          earlyStops: results.filter((d) => d.earlyStop).length,
        });
      }
      // Timing: one dialogue at a time on a client of its own, so other dialogues' calls do not queue with it.
      const timingQueries = spreadSample(ctx.queries, options.timingSample ?? 10);
      const solo = new OpenAiMllm({ baseUrl: server.url, model: DEMO_MLLM_MODEL, maxRetries: 0, maxConcurrency: 64 });
      const images = imageReader(ctx.index);
      const oneCall: number[] = [];
      for (const q of timingQueries) {
        const [v] = await textEncoder.embedTexts([q.text]);
        const top = ctx.index.search(v, { top: 1, exact: true })[0];
        const image = await images(top);
        const t0 = performance.now();
        await checkAnchor(solo, q.text, DEMO_SLOTS.slice(0, 6).map((s) => s.question), image);
        oneCall.push(performance.now() - t0);
      }
      const timed = async (sequential: boolean) => {
        const settled = await mapSettledLimit(timingQueries, 1, (q, i) => dialogue(ctx, textEncoder, solo, q, i, 1, true, { ...roundOptions, sequentialAnchorVerification: sequential }));
        const ok = settled.flatMap((s) => (s.ok ? [s.value] : []));
        return { ms: mean(ok.flatMap((d) => d.roundMs)), calls: mean(ok.map((d) => d.verificationCalls)) };
      };
      const parallel = await timed(false);
      const sequential = await timed(true);
      const oneCallMs = mean(oneCall);
      const stats: DemoMtiStats = {
        rounds,
        lambda,
        mllmLatencyMs: latencyMs,
        modes: modeStats,
        timing: {
          sample: timingQueries.length,
          oneCallMs,
          parallelRoundMs: parallel.ms,
          sequentialRoundMs: sequential.ms,
          roundToCall: oneCallMs > 0 ? parallel.ms / oneCallMs : 0,
          speedup: parallel.ms > 0 ? sequential.ms / parallel.ms : 0,
          parallelVerificationCalls: parallel.calls,
          sequentialVerificationCalls: sequential.calls,
        },
        wallMs: performance.now() - started,
      };
      return { modes, stats };
    } finally {
      await textEncoder.close();
      await server.close();
    }
  };
}

interface DialogueOutcome {
  rankings: number[][];
  roundMs: number[];
  mllmCalls: number;
  witnessQuestions: number;
  /** Anchor-verification calls of the first round. */
  verificationCalls: number;
  earlyStop: boolean;
}

/** One dialogue of `rounds` rounds; after an early stop the ranking stays as it is and no more calls are made. */
async function dialogue(ctx: DemoMtiContext, textEncoder: TextEncoder, mllm: OpenAiMllm, q: DemoQuery, i: number, rounds: number, withWitness: boolean, options: MtiRoundOptions): Promise<DialogueOutcome> {
  const simulator = withWitness ? new WitnessSimulator(q.identity.attributes, { seed: ctx.build.world.seed * 100_003 + i }) : undefined;
  const witness = simulator ? async (question: WitnessQuestionOut) => simulator.answer(question) : undefined;
  const out: DialogueOutcome = { rankings: [], roundMs: [], mllmCalls: 0, witnessQuestions: 0, verificationCalls: 0, earlyStop: false };
  let state: RoundState | undefined;
  for (let r = 0; r < rounds; r++) {
    if (out.earlyStop) {
      out.rankings.push(out.rankings[r - 1]);
      continue;
    }
    const t0 = performance.now();
    const result = await runMtiRound({ query: q.text, previous: state, gallery: ctx.index, textEncoder, mllm, witness, options });
    out.roundMs.push(performance.now() - t0);
    if (r === 0) out.verificationCalls = result.verificationCalls;
    out.rankings.push(result.ranking.map((x) => x.id));
    out.mllmCalls += result.mllmCalls;
    out.witnessQuestions += result.witnessQuestions;
    out.earlyStop = result.earlyStop;
    state = result.state;
  }
  return out;
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}
