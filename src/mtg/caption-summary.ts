import type { DropReason } from './answer-filter.js';
import type { JobRecord } from './job-store.js';

// The summary of an MTG output: how long the captions are (in words and CLIP tokens, and how many exceed
// CLIP's 77 tokens — why the text encoder is stretched to 248, §3.2), how often each question's answer was
// dropped and why, and what the calls cost.

/** CLIP's original context length (SOT and EOT included). */
export const CLIP_CONTEXT = 77;

/** Counts a text's tokens, SOT and EOT included. */
export interface TokenCounter {
  /** What counts: e.g. `clip-bpe (bpe_simple_vocab_16e6.txt.gz)` or `words + 2 (no CLIP vocabulary given)`. */
  name: string;
  count(text: string): number;
}

/** Drop statistics of one question. */
export interface QuestionStats {
  question: string;
  asked: number;
  kept: number;
  dropped: Record<DropReason, number>;
  /** dropped / asked. */
  dropRate: number;
}

export interface LengthStats {
  meanWords: number;
  meanTokens: number;
  /** Share (0–1) of captions over CLIP_CONTEXT tokens. */
  over77: number;
}

export interface CaptionSummary {
  images: number;
  captioned: number;
  failed: number;
  tokenizer: string;
  /** The final (reconstructed) captions. */
  captions: LengthStats;
  /** The initial captions T_s, for comparison. */
  initialCaptions: LengthStats;
  /** Question rounds asked per captioned image, on average. */
  meanQuestions: number;
  /** Answers kept per captioned image, on average. */
  meanKept: number;
  questions: QuestionStats[];
  mllmCalls: number;
  meanCallLatencyMs: number;
  /** Prompt + completion tokens over all calls; null when the client reported none. */
  totalTokens: number | null;
}

/** Builds the summary from the job table's records (every run of the job, not only the last). */
export function summariseCaptions(records: readonly JobRecord[], images: number, tokens: TokenCounter): CaptionSummary {
  const done = records.filter((r) => r.status === 'done');
  const byQuestion = new Map<string, QuestionStats>();
  let calls = 0;
  let latency = 0;
  let totalTokens: number | null = null;
  let questions = 0;
  let kept = 0;
  for (const record of records) {
    for (const turn of record.turns) {
      calls++;
      latency += turn.latencyMs;
      if (turn.tokens) totalTokens = (totalTokens ?? 0) + turn.tokens.prompt + turn.tokens.completion;
      if (turn.kind !== 'question' || turn.question === null || record.status !== 'done') continue;
      questions++;
      let stats = byQuestion.get(turn.question);
      if (!stats) {
        stats = { question: turn.question, asked: 0, kept: 0, dropped: { unanswerable: 0, refused: 0, redundant: 0, irrelevant: 0 }, dropRate: 0 };
        byQuestion.set(turn.question, stats);
      }
      stats.asked++;
      if (turn.kept) {
        stats.kept++;
        kept++;
      } else if (turn.reason) stats.dropped[turn.reason]++;
    }
  }
  for (const s of byQuestion.values()) s.dropRate = round((s.asked - s.kept) / s.asked);
  return {
    images,
    captioned: done.length,
    failed: records.length - done.length,
    tokenizer: tokens.name,
    captions: lengthStats(done.map((r) => r.caption ?? ''), tokens),
    initialCaptions: lengthStats(done.map((r) => r.initialCaption ?? ''), tokens),
    meanQuestions: done.length > 0 ? round(questions / done.length) : 0,
    meanKept: done.length > 0 ? round(kept / done.length) : 0,
    questions: [...byQuestion.values()].sort((a, b) => b.asked - a.asked || a.question.localeCompare(b.question)),
    mllmCalls: calls,
    meanCallLatencyMs: calls > 0 ? Math.round(latency / calls) : 0,
    totalTokens,
  };
}

/** Mean words and tokens of texts, and the share over CLIP_CONTEXT tokens. */
export function lengthStats(texts: readonly string[], tokens: TokenCounter): LengthStats {
  if (texts.length === 0) return { meanWords: 0, meanTokens: 0, over77: 0 };
  let words = 0;
  let toks = 0;
  let over = 0;
  for (const text of texts) {
    words += text.match(/\S+/g)?.length ?? 0;
    const n = tokens.count(text);
    toks += n;
    if (n > CLIP_CONTEXT) over++;
  }
  return { meanWords: round(words / texts.length), meanTokens: round(toks / texts.length), over77: round(over / texts.length) };
}

/** The fallback counter when no CLIP vocabulary is at hand: words plus SOT and EOT (the demo encoder's count). */
export const WORD_COUNTER: TokenCounter = {
  name: 'words + 2 (approximate: no CLIP vocabulary given)',
  count: (text) => (text.match(/\S+/g)?.length ?? 0) + 2,
};

/** Human-readable lines of a summary. */
export function formatSummary(s: CaptionSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const lines = [
    `Captioned ${s.captioned} of ${s.images} images (${s.failed} failed).`,
    `Captions: ${s.captions.meanWords} words, ${s.captions.meanTokens} tokens on average; ${pct(s.captions.over77)} over ${CLIP_CONTEXT} tokens (initial captions: ${s.initialCaptions.meanWords} words, ${s.initialCaptions.meanTokens} tokens, ${pct(s.initialCaptions.over77)} over ${CLIP_CONTEXT}).`,
    `Tokens counted with ${s.tokenizer}.`,
    `Per image: ${s.meanQuestions} questions asked, ${s.meanKept} answers kept.`,
    `MLLM calls: ${s.mllmCalls}, ${s.meanCallLatencyMs} ms on average; tokens used: ${s.totalTokens ?? 'not reported by the server'}.`,
  ];
  if (s.questions.length > 0) {
    lines.push('Questions (asked, kept, dropped: unanswerable / redundant / irrelevant / refused):');
    for (const q of s.questions) {
      const d = q.dropped;
      lines.push(`  ${q.asked} asked, ${q.kept} kept, drop rate ${pct(q.dropRate)} (${d.unanswerable} / ${d.redundant} / ${d.irrelevant} / ${d.refused}): ${q.question}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
