import { MAX_PROPOSED_QUESTIONS, PROMPT_LABELS, PROMPT_MARKERS, type QaPair } from '../mllm/prompts.js';

// Reading an OpenAI chat-completions request for the demo MLLM: validation (with the message a client
// sees in a 400), and what kind of task the prompt asks for. Kinds are recognised by the fixed sentences
// of src/mllm/prompts.ts, with a tolerant fallback for hand-written prompts.

/** A request the server refuses, with its HTTP status and an OpenAI-style error message. */
export class DemoRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The parts of a chat request the demo MLLM uses. */
export interface ChatRequest {
  model: string | undefined;
  /** Text of the last user message. */
  text: string;
  /** Images of all user messages, in order, as encoded bytes. */
  images: Buffer[];
  /** Whether the request asks for JSON by `response_format` (json_schema or json_object). */
  wantsJson: boolean;
}

export type DemoTask =
  | { kind: 'caption' }
  | { kind: 'anchor'; description: string }
  | { kind: 'anchorCheck'; description: string; questions: string[] }
  | { kind: 'vqa'; question: string }
  | { kind: 'followUp'; query: string; max: number }
  | { kind: 'merge'; base: string; answers: QaPair[] };

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

/** Validates a parsed request body. @throws DemoRequestError (400) saying what is wrong. */
export function readChatRequest(body: unknown): ChatRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('The request body must be a JSON object with "model" and "messages".');
  const b = body as Record<string, unknown>;
  if (b.model !== undefined && typeof b.model !== 'string') throw bad('"model" must be a string.');
  if (b.stream === true) throw bad('Streaming is not supported by the demo MLLM; send "stream": false.');
  if (!Array.isArray(b.messages) || b.messages.length === 0) throw bad('"messages" must be a non-empty array of chat messages.');
  let text: string | undefined;
  const images: Buffer[] = [];
  b.messages.forEach((m: unknown, i) => {
    if (typeof m !== 'object' || m === null) throw bad(`messages[${i}] must be an object with "role" and "content".`);
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (typeof role !== 'string' || !ROLES.has(role)) throw bad(`messages[${i}].role must be one of ${[...ROLES].join(', ')}.`);
    const parts = readContent(content, i);
    if (role === 'user') {
      text = parts.text;
      images.push(...parts.images);
    }
  });
  if (text === undefined) throw bad('The request has no user message; send the prompt as a message with role "user".');
  const format = (b.response_format as { type?: unknown } | null | undefined)?.type;
  return { model: b.model as string | undefined, text, images, wantsJson: format === 'json_schema' || format === 'json_object' };
}

function readContent(content: unknown, i: number): { text: string; images: Buffer[] } {
  if (typeof content === 'string') return { text: content, images: [] };
  if (content === null || content === undefined) return { text: '', images: [] };
  if (!Array.isArray(content)) throw bad(`messages[${i}].content must be a string or an array of content parts.`);
  const texts: string[] = [];
  const images: Buffer[] = [];
  content.forEach((part: unknown, j) => {
    const p = part as { type?: unknown; text?: unknown; image_url?: unknown } | null;
    if (p?.type === 'text' && typeof p.text === 'string') texts.push(p.text);
    else if (p?.type === 'image_url') images.push(readDataUrl(p.image_url, `messages[${i}].content[${j}]`));
    else throw bad(`messages[${i}].content[${j}] must be {"type": "text", "text": …} or {"type": "image_url", "image_url": {"url": …}}.`);
  });
  return { text: texts.join('\n'), images };
}

function readDataUrl(imageUrl: unknown, where: string): Buffer {
  const url = typeof imageUrl === 'string' ? imageUrl : (imageUrl as { url?: unknown } | null)?.url;
  if (typeof url !== 'string') throw bad(`${where}.image_url.url must be a string.`);
  const m = /^data:image\/[a-z0-9.+-]+;base64,([A-Za-z0-9+/=\s]*)$/i.exec(url);
  if (!m) throw bad(`${where}: the demo MLLM only accepts images as base64 data URLs (data:image/png;base64,…); it fetches nothing.`);
  const bytes = Buffer.from(m[1], 'base64');
  if (bytes.length === 0) throw bad(`${where}: the image data URL is empty.`);
  return bytes;
}

function bad(message: string): DemoRequestError {
  return new DemoRequestError(400, message);
}

