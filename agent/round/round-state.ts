import type { AttributeEvidence } from '../../src/attributes/vocabulary.js';
import type { Gallery } from '../../src/gallery/gallery.js';
import type { ImageFilter } from '../../src/gallery/gallery-store.js';
import type { Mllm } from '../../src/mllm/mllm.js';
import type { TextEncoder } from '../../src/models/encoder.js';
import type { RankedQuestion } from '../core/question-selection.js';
import type { RecordedAnswer } from '../core/answers.js';
import type { MtiRoundOptions } from './round-options.js';

// What the round steps work on: their context and the plain-JSON state the dialogue checkpoints.

/** What the steps need: the gallery, the text encoder, the models, and cached per-image evidence. */
export interface RoundContext {
  gallery: Gallery;
  textEncoder: TextEncoder;
  /** The MLLM; undefined → witness-only MTI. */
  mllm?: Mllm;
  /** The Reconstructor's LLM (may be text-only); undefined → template merge. */
  reconstructor?: Mllm;
  /** Per-image attribute evidence cached in the gallery (MTG answers); used to rank questions. */
  cachedEvidence?: (ids: readonly number[]) => Promise<ReadonlyMap<number, AttributeEvidence>>;
  options: Required<MtiRoundOptions>;
}

/** One retrieved candidate, JSON-safe. */
export interface Candidate {
  id: number;
  path: string;
  /** Calibrated score of the current description. */
  score: number;
  cosine: number;
}

/** What the dialogue carries from round to round. */
export interface DialogueMemory {
  /** The witness's original description q. */
  query: string;
  /** The current description (q̂ of the last round, or q). */
  current: string;
  /** Every recorded answer so far, in arrival order. */
  answers: RecordedAnswer[];
  /** Questions put to the witness so far; never asked again. */
  asked: string[];
  /** MLLM-proposed follow-ups not yet asked. */
  followUps: string[];
  /** Images the witness rejected. */
  rejected: number[];
  /** Images the witness named as the person; they win over MLLM anchors. */
  picked: number[];
  /** Where and when (cameras, time window) every search of the dialogue is limited to; absent = everywhere. */
  filter?: ImageFilter;
}

/** Step 1 and 3: the top-K for the current description and the questions worth asking about it. */
export interface PreparedRound {
  topK: Candidate[];
  /** Ranked question pool; the first `mllmPerRound` go to every checked candidate. */
  pool: RankedQuestion[];
  /** Cached per-image evidence of the top-K (MTG answers), by image id; read once per round. */
  cached: Record<number, AttributeEvidence>;
}
