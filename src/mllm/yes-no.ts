/** A yes/no judgement; `unsure` when the model's answer says neither clearly. */
export type YesNo = 'yes' | 'no' | 'unsure';

/**
 * Reads a yes/no answer: the leading word decides ("Yes, the person…", "No."); otherwise a single
 * standalone yes or no, or a plain "does (not) match". Anything else is `unsure`.
 */
export function parseYesNo(answer: string): YesNo {
  const text = answer.toLowerCase().replace(/[‘’]/g, "'").replace(/[*_`"“”]/g, '').trim();
  if (/\b(yes (and|or) no|no (and|or) yes)\b/.test(text)) return 'unsure';
  const first = /^[^a-z]*([a-z]+)/.exec(text)?.[1];
  if (first && ['yes', 'yeah', 'yep', 'y', 'correct', 'true', 'affirmative'].includes(first)) return 'yes';
  if (first && ['no', 'nope', 'n', 'false', 'incorrect', 'negative'].includes(first)) return 'no';
  const yes = /\byes\b/.test(text);
  const no = /\bno\b/.test(text);
  if (yes !== no) return yes ? 'yes' : 'no';
  if (/\b(does not|doesn't|do not|don't) match\b|\bnot a match\b/.test(text)) return 'no';
  if (/\b(it|image|person|this) (does )?match(es)?\b/.test(text)) return 'yes';
  return 'unsure';
}
