import type { BotEvent, GalleryItem, ThreadKey } from '../../src/conversation/conversation-types.js';
import type { DialogueValues } from '../graph/dialogue-graph.js';
import type { Answerer, TranscriptEntry } from '../graph/transcript.js';

// A case: one conversation as the record an incident report needs — the descriptions q and q̂ per round,
// every question and answer with who answered, each gallery shown with rank, score, camera and time, the
// witness's picks, and what was left pending. Plain JSON, built from the dialogue's checkpointed state.

/** The case format written in case.json and the manifest. */
export const CASE_FORMAT = 'ctgi-case/1';

/** A gallery tile in a case: the tile plus its image file inside the zip (absent when it could not be read). */
export type CaseGalleryItem = GalleryItem & { file?: string };

/** A transcript entry in a case (galleries name their image files). */
export type CaseEntry =
  | Exclude<TranscriptEntry, { kind: 'gallery' }>
  | { kind: 'gallery'; round: number; query: string; items: CaseGalleryItem[] }
  /** The question or gallery still waiting for a reply when the case was exported. */
  | { kind: 'pending'; round: number; what: 'question' | 'gallery'; text: string };

/** The whole case (case.json). */
export interface CaseRecord {
  format: typeof CASE_FORMAT;
  thread: ThreadKey;
  /** The platform user id that started the conversation, when known. */
  owner?: string;
  exportedAt: string;
  exportedBy: string;
  status: 'active' | 'done';
  /** The gallery is the synthetic demo world. */
  demo: boolean;
  /** The witness's description q. */
  description: string;
  /** The last refined description q̂ (q before any refinement). */
  refined: string;
  /** Refinement rounds completed. */
  rounds: number;
  /** Image ids the witness named as the person, the latest first. */
  picked: number[];
  /** The last gallery shown: the final candidates. */
  finalCandidates: CaseGalleryItem[];
  transcript: CaseEntry[];
}

/** What a case is built from besides the dialogue state. */
export interface CaseSource {
  thread: ThreadKey;
  owner?: string;
  exportedAt: string;
  exportedBy: string;
  demo: boolean;
  values: Partial<DialogueValues>;
  /** The question or gallery waiting for a reply. */
  pendingEvent?: BotEvent;
}

/** Every image id a case shows (galleries and picks), in first-seen order. */
export function caseImageIds(values: Partial<DialogueValues>): number[] {
  const ids = new Set<number>();
  for (const e of transcriptOf(values)) if (e.kind === 'gallery') for (const i of e.items) ids.add(i.imageId);
  for (const i of values.shown ?? []) ids.add(i.imageId);
  for (const id of values.memory?.picked ?? []) ids.add(id);
  return [...ids];
}

/** Builds the case; `fileOf` names an image's file in the zip (undefined when it could not be read). */
export function caseRecord(source: CaseSource, fileOf: (imageId: number) => string | undefined): CaseRecord {
  const { values } = source;
  const withFiles = (items: readonly GalleryItem[]): CaseGalleryItem[] =>
    items.map((i) => {
      const file = fileOf(i.imageId);
      return file ? { ...i, file } : { ...i };
    });
  const transcript: CaseEntry[] = transcriptOf(values).map((e) => (e.kind === 'gallery' ? { ...e, items: withFiles(e.items) } : e));
  const pending = source.pendingEvent;
  if (pending?.kind === 'question') transcript.push({ kind: 'pending', round: (values.round ?? 0) + 1, what: 'question', text: pending.text });
  else if (pending?.kind === 'gallery') transcript.push({ kind: 'pending', round: pending.round, what: 'gallery', text: 'Pick a tile, "none of these", "refine" or "done".' });
  const description = values.memory?.query ?? '';
  return {
    format: CASE_FORMAT,
    thread: source.thread,
    ...(source.owner !== undefined ? { owner: source.owner } : {}),
    exportedAt: source.exportedAt,
    exportedBy: source.exportedBy,
    status: values.status ?? 'active',
    demo: source.demo,
    description,
    refined: values.memory?.current ?? description,
    rounds: values.round ?? 0,
    picked: [...(values.memory?.picked ?? [])],
    finalCandidates: withFiles(values.shown ?? []),
    transcript,
  };
}

/**
 * The dialogue's transcript; a conversation checkpointed before the transcript existed gets one rebuilt
 * from what its state kept (the first gallery, the answers in order, the last gallery).
 */
function transcriptOf(values: Partial<DialogueValues>): TranscriptEntry[] {
  if (values.transcript && values.transcript.length > 0) return values.transcript;
  const memory = values.memory;
  if (!memory) return [];
  const entries: TranscriptEntry[] = [{ kind: 'description', round: 0, text: memory.query }];
  for (const e of values.outbox ?? []) if (e.kind === 'gallery') entries.push({ kind: 'gallery', round: e.round, query: e.query, items: e.items });
  for (const a of memory.answers) {
    const by: Answerer = a.source === 'mllm' ? 'mllm' : 'operator';
    entries.push({ kind: 'answer', round: values.round ?? 0, to: by === 'mllm' ? 'mllm' : 'earlier question', question: a.question, text: a.text, by });
  }
  if ((values.round ?? 0) > 0) {
    entries.push({ kind: 'description', round: values.round!, text: memory.current });
    entries.push({ kind: 'gallery', round: values.round!, query: memory.current, items: values.shown ?? [] });
  }
  return entries;
}
