import { DemoRequestError } from './demo-mllm-request.js';

// The demo MLLM's answer to a chat request that offers tools (OpenAI function calling): the operator
// phrases ctgi supports become `tool_calls`, deterministically, so the operator agent runs end to end with
// no weights. Only offered tools are called; arguments are passed as read (a rank of 14 stays 14), so the
// agent's own validation is what refuses bad input. After the tools have run it answers in one sentence.

/** One tool call as the chat-completions API returns it. */
export interface DemoToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** The assistant message to send back. */
export interface DemoToolAnswer {
  content: string | null;
  toolCalls: DemoToolCall[];
}

interface OfferedTool {
  name: string;
  parameters: unknown;
}

const LABEL = 'Operator request:';
const ISO = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/gi;

/** Whether a parsed request body offers tools (and so gets a tool-calling answer). */
export function offersTools(body: unknown): boolean {
  const tools = (body as { tools?: unknown } | null)?.tools;
  return Array.isArray(tools) && tools.length > 0;
}

/** Answers a tool-offering request. @throws DemoRequestError (400) for a malformed one. */
export function answerToolRequest(body: unknown): DemoToolAnswer {
  const b = body as { tools: unknown[]; messages?: unknown };
  if (!Array.isArray(b.messages) || b.messages.length === 0) throw new DemoRequestError(400, '"messages" must be a non-empty array of chat messages.');
  const tools = b.tools.map((t, i) => {
    const fn = (t as { type?: unknown; function?: { name?: unknown; parameters?: unknown } } | null)?.function;
    if (typeof fn?.name !== 'string') throw new DemoRequestError(400, `tools[${i}] must be {"type": "function", "function": {"name": …, "parameters": …}}.`);
    return { name: fn.name, parameters: fn.parameters } satisfies OfferedTool;
  });
  const messages = b.messages as Array<{ role?: unknown; content?: unknown }>;
  const last = messages[messages.length - 1];
  if (last?.role === 'tool') return { content: afterTools(messages), toolCalls: [] };
  const user = [...messages].reverse().find((m) => m?.role === 'user');
  if (!user) throw new DemoRequestError(400, 'The request has no user message; send the prompt as a message with role "user".');
  const request = requestText(textOf(user.content));
  const calls = callsFor(request, tools);
  if (calls.length === 0) return { content: 'None of my tools fits that request. Short commands: cameras 2,3 · by time · like #4 · exclude #2 · timeline #3 · export · new search: …', toolCalls: [] };
  return { content: null, toolCalls: calls.map((c, i) => ({ id: `call_demo_${i + 1}`, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.args) } })) };
}

/** The operator's words: the quoted text after "Operator request:", else the whole message. */
function requestText(text: string): string {
  const at = text.indexOf(LABEL);
  if (at < 0) return text;
  const rest = text.slice(at + LABEL.length).trim();
  try {
    const value: unknown = JSON.parse(rest);
    if (typeof value === 'string') return value;
  } catch {
    // not a JSON literal: use it as it is
  }
  return rest;
}

