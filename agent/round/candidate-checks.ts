import { checkAnchor } from '../../src/mllm/anchor-check.js';
import type { Mllm } from '../../src/mllm/mllm.js';
import type { YesNo } from '../../src/mllm/yes-no.js';
import { followUpQuestionsPrompt } from '../../src/mllm/prompts.js';
import { mapSettledLimit } from './map-limit.js';

// MTI step 2 with the MLLM half of step 4 (DESIGN.md flow 3.2, 3.4). Each top-K candidate gets ONE call that
// carries the paper's yes/no verification and the round's visual questions, so the anchors' answers arrive
// with their "yes": a round is one wave of calls (plus the Reconstructor), not verification and then VQA.
// All K go at once (the client's concurrency limit bounds them), which keeps the paper's semantics — the
// highest-ranked "yes" answers are the anchors — at about one call's latency instead of K.

/** What the MLLM said about the candidates, JSON-safe for the dialogue's checkpoints. */
export interface CandidateChecks {
  /** Per candidate id: the verdict, or `failed` when the call failed. */
  verdicts: Record<number, YesNo | 'failed'>;
  /** Per candidate id: answers to the round's questions, in question order. */
  answers: Record<number, string[]>;
  /** The highest-ranked "yes" candidates, at most maxAnchors, best first. */
  anchors: number[];
  calls: number;
  failures: number;
  /** Follow-up questions the MLLM proposed about the best candidate. */
  followUps: string[];
  /** Short notices for the witness (MLLM unreachable, some checks failed). */
  notices: string[];
}

export interface CheckOptions {
  imageOf: (c: { id: number; path: string }) => Promise<Buffer>;
  maxAnchors: number;
  /** One candidate at a time through all K, as the paper's appendix C describes (for the comparison). */
  sequential?: boolean;
  /** Also ask for follow-up questions about the best candidate, in the same wave (default true). */
  followUps?: boolean;
  /** Most follow-ups kept (default 3). */
  maxFollowUps?: number;
  /** Replaces the direct MLLM calls, e.g. with the agent's tools: one candidate's check. */
  check?: (c: { id: number; path: string }, questions: readonly string[]) => Promise<{ match: YesNo; answers: string[] }>;
  /** Replaces the direct follow-up proposal call. */
  propose?: (c: { id: number; path: string }, max: number) => Promise<string[]>;
}

/** Checks `candidates` (best first) against `description`; failures count as neither yes nor no. */
export async function checkCandidates(mllm: Mllm, description: string, candidates: ReadonlyArray<{ id: number; path: string }>, questions: readonly string[], options: CheckOptions): Promise<CandidateChecks> {
  const max = options.maxFollowUps ?? 3;
  const check = options.check ? (c: { id: number; path: string }) => options.check!(c, questions) : async (c: { id: number; path: string }) => checkAnchor(mllm, description, questions, await options.imageOf(c));
  const propose = async (): Promise<string[]> => {
    if (options.followUps === false || candidates.length === 0) return [];
    if (options.propose) return (await options.propose(candidates[0], max)).slice(0, max);
    const text = await mllm.ask(followUpQuestionsPrompt(description, max), [await options.imageOf(candidates[0])]);
    return parseQuestionList(text).slice(0, max);
  };
  const out: CandidateChecks = { verdicts: {}, answers: {}, anchors: [], calls: 0, failures: 0, followUps: [], notices: [] };
  const record = (id: number, s: { ok: true; value: { match: YesNo; answers: string[] } } | { ok: false; error: unknown }) => {
    out.calls++;
    if (s.ok) {
      out.verdicts[id] = s.value.match;
      out.answers[id] = s.value.answers;
    } else {
      out.verdicts[id] = 'failed';
      out.failures++;
    }
  };
  const proposal = propose().then(
    (questions) => ({ ok: true as const, questions }),
    () => ({ ok: false as const }),
  );
  if (options.sequential) {
    for (const c of candidates) {
      try {
        record(c.id, { ok: true, value: await check(c) });
      } catch (error) {
        record(c.id, { ok: false, error });
      }
    }
  } else {
    const settled = await mapSettledLimit(candidates, candidates.length, check);
    settled.forEach((s, i) => record(candidates[i].id, s.ok ? { ok: true, value: s.value } : { ok: false, error: s.error }));
  }
  const p = await proposal;
  if (options.followUps !== false && candidates.length > 0) {
    out.calls++;
    if (p.ok) out.followUps = p.questions;
    else out.failures++;
  }
  out.anchors = candidates.filter((c) => out.verdicts[c.id] === 'yes').slice(0, options.maxAnchors).map((c) => c.id);
  const checked = candidates.length;
  const failedChecks = candidates.filter((c) => out.verdicts[c.id] === 'failed').length;
  if (checked > 0 && failedChecks === checked) out.notices.push('The image checker (MLLM) could not be reached, so this round uses your answers only.');
  else if (failedChecks > 0) out.notices.push(`The image checker failed on ${failedChecks} of ${checked} candidates; they were skipped.`);
  return out;
}

/** The questions in a numbered or bulleted list answer ("1. Is …?", "- What …?"), de-duplicated. */
export function parseQuestionList(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const q = line.replace(/^\s*(?:\d+[.)]|[-*•])\s*/, '').replace(/[*_`]/g, '').trim();
    if (!q.endsWith('?') || q.length < 8 || q.length > 200) continue;
    const key = q.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(q);
  }
  return out;
}
