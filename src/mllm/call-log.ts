import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

// One record per MLLM call, for cost and latency accounting. It never holds the API key, image bytes or
// the prompt text (prompts quote the witness; the conversation's audit trail keeps that, under its rules).

/** What kind of answer a call asked for. */
export type MllmCallKind = 'text' | 'yes-no' | 'json';

/** One finished MLLM call (all attempts together). */
export interface MllmCallLog {
  /** When the call started (ISO 8601). */
  at: string;
  model: string;
  kind: MllmCallKind;
  /** Images sent with the prompt. */
  images: number;
  /** From the start of the call to its end, including queueing, retries and back-off. */
  latencyMs: number;
  /** HTTP requests made (0 when the call failed before sending, e.g. on an unreadable image). */
  attempts: number;
  status: 'ok' | 'failed';
  /** HTTP status of the last attempt, when the server answered. */
  httpStatus?: number;
  promptTokens?: number;
  completionTokens?: number;
  /** The one-sentence error message of a failed call. */
  error?: string;
}

/** Running totals of a client's calls. */
export interface MllmStats {
  calls: number;
  failures: number;
  /** Attempts beyond the first, over all calls. */
  retries: number;
  promptTokens: number;
  completionTokens: number;
  totalLatencyMs: number;
}

/** Receives every call's log entry; must not throw. */
export type MllmCallSink = (entry: MllmCallLog) => void;

/** A sink writing JSON lines; `flush()` resolves once every entry so far is on disk. */
export interface JsonlCallLog extends MllmCallSink {
  flush(): Promise<void>;
}

/** A zeroed statistics record. */
export function emptyStats(): MllmStats {
  return { calls: 0, failures: 0, retries: 0, promptTokens: 0, completionTokens: 0, totalLatencyMs: 0 };
}

/** Adds one call to running totals. */
export function addToStats(stats: MllmStats, entry: MllmCallLog): void {
  stats.calls++;
  if (entry.status === 'failed') stats.failures++;
  stats.retries += Math.max(0, entry.attempts - 1);
  stats.promptTokens += entry.promptTokens ?? 0;
  stats.completionTokens += entry.completionTokens ?? 0;
  stats.totalLatencyMs += entry.latencyMs;
}

/**
 * A sink that appends one JSON line per call to `path` (for `CTGI_MLLM_LOG`), creating its folder. Writes
 * are queued in order; a failed write goes to `onError` (default: ignored) and never fails the call.
 */
export function jsonlCallLog(path: string, onError: (err: unknown) => void = () => {}): JsonlCallLog {
  let queue: Promise<void> = mkdir(dirname(path), { recursive: true }).then(
    () => undefined,
    (err: unknown) => onError(err),
  );
  const sink = ((entry: MllmCallLog) => {
    const line = `${JSON.stringify(entry)}\n`;
    queue = queue.then(() => appendFile(path, line, 'utf8')).catch((err: unknown) => onError(err));
  }) as JsonlCallLog;
  sink.flush = () => queue;
  return sink;
}

/** Calls every sink in turn; one sink that throws does not stop the others or the call. */
export function fanOutSinks(...sinks: Array<MllmCallSink | undefined>): MllmCallSink | undefined {
  const present = sinks.filter((s): s is MllmCallSink => s !== undefined);
  if (present.length <= 1) return present[0];
  return (entry) => {
    for (const sink of present) {
      try {
        sink(entry);
      } catch {
        // A broken log sink must not fail the MLLM call it describes.
      }
    }
  };
}