/** The tool calls a request asks for, in a fixed order, among the offered tools. */
function callsFor(request: string, tools: OfferedTool[]): Array<{ name: string; args: Record<string, unknown> }> {
  const offered = new Map(tools.map((t) => [t.name, t]));
  const text = request.replace(/\s+/g, ' ').trim();
  const calls: Array<{ name: string; args: Record<string, unknown> }> = [];
  const add = (name: string, args: Record<string, unknown>) => {
    if (offered.has(name)) calls.push({ name, args });
  };

  const fresh = /\b(?:new search|start (?:over|again)|search again)\b\s*(?:for|with|:|-)?\s*(.+)$/i.exec(text);
  if (fresh) {
    add('new_search', { description: fresh[1].replace(/^(?:looking\s+for|for)\s+/i, '').trim() });
    return calls;
  }
  const filter: Record<string, unknown> = {};
  if (/\b(?:any|all)\s+cameras?\b/i.test(text)) filter.cameras = null;
  else {
    // Camera tokens carry a digit ("2", "cam3"), so "cameras 2 and 3, sorted by time" stops at "3".
    const cams = /\bcam(?:era)?s?\s*([a-z-]*\d[\w-]*(?:\s*(?:,|and|&|or)\s*(?:cam(?:era)?\s*)?[a-z-]*\d[\w-]*)*)/i.exec(text);
    if (cams) filter.cameras = cameraNames(cams[1], enumOf(offered.get('filter_footage')?.parameters, 'cameras'));
  }
  const times = [...text.matchAll(ISO)].map((m) => m[0]);
  if (/\bbetween\b/i.test(text) && times.length >= 2) Object.assign(filter, { from: times[0], to: times[1] });
  else {
    const from = new RegExp(String.raw`\b(?:after|since|from)\s+(${ISO.source})`, 'i').exec(text);
    const to = new RegExp(String.raw`\b(?:before|until|till|to)\s+(${ISO.source})`, 'i').exec(text);
    if (from) filter.from = from[1];
    if (to) filter.to = to[1];
  }
  if (Object.keys(filter).length > 0) add('filter_footage', filter);

  if (/\b(?:by|sort\w*|order\w*|arrange\w*)\b.{0,30}?\b(?:time|date|when|chronolog\w*|earliest|latest)\b/i.test(text)) add('order_gallery', { by: 'time' });
  else if (/\b(?:by\s+(?:score|match|relevance)|best\s+match(?:es)?\s+first)\b/i.test(text)) add('order_gallery', { by: 'score' });

  const like = /\b(?:more\s+)?(?:like|similar\s+to|resembling)\s+(?:#|number\s+|no\.?\s*|tile\s+)?(\d+)/i.exec(text);
  if (like) add('more_like', { rank: Number(like[1]) });
  const exclude = /\b(?:exclude|remove|drop|hide|get\s+rid\s+of|leave\s+out)\s+((?:(?:#|number\s+|tiles?\s+)?\d+(?:\s*(?:,|and|&)\s*)?)+)/i.exec(text);
  if (exclude) add('exclude_images', { ranks: [...exclude[1].matchAll(/\d+/g)].map((m) => Number(m[0])) });
  const timeline = /\btimeline\s+(?:of\s+)?(?:#|number\s+|tile\s+)?(\d+)|\bwhere\s+else\s+(?:was|is|did)\s+#?(\d+)/i.exec(text);
  if (timeline) add('show_timeline', { rank: Number(timeline[1] ?? timeline[2]) });
  if (/\bexport\b|\bincident\s+report\b|\bcase\s+file\b/i.test(text)) add('export_case', {});
  return calls;
}

/** Camera tokens as the tool's camera names: exact (any case), else the name with the same number. */
function cameraNames(list: string, names: string[]): string[] {
  const tokens = list.split(/\s*(?:,|\band\b|&|\bor\b)\s*|\s+/i).filter((t) => t && !/^(?:and|or|cams?|cameras?)$/i.test(t));
  return tokens.map((t) => {
    const exact = names.find((n) => n.toLowerCase() === t.toLowerCase());
    if (exact) return exact;
    const digits = /\d+/.exec(t)?.[0];
    const byNumber = digits === undefined ? undefined : names.find((n) => /\d+/.exec(n)?.[0] !== undefined && Number(/\d+/.exec(n)![0]) === Number(digits));
    return byNumber ?? t;
  });
}

/** The first string enum under `property` of a JSON schema (through anyOf / items), or []. */
function enumOf(schema: unknown, property: string): string[] {
  const root = (schema as { properties?: Record<string, unknown> } | null)?.properties?.[property];
  const seen: unknown[] = [root];
  while (seen.length > 0) {
    const s = seen.shift() as Record<string, unknown> | undefined;
    if (!s || typeof s !== 'object') continue;
    if (Array.isArray(s.enum)) return s.enum.filter((v): v is string => typeof v === 'string');
    for (const key of ['anyOf', 'oneOf', 'allOf']) if (Array.isArray(s[key])) seen.push(...(s[key] as unknown[]));
    if (s.items) seen.push(s.items);
  }
  return [];
}

/** The closing sentence after tool results: a refusal is repeated, anything else is done. */
function afterTools(messages: Array<{ role?: unknown; content?: unknown }>): string {
  const results: string[] = [];
  for (let i = messages.length - 1; i >= 0 && messages[i]?.role === 'tool'; i--) results.unshift(textOf(messages[i].content));
  const refused = results.filter((r) => /^Input refused\b/.test(r));
  // The refusal's last sentence is addressed to the model; the operator reads the rest.
  return refused.length > 0 ? refused.map((r) => r.replace(/\s*Call it again\b.*$/s, '')).join(' ') : 'Done.';
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (typeof (p as { text?: unknown })?.text === 'string' ? (p as { text: string }).text : '')).join('\n');
  return '';
}
