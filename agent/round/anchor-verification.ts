import type { Mllm, YesNo } from '../../src/mllm/openai-chat.js';
import { anchorVerificationPrompt } from '../../src/mllm/prompts.js';
import { mapSettledLimit } from './map-limit.js';

// MTI step 2 (DESIGN.md flow 3.2): the MLLM's yes/no over the top-K. The paper checks candidates one by
// one and stops at the first "yes"; here all K are asked at once with bounded concurrency, which keeps
// its semantics (the highest-ranked "yes" is the anchor) at about one call's latency instead of K.

/** A candidate to verify: its id and a loader for its encoded image bytes. */
export interface VerificationCandidate<Id> {
  id: Id;
  image: () => Promise<Buffer>;
}

/** Outcome of anchor verification. */
export interface AnchorVerification<Id> {
  /** Anchors in rank order (the highest-ranked "yes" answers, at most `maxAnchors`). */
  anchors: Id[];
  /** Each asked candidate's answer; `failed` when the call threw. */
  verdicts: Map<Id, YesNo | 'failed'>;
  /** MLLM calls made. */
  calls: number;
  failures: number;
}

export interface VerificationOptions {
  maxAnchors: number;
  /** Calls in flight at once (parallel mode). */
  concurrency: number;
  /** The paper's protocol for comparison: one call at a time, stopping once `maxAnchors` "yes" were found. */
  sequential?: boolean;
}

/** Verifies `candidates` (best first) against `description`; failed calls count as neither yes nor no. */
export async function verifyAnchors<Id>(mllm: Mllm, description: string, candidates: ReadonlyArray<VerificationCandidate<Id>>, options: VerificationOptions): Promise<AnchorVerification<Id>> {
  const prompt = anchorVerificationPrompt(description);
  const ask = async (c: VerificationCandidate<Id>): Promise<YesNo> => mllm.askYesNo(prompt, await c.image());
  const verdicts = new Map<Id, YesNo | 'failed'>();
  let failures = 0;
  if (options.sequential) {
    let yes = 0;
    for (const c of candidates) {
      if (yes >= options.maxAnchors) break;
      try {
        const v = await ask(c);
        verdicts.set(c.id, v);
        if (v === 'yes') yes++;
      } catch {
        verdicts.set(c.id, 'failed');
        failures++;
      }
    }
  } else {
    const settled = await mapSettledLimit(candidates, options.concurrency, ask);
    settled.forEach((s, i) => {
      verdicts.set(candidates[i].id, s.ok ? s.value : 'failed');
      if (!s.ok) failures++;
    });
  }
  const anchors = candidates.filter((c) => verdicts.get(c.id) === 'yes').slice(0, options.maxAnchors).map((c) => c.id);
  return { anchors, verdicts, calls: verdicts.size, failures };
}
