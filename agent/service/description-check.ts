import type { TextEncoder } from '../../src/models/encoder.js';

// A witness's description before it starts a search: refused when there is nothing to search for,
// otherwise passed on with notices when the text model will only read part of it or may not understand it.

/** Longest description kept; more is cut before tokenising (the text model reads far less anyway). */
export const MAX_DESCRIPTION_CHARS = 5000;

export type DescriptionCheck = { ok: true; text: string; notices: string[] } | { ok: false; reason: string };

/** Checks a description; never throws. */
export function describeDescription(raw: string, encoder: Pick<TextEncoder, 'countTokens' | 'contextLength'>): DescriptionCheck {
  const text = raw.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, ' ').replace(/\s+/g, ' ').trim();
  if (!text) return { ok: false, reason: 'The description is empty. Describe the person you are looking for: clothing and colours, bag, hair, anything they carried.' };
  const letters = [...text].filter((c) => /\p{L}/u.test(c));
  if (letters.length === 0) return { ok: false, reason: 'That description has no words in it. Describe the person: for example "a man in a red jacket with a black backpack".' };
  const notices: string[] = [];
  const kept = text.length > MAX_DESCRIPTION_CHARS ? text.slice(0, MAX_DESCRIPTION_CHARS) : text;
  const tokens = encoder.countTokens(kept);
  if (tokens > encoder.contextLength) {
    const share = Math.max(1, Math.round((100 * encoder.contextLength) / tokens));
    notices.push(
      `Your description is long: the text model reads only its first ${encoder.contextLength - 2} tokens (about ${share}% of it), so put the most distinctive details first.` +
        (encoder.contextLength < 248 ? ' A stretched 248-token model (`ctgi model stretch`) reads more.' : ''),
    );
  }
  const latin = letters.filter((c) => /[A-Za-z\u00c0-\u024f]/.test(c)).length;
  if (latin / letters.length < 0.5) notices.push('The search model understands English descriptions best; results for other languages may be poor. An English description will work better.');
  return { ok: true, text: kept, notices };
}
