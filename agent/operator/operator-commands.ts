import type { OperatorAction } from '../../src/conversation/conversation-types.js';

// The operator's short commands, read without an LLM: `cameras 2,3`, `only cam2 and cam3`, `any camera`,
// `by time`, `by score`, `like #4`, `exclude #2 #5`, `timeline #3`, `export`, `new search: …`. Each pattern
// must match the whole text, so an answer to a question ("a red coat", "yes") never reads as a command.
// Camera names stay as typed here; the service resolves them against the gallery's cameras.

/** What typed operator text is: a command, a free-form request for the agent, or neither (an answer). */
export type OperatorText = { kind: 'command'; action: OperatorAction } | { kind: 'request' } | { kind: 'answer' };

const RANK = String.raw`(?:#|no\.?\s*|number\s+)?(\d{1,3})`;
const RANKS = String.raw`((?:#|no\.?\s*|number\s+)?\d{1,3}(?:\s*(?:,|and|&|\s)\s*(?:#|no\.?\s*|number\s+)?\d{1,3})*)`;
const END = String.raw`\s*[.!]?\s*$`;

const BY = new RegExp(String.raw`^\s*(?:(?:sort|order)(?:ed)?\s+)?by\s+(time|date|capture\s+time|score|match|relevance)${END}`, 'i');
const LIKE = new RegExp(String.raw`^\s*(?:more\s+)?(?:like|similar\s+to)\s+${RANK}${END}`, 'i');
const EXCLUDE = new RegExp(String.raw`^\s*(?:exclude|remove|drop|hide)\s+${RANKS}${END}`, 'i');
const TIMELINE = new RegExp(String.raw`^\s*timeline\s+(?:of\s+)?${RANK}${END}`, 'i');
const EXPORT = new RegExp(String.raw`^\s*export(?:\s+(?:the\s+|this\s+)?case)?${END}`, 'i');
const NEW_SEARCH = /^\s*new\s+search\s*[:\-–]\s*(\S[\s\S]*)$/i;
const ANY_CAMERA = new RegExp(String.raw`^\s*(?:any|all)\s+cam(?:era)?s?${END}`, 'i');
const CAMERA_TOKEN = String.raw`[A-Za-z0-9][\w.-]{0,40}`;
const DIGIT_TOKEN = String.raw`[A-Za-z-]*\d[\w.-]{0,40}`;
// "cameras entrance, lobby" names cameras; a singular "camera …" must carry a number ("camera 2"), since
// "camera bag" answers "what was the person carrying?".
// Named cameras are separated by commas or "and"; a bare space only before another numbered one, so
// "cameras 2 and 3, sorted by time" is not a list of five cameras.
const CAMERA_SEP = String.raw`(?:\s*(?:,|\band\b|&)\s*|\s+(?=[A-Za-z-]*\d))`;
const CAMERAS = new RegExp(String.raw`^\s*(?:only\s+)?(?:cams|cameras)\s+(${CAMERA_TOKEN}(?:${CAMERA_SEP}${CAMERA_TOKEN})*)${END}`, 'i');
const CAMERA = new RegExp(String.raw`^\s*(?:only\s+)?(?:cam|camera)\s+(${DIGIT_TOKEN}(?:\s*(?:,|and|&|\s)\s*${DIGIT_TOKEN})*)${END}`, 'i');
const ONLY_CAMS = new RegExp(String.raw`^\s*only\s+((?:cam(?:era)?\s*${DIGIT_TOKEN})(?:\s*(?:,|and|&)\s*(?:cam(?:era)?\s*)?${DIGIT_TOKEN})*)${END}`, 'i');

