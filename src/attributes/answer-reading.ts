import { parseYesNo } from '../mllm/yes-no.js';
import { parseDescription } from './description-parser.js';
import { HELD_ANY } from './parser-lexicon.js';
import { decisive } from './phrasing.js';
import { questionSlots } from './question-slots.js';
import { slot, type AttributeEvidence, type SlotKey } from './vocabulary.js';

// Reading answers — a witness's reply, a button's label, the MLLM's answer to a visual question — into
// attribute values. MTI, MTG, the witness simulators and the demo MLLM all read answers here, so they
// cannot disagree about what "not visible", "nope" or "a black one" means.

/** Probability at which evidence settles a slot (a hedged "maybe red" stays open). */
export const SETTLED_P = 0.7;

/** Whole replies that mean "no answer". */
const UNKNOWN_REPLY = /^(?:|n\/?a|pass|maybe|unknown|dunno|idk|no comment|skip(?:ped)?|\?+)$/;
/**
 * Phrases that make any reply an unknown, even around other words ("I have no idea, maybe red"). "Not
 * visible" is what the MLLM is told to answer when the image cannot tell; its "not" must not read as "no".
 */
const UNKNOWN_PHRASE =
  /(?:^| )(?:not sure|unsure|no idea|unknown|unclear|(?:do not|don'?t|dont) (?:know|remember|recall)|(?:can ?not|can'?t|cant) (?:tell|say|see|remember|recall|be seen|be determined)|skip|no clue|not certain|not visible|not shown|cannot determine|hard to (?:say|tell))(?: |$)/;

/** Words a speaker may use for a value besides the value itself. */
const SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  man: ['male', 'guy', 'boy', 'gentleman'],
  woman: ['female', 'lady', 'girl'],
  grey: ['gray', 'silver'],
  blonde: ['blond', 'fair'],
  't-shirt': ['t shirt', 'tshirt', 'tee', 'polo'],
  shirt: ['blouse', 'button up'],
  sweater: ['jumper', 'pullover', 'cardigan', 'sweatshirt'],
  vest: ['gilet', 'waistcoat'],
  hoodie: ['hooded sweatshirt', 'hoody'],
  trousers: ['pants', 'jeans', 'slacks'],
  dress: ['gown'],
  backpack: ['rucksack'],
  handbag: ['purse'],
  'shoulder bag': ['shoulderbag', 'messenger bag', 'satchel', 'crossbody'],
  suitcase: ['luggage', 'trolley', 'rolling bag'],
  cap: ['baseball cap'],
  beanie: ['woolly hat', 'knit hat', 'bobble hat'],
  'brimmed hat': ['sun hat', 'fedora', 'bucket hat'],
  helmet: ['hard hat'],
  sneakers: ['trainers', 'runners'],
  boots: ['boot'],
  sandals: ['flip flops', 'slippers'],
  heels: ['high heels'],
  stripes: ['striped', 'stripy'],
  plaid: ['checked', 'checkered', 'chequered', 'tartan'],
  print: ['printed', 'patterned', 'floral'],
  plain: ['solid'],
  logo: ['graphic'],
  child: ['kid', 'teenager', 'teen', 'young'],
  elderly: ['old', 'senior', 'older'],
  adult: ['middle aged', 'grown up'],
  phone: ['mobile', 'smartphone'],
  cup: ['mug', 'coffee'],
  box: ['package', 'parcel'],
};
/** Replies that mean "none"/"no" for presence slots. */
const NEGATIVE = ['no', 'none', 'nothing', 'nope', 'not'];
const POSITIVE = ['yes', 'yeah', 'yep'];

