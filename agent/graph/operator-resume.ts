import { Command } from '@langchain/langgraph';
import type { ImageFilter } from '../../src/gallery/gallery-store.js';
import type { DialogueMemory } from '../round/round-state.js';

// Operator actions reach a dialogue that is waiting on a question or a gallery as the interrupt's resume
// value: a marked string, so that it survives the witness tool (which passes only text) and cannot be typed
// (the service strips control characters from every reply).

const MARK = '\u0000ctgi-action:';

/** A change of where/when the dialogue searches, with the sentence that states it and the picks still inside it. */
export interface FilterResume {
  kind: 'filter';
  filter: ImageFilter | null;
  statement: string;
  picked: number[];
}

/** The resume value that carries `action`. */
export function encodeResume(action: FilterResume): string {
  return `${MARK}${JSON.stringify(action)}`;
}

/** The action a resume value carries, or undefined for a reply. */
export function decodeResume(reply: unknown): FilterResume | undefined {
  if (typeof reply !== 'string' || !reply.startsWith(MARK)) return undefined;
  try {
    const action = JSON.parse(reply.slice(MARK.length)) as FilterResume;
    return action?.kind === 'filter' ? action : undefined;
  } catch {
    return undefined;
  }
}

/** The dialogue after a filter change: the next round searches again within it and posts its gallery at once. */
export function filterChanged(s: { memory: DialogueMemory; round: number }, action: FilterResume): Command {
  const { filter: _old, ...memory } = s.memory;
  const next: DialogueMemory = { ...memory, ...(action.filter ? { filter: action.filter } : {}), picked: action.picked };
  return new Command({ update: { memory: next, pending: [], round: s.round + 1, announce: action.statement, reminded: false }, goto: 'retrieve' });
}
