import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';

// Latency and tokens per MLLM call for the turn log. Latency is timed around the call; tokens come from
// the client's call hook (`onCall`), which fires inside the call's async context, so concurrent calls
// of many images are told apart without any id passed through the Mllm interface.

/** Tokens one call used, as the server reported them. */
export interface CallTokens {
  prompt: number;
  completion: number;
}

/** What one metered call cost. */
export interface CallCost {
  latencyMs: number;
  /** null when the client reports no usage. */
  tokens: CallTokens | null;
}

interface Slot {
  tokens: CallTokens | null;
}

/** Times calls and collects the token counts a client reports for them. */
export class CallMeter {
  private readonly als = new AsyncLocalStorage<Slot>();

  /** Runs one call, returning its value and cost. */
  async measure<T>(call: () => Promise<T>): Promise<{ value: T; cost: CallCost }> {
    const slot: Slot = { tokens: null };
    const start = performance.now();
    const value = await this.als.run(slot, call);
    return { value, cost: { latencyMs: Math.round(performance.now() - start), tokens: slot.tokens } };
  }

  /** Hook for a client's per-call report: adds the tokens to the call running in this async context. */
  readonly record = (usage: { promptTokens?: number | null; completionTokens?: number | null }): void => {
    const slot = this.als.getStore();
    if (!slot) return;
    const prompt = usage.promptTokens ?? 0;
    const completion = usage.completionTokens ?? 0;
    // One report per call normally; should a client report attempts separately, the call costs their sum.
    slot.tokens = { prompt: (slot.tokens?.prompt ?? 0) + prompt, completion: (slot.tokens?.completion ?? 0) + completion };
  };
}
