import type { ReplyTarget } from '../../src/conversation/conversation-types.js';

// A button's custom id carries everything a click needs, so the bot keeps no state: the question or gallery
// the button answers (its reply target), the button's position and its reply text,
// `ctgi:<q|g>:<id>:<index>:<reply>`. A reply too long for Discord's 100 characters is left out and looked up
// by position in the pending event. Custom ids come back from Discord's servers, but a client can forge
// them: every field is checked before use.

export const CUSTOM_ID_PREFIX = 'ctgi:';
const CUSTOM_ID_MAX = 100;
const CUSTOM_ID = /^ctgi:([qg]:[^:\s]{1,40}):(\d{1,2}):([\s\S]*)$/;

/** What a ctgi button says it answers and with what. */
export interface ParsedCustomId {
  target: ReplyTarget;
  /** Position among the event's buttons. */
  index: number;
  /** The reply text; empty when it was too long to carry. */
  reply: string;
}

/** The custom id of button `index` of the event `target`, with `reply`. */
export function customIdFor(target: ReplyTarget, index: number, reply: string): string {
  const full = `${CUSTOM_ID_PREFIX}${target}:${index}:${reply}`;
  return full.length <= CUSTOM_ID_MAX ? full : `${CUSTOM_ID_PREFIX}${target}:${index}:`;
}

/** The fields of a well-formed ctgi custom id, or undefined for anything else (other apps', old or forged ids). */
export function parseCustomId(customId: string): ParsedCustomId | undefined {
  if (customId.length > CUSTOM_ID_MAX) return undefined;
  const m = CUSTOM_ID.exec(customId);
  return m ? { target: m[1], index: Number(m[2]), reply: m[3] } : undefined;
}