/** Lower case, punctuation (except apostrophes and hyphens inside words) to spaces, whitespace collapsed. */
export function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .replace(/[^\p{L}\p{N}'/-]+/gu, ' ')
    .replace(/-/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** True for replies that say the witness or the model cannot tell ("not sure", "not visible", silence). */
export function isUnknownAnswer(reply: string | null): boolean {
  if (reply === null) return true;
  const norm = normalise(reply);
  return UNKNOWN_REPLY.test(norm) || UNKNOWN_PHRASE.test(norm);
}

/**
 * The slot value a normalised reply names, or undefined when it names none or several. A value named only
 * inside a longer value's phrase does not count ("t shirt" names the T-shirt, not a shirt).
 */
export function matchValue(key: SlotKey, norm: string): string | undefined {
  const s = slot(key);
  const padded = ` ${norm} `;
  const hits = new Map<string, string[]>();
  for (const value of s.values) {
    const words = [value, ...(SYNONYMS[value] ?? [])];
    if (value === 'none' || value === 'no') words.push(...NEGATIVE);
    if (value === 'yes') words.push(...POSITIVE);
    const found = words.map(normalise).filter((w) => padded.includes(` ${w} `));
    if (found.length > 0) hits.set(value, found);
  }
  for (const [value, words] of [...hits]) {
    const inside = words.every((w) => [...hits].some(([other, ow]) => other !== value && ow.some((o) => o !== w && ` ${o} `.includes(` ${w} `))));
    if (inside) hits.delete(value);
  }
  // "no, a backpack" is contradictory; "yes, a backpack" names the bag; "yes" alone does not say which.
  if (hits.size === 2 && s.values.includes('none')) hits.delete('none');
  return hits.size === 1 ? [...hits.keys()][0] : undefined;
}

/** The noun that gives a bare answer ("Red.") its place when read as a description. */
const CONTEXT_NOUN: Partial<Record<SlotKey, string>> = {
  upperColour: 'top',
  lowerColour: 'trousers',
  shoeColour: 'shoes',
  bagColour: 'bag',
  hatColour: 'hat',
  hairColour: 'hair',
  hairLength: 'hair',
  upperPattern: 'top',
  lowerPattern: 'trousers',
  sleeveLength: 'sleeves',
  lowerLength: 'trousers',
};

/** Presence slots a bare yes/no settles, with what "yes" says. */
const YES_MEANS: Partial<Record<SlotKey, Readonly<Record<string, number>>>> = {
  hat: { yes: 1 },
  glasses: { yes: 1 },
  mask: { yes: 1 },
  scarf: { yes: 1 },
  bag: { backpack: 1 / 3, handbag: 1 / 3, 'shoulder bag': 1 / 3 },
  held: HELD_ANY,
};

/**
 * What an answer to a question says about the slots the question asks about: the answer read as a
 * description, with bare colours and lengths placed by the question and yes/no resolved by it. Other
 * slots the answer happens to mention are kept too ("Yes, a black backpack" also gives the bag colour).
 */
export function interpretAnswer(question: string, answer: string): AttributeEvidence {
  if (isUnknownAnswer(answer)) return {};
  const asked = questionSlots(question);
  const evidence: AttributeEvidence = { ...parseDescription(answer) };
  const bare = answer.replace(/[.!?]+\s*$/, '').replace(/^\s*(yes|no)\b[,.;:]?\s*/i, '');
  for (const key of asked) {
    if (evidence[key]) continue;
    const noun = CONTEXT_NOUN[key];
    const placed = noun && bare ? parseDescription(`${bare} ${noun}`)[key] : undefined;
    if (placed) {
      evidence[key] = placed;
      continue;
    }
    const yn = parseYesNo(answer);
    const yes = YES_MEANS[key];
    if (yn === 'unsure' || !yes) continue;
    const absent = slot(key).values.includes('none') ? 'none' : 'no';
    evidence[key] = yn === 'no' ? { [absent]: 1 } : { ...yes };
  }
  // A bare colour answer read as an orphan lands on the top; when the question was about another slot, drop it.
  if (evidence.upperColour && asked.length > 0 && !asked.includes('upperColour') && !/\b(top|shirt|jacket|coat|hoodie|t-shirt|tee|sweater|vest)\b/i.test(answer)) {
    delete evidence.upperColour;
  }
  return evidence;
}

/**
 * The value a reply settles for `key`, or undefined for "don't know"-style replies and replies that name
 * none or several values: first the value's own words ("red", "nope" for none), then the reply read as a
 * description in the question's context ("the black one", "yes, a cap") when that is decisive.
 */
export function answerValue(key: SlotKey, reply: string, question = slot(key).question): string | undefined {
  if (isUnknownAnswer(reply)) return undefined;
  const direct = matchValue(key, normalise(reply));
  if (direct !== undefined) return direct;
  return decisive(interpretAnswer(question, reply), key, SETTLED_P);
}
