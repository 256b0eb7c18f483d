import type { BotEvents, ThreadKey } from '../conversation/conversation-types.js';
import type { WitnessLinkStore } from './witness-link-store.js';

// Carries a witness's answers to the front end that renders the operator's thread. The witness page is served
// by `ctgi serve`, while a Slack or Discord thread is rendered by `ctgi slack` / `ctgi discord`, often another
// process: the answer is queued in the shared store and each front end takes the entries of its own platform.

/** Platforms (thread-key prefixes) whose front end runs in this process and hears the service's events itself. */
const renderedHere = new Map<string, number>();

/** Whether a front end in this process renders `thread` (then its service events need no relaying). */
export function renderedInThisProcess(thread: ThreadKey): boolean {
  for (const prefix of renderedHere.keys()) if (thread.startsWith(prefix)) return true;
  return false;
}

/** A running relay; `stop` waits for a delivery in progress. */
export interface WitnessRelay {
  stop(): Promise<void>;
}

/**
 * Polls `store` every `intervalMs` (default 500) for relayed events of threads starting with `prefix`
 * (`web:`, `slack:`, `discord:`) and hands each batch to `deliver`, in order.
 */
export function startWitnessRelay(
  store: WitnessLinkStore,
  prefix: string,
  deliver: (thread: ThreadKey, events: BotEvents) => void | Promise<void>,
  options: { intervalMs?: number; log?: (line: string) => void } = {},
): WitnessRelay {
  let stopped = false;
  let busy = false;
  renderedHere.set(prefix, (renderedHere.get(prefix) ?? 0) + 1);
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    for (const entry of await store.takeRelay(prefix)) {
      try {
        await deliver(entry.thread, entry.events);
      } catch (err) {
        options.log?.(`ctgi: could not relay a witness answer to ${entry.thread}: ${(err as Error)?.message ?? String(err)}`);
      }
    }
  };
  const timer = setInterval(() => {
    if (stopped || busy) return;
    busy = true;
    running = tick()
      .catch((err: unknown) => options.log?.(`ctgi: the witness relay failed: ${(err as Error)?.message ?? String(err)}`))
      .finally(() => (busy = false));
  }, options.intervalMs ?? 500);
  timer.unref();
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      const left = (renderedHere.get(prefix) ?? 1) - 1;
      if (left > 0) renderedHere.set(prefix, left);
      else renderedHere.delete(prefix);
      clearInterval(timer);
      await running;
    },
  };
}

/** The address a witness opens: `<publicUrl>/w/<token>`. */
export function witnessLinkUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/w/${token}`;
}