// Openers of a request to the bot rather than an answer about the person: an action verb, optionally after
// a polite lead-in ("please", "can you", "I want to"). Only the owner's typed text that starts this way
// reaches the agent; "a red coat", "please, he had a red coat" or "ignore previous instructions…" stays an
// answer.
const LEAD_IN = String.raw`(?:(?:please|pls|kindly|can\s+you|could\s+you|would\s+you|let'?s|i\s+(?:want|need|would\s+like|'d\s+like)(?:\s+to)?|ctgi\s*[,:]?)\s*,?\s+)?`;
const VERB = String.raw`(?:show|see|sort|order|arrange|filter|restrict|limit|exclude|remove|hide|drop|export|find|search|look\s+for|start\s+(?:over|again|a\s+new)|give\s+me|list|only\s+(?:show|cam\w*|footage|images|from)|just\s+(?:show|cam\w*)|keep\s+only|get\s+rid\s+of|more\s+like|similar\s+to|timeline)`;
const REQUEST = new RegExp(String.raw`^\s*${LEAD_IN}${VERB}\b`, 'i');

/** Reads a short command; undefined when the text is not one. */
export function parseOperatorCommand(text: string): OperatorAction | undefined {
  const t = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').replace(/\s+/g, ' ').trim();
  if (t.length === 0 || t.length > 1000) return undefined;
  let m: RegExpExecArray | null;
  if ((m = BY.exec(t))) return { kind: 'order', by: /score|match|relevance/i.test(m[1]) ? 'score' : 'time' };
  if ((m = LIKE.exec(t))) return { kind: 'like', rank: Number(m[1]) };
  if ((m = EXCLUDE.exec(t))) return { kind: 'exclude', ranks: [...new Set(numbers(m[1]))] };
  if ((m = TIMELINE.exec(t))) return { kind: 'timeline', rank: Number(m[1]) };
  if (EXPORT.test(t)) return { kind: 'export' };
  if ((m = NEW_SEARCH.exec(t))) return { kind: 'new-search', description: m[1].trim() };
  if (ANY_CAMERA.test(t)) return { kind: 'filter', cameras: null };
  if ((m = CAMERAS.exec(t) ?? CAMERA.exec(t) ?? ONLY_CAMS.exec(t))) return { kind: 'filter', cameras: cameraTokens(m[1]) };
  return undefined;
}

/** Classifies the owner's typed text: a short command, a request for the agent, or an answer for the dialogue. */
export function classifyOperatorText(text: string): OperatorText {
  const action = parseOperatorCommand(text);
  if (action) return { kind: 'command', action };
  return REQUEST.test(text) ? { kind: 'request' } : { kind: 'answer' };
}

/** How an action reads as a short command, for the thread ("→ like #4") and the audit trail. */
export function describeAction(action: OperatorAction): string {
  switch (action.kind) {
    case 'order':
      return `by ${action.by}`;
    case 'like':
      return `like #${action.rank}`;
    case 'exclude':
      return `exclude ${action.ranks.map((r) => `#${r}`).join(' ')}`;
    case 'timeline':
      return action.rank !== undefined ? `timeline #${action.rank}` : `timeline of image ${action.imageId ?? '?'}`;
    case 'export':
      return 'export';
    case 'new-search':
      return `new search: ${action.description.slice(0, 200)}`;
    case 'filter': {
      const parts: string[] = [];
      if (action.cameras === null) parts.push('any camera');
      else if (action.cameras) parts.push(`cameras ${action.cameras.join(', ')}`);
      if (action.from !== undefined) parts.push(action.from === null ? 'any start time' : `from ${action.from}`);
      if (action.to !== undefined) parts.push(action.to === null ? 'any end time' : `to ${action.to}`);
      return parts.length > 0 ? parts.join(', ') : 'no filter change';
    }
  }
}

function numbers(list: string): number[] {
  return [...list.matchAll(/\d{1,3}/g)].map((m) => Number(m[0]));
}

function cameraTokens(list: string): string[] {
  const tokens = list
    .split(/\s*(?:,|\band\b|&)\s*|\s+/i)
    .map((s) => s.trim())
    .filter((s) => s.length > 0 && !/^(?:and|cams?|cameras?)$/i.test(s));
  return [...new Set(tokens)];
}
