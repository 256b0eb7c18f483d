// What a witness's reply means to the dialogue, before it is read as an answer: picking a gallery image
// ("#4 is them"), rejecting the gallery, asking for another round, or stopping. Anything else is an answer.

/** A reply classified. `answer` keeps the text for answer parsing (which handles "don't know" and "skip"). */
export type ParsedReply =
  | { kind: 'pick'; rank: number }
  | { kind: 'none' }
  | { kind: 'refine' }
  | { kind: 'stop' }
  | { kind: 'timeout' }
  | { kind: 'answer'; text: string };

const PICK = /^\s*(?:#|no\.?\s*|number\s+|it'?s\s+#?|its\s+#?)?(\d{1,2})\s*(?:is\s+(?:them|him|her|the\s+(?:one|person))|it\s+is|that'?s\s+(?:them|him|her)|!|\.)?\s*$/i;
const PICK_LEADING = /^\s*(?:it'?s|that'?s|the\s+person\s+is|found\s+(?:them|him|her)\s*:?)\s*#(\d{1,2})\b/i;
// A bare "none" answers questions such as "Is the person carrying a bag?"; only "none of these" rejects a gallery.
const NONE = /^\s*(?:none\s+of\s+(?:these|them|those)|not\s+(?:any\s+of\s+)?(?:these|them|here)|no\s+match(?:es)?|nobody|none\s+match)\s*[.!]?\s*$/i;
const REFINE = /^\s*(?:refine|more|keep\s+(?:going|looking)|continue|next(?:\s+round)?|ask\s+(?:me\s+)?more)\s*[.!]?\s*$/i;
const STOP = /^\s*(?:stop|done|quit|exit|cancel|end|finish(?:ed)?|that'?s\s+all|no\s+more)\s*[.!]?\s*$/i;

/** Classifies a reply; `null` (no reply before the timeout) is `timeout`. */
export function parseReply(reply: string | null): ParsedReply {
  if (reply === null) return { kind: 'timeout' };
  const text = reply.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').replace(/\s+/g, ' ').trim();
  const pick = PICK.exec(text) ?? PICK_LEADING.exec(text);
  // A bare number is a pick only when written "#n"; "2" alone may answer "how many bags?".
  if (pick && (/#/.test(text) || /\b(?:is|them|him|her|one|person)\b/i.test(text))) return { kind: 'pick', rank: Number(pick[1]) };
  if (NONE.test(text)) return { kind: 'none' };
  if (REFINE.test(text)) return { kind: 'refine' };
  if (STOP.test(text)) return { kind: 'stop' };
  return { kind: 'answer', text };
}