/** What the prompt asks for, by the product's template sentences first and loose wording second. */
export function recogniseTask(text: string, hasImage: boolean): DemoTask {
  if (text.includes(PROMPT_MARKERS.anchorCheck)) {
    return { kind: 'anchorCheck', description: quotedAfter(text, PROMPT_LABELS.description) ?? '', questions: numberedQuoted(text) };
  }
  if (text.includes(PROMPT_MARKERS.anchor)) return { kind: 'anchor', description: quotedAfter(text, PROMPT_MARKERS.anchor) ?? '' };
  if (text.includes(PROMPT_MARKERS.vqa)) return { kind: 'vqa', question: quotedAfter(text, PROMPT_MARKERS.vqa) ?? '' };
  if (text.includes(PROMPT_MARKERS.followUp)) return { kind: 'followUp', query: quotedAfter(text, PROMPT_LABELS.originalQuery) ?? '', max: maxQuestions(text) };
  if (text.includes(PROMPT_MARKERS.aggregation)) return { kind: 'merge', base: quotedAfter(text, PROMPT_LABELS.originalQuery) ?? '', answers: qaPairs(text) };
  if (text.includes(PROMPT_MARKERS.reconstruction)) return { kind: 'merge', base: quotedAfter(text, PROMPT_LABELS.initialDescription) ?? '', answers: qaPairs(text) };
  if (text.includes(PROMPT_MARKERS.caption)) return { kind: 'caption' };

  // Hand-written prompts.
  const lower = text.toLowerCase();
  if (hasImage && (/\bmatch(es)?\b/.test(lower) || /\byes or no\b/.test(lower)) && !/\bquestions\b/.test(lower)) {
    return { kind: 'anchor', description: anyQuoted(text) ?? text.replace(/^.*?description[^a-z]*/is, '') };
  }
  if (/\b(suggest|propose|generate|list)\b.*\bquestions?\b/s.test(lower)) return { kind: 'followUp', query: anyQuoted(text) ?? text, max: maxQuestions(text) };
  if (!hasImage && /\b(rewrite|refine|merge|combine|rephrase|aggregate|summari[sz]e)\b/.test(lower)) {
    const answers = qaPairs(text);
    return { kind: 'merge', base: anyQuoted(text) ?? (answers.length > 0 ? '' : text), answers };
  }
  if (hasImage && (/\bdescribe\b/.test(lower) || !text.trim())) return { kind: 'caption' };
  if (hasImage) return { kind: 'vqa', question: anyQuoted(text) ?? text };
  return { kind: 'merge', base: text, answers: [] };
}

function maxQuestions(text: string): number {
  const n = Number(/\bat most (\d+)/i.exec(text)?.[1] ?? 5);
  return Math.max(1, Math.min(MAX_PROPOSED_QUESTIONS, n));
}

/** The JSON string literal right after `label`, or the rest of that line when it is not quoted. */
function quotedAfter(text: string, label: string): string | undefined {
  const at = text.indexOf(label);
  if (at < 0) return undefined;
  const rest = text.slice(at + label.length).trimStart();
  return jsonLiteralAt(rest, 0)?.value ?? anyQuoted(rest.split('\n')[0]) ?? rest.split('\n')[0].replace(/\?\s*Answer.*$/i, '').trim();
}

/** Reads a JSON string literal starting at `start`. */
function jsonLiteralAt(text: string, start: number): { value: string; end: number } | undefined {
  if (text[start] !== '"') return undefined;
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') {
      try {
        return { value: JSON.parse(text.slice(start, i + 1)) as string, end: i + 1 };
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The first quoted span in straight, curly or single quotes. */
function anyQuoted(text: string): string | undefined {
  const literal = text.indexOf('"') >= 0 ? jsonLiteralAt(text, text.indexOf('"')) : undefined;
  if (literal) return literal.value;
  return /[“‘'](.+?)[”’'](?=[\s?.,!:;]|$)/s.exec(text)?.[1];
}

/** The numbered, quoted lines of a list (`1. "…"`), in order. */
function numberedQuoted(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*\d+[.)]\s*/.exec(line);
    const value = m ? jsonLiteralAt(line, m[0].length)?.value : undefined;
    if (value !== undefined) out.push(value);
  }
  return out;
}

/** The numbered Q&A lines of an aggregation or reconstruction prompt (quoted, or loose "Q: … A: …"). */
function qaPairs(text: string): QaPair[] {
  const pairs: QaPair[] = [];
  for (const line of text.split('\n')) {
    const q = line.indexOf(PROMPT_LABELS.question);
    const a = line.indexOf(PROMPT_LABELS.answer, q + 1);
    if (q >= 0 && a > q) {
      const question = jsonLiteralAt(line.slice(q + PROMPT_LABELS.question.length).trimStart(), 0)?.value;
      const answer = jsonLiteralAt(line.slice(a + PROMPT_LABELS.answer.length).trimStart(), 0)?.value;
      if (question !== undefined && answer !== undefined) {
        pairs.push({ question, answer });
        continue;
      }
    }
    const loose = /^\s*(?:\d+[.)]\s*)?Q(?:uestion)?\s*[:.-]\s*(.+?)\s+A(?:nswer)?\s*[:.-]\s*(.+)$/i.exec(line);
    if (loose) pairs.push({ question: loose[1], answer: loose[2] });
  }
  return pairs;
}
