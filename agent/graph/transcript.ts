import type { GalleryItem } from '../../src/conversation/conversation-types.js';

// The dialogue's transcript: what was shown, asked and answered, and by whom, in order. The graph appends to
// it as it goes (a checkpointed channel); the case export reads it. It changes nothing the dialogue decides.

/** Who answered: a person in the thread, the witness through a one-time link, the MLLM, or nobody in time. */
export type Answerer = 'operator' | 'witness-link' | 'mllm' | 'timeout';

/** One step of the transcript. */
export type TranscriptEntry =
  /** The description a round ranked with: q at round 0, q̂ after each refinement. */
  | { kind: 'description'; round: number; text: string }
  /** A gallery shown (round 0 before any refinement). */
  | { kind: 'gallery'; round: number; query: string; items: GalleryItem[] }
  /** A question put to the witness. */
  | { kind: 'question'; round: number; id: string; text: string; options: string[] }
  /**
   * A reply: to a question (`to` is its id), under a gallery (`to` is `gallery <round>`), or an MLLM answer
   * agreed over the checked candidates (`to` is `mllm`). Timeouts have empty text.
   */
  | { kind: 'answer'; round: number; to: string; question: string; text: string; by: Answerer };

/** What resumes a question or gallery: the reply text and who sent it (a bare string is the operator's). */
export interface AttributedReply {
  text: string;
  by: Exclude<Answerer, 'mllm' | 'timeout'>;
}

/** Reads a resume value: text with its sender, or no text (the timeout marker or anything else) from nobody. */
export function readResume(value: unknown): { text: string | null; by: Answerer } {
  if (typeof value === 'string') return { text: value, by: 'operator' };
  if (value && typeof value === 'object' && typeof (value as AttributedReply).text === 'string') {
    const by = (value as AttributedReply).by;
    return { text: (value as AttributedReply).text, by: by === 'witness-link' ? 'witness-link' : 'operator' };
  }
  return { text: null, by: 'timeout' };
}
