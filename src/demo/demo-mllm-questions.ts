import { parseYesNo } from '../mllm/openai-chat.js';
import type { AttributeEvidence, SlotKey } from './attributes.js';
import { parseDescription } from './text-parser.js';

// What a visual question asks about, and what an answer to it says: the demo MLLM needs both to answer
// questions and to fold Q&A answers into a merged description.

const COLOUR = /\bcolou?rs?\b|\bshade\b/;
const UPPER = /\b(upper|top|shirt|t-shirt|tee|jacket|coat|hoodie|sweater|jumper|blouse|torso)\b/;
const LOWER = /\b(lower|pants|trousers|shorts|skirt|jeans|legs|bottoms?)\b/;
const SHOES = /\b(shoes?|footwear|sneakers|trainers|boots)\b/;
const BAG = /\b(bags?|backpack|rucksack|handbag|purse|satchel)\b/;
const HAT = /\b(hats?|cap|beanie|headwear)\b/;
const HAIR = /\bhair\b/;
const GLASSES = /\b(glasses|sunglasses|spectacles|eyewear)\b/;

/**
 * The attribute slots a visual question asks about, most specific first; empty when it asks about
 * something the demo world does not model (the background, an action).
 */
export function questionSlots(question: string): SlotKey[] {
  const q = question.toLowerCase();
  if (COLOUR.test(q)) {
    if (HAIR.test(q)) return ['hairColour'];
    if (SHOES.test(q)) return ['shoeColour'];
    if (BAG.test(q)) return ['bagColour'];
    if (HAT.test(q)) return ['hatColour'];
    if (LOWER.test(q)) return ['lowerColour'];
    if (UPPER.test(q) || /\b(clothes|clothing|wearing|outfit)\b/.test(q)) return ['upperColour'];
  }
  if (HAIR.test(q)) return /\b(long|short|length)\b/.test(q) || !COLOUR.test(q) ? ['hairLength'] : ['hairColour'];
  if (/\b(man or (a )?woman|woman or (a )?man|gender|male or female|female or male|sex)\b/.test(q)) return ['gender'];
  if (/\baccessor/.test(q)) return ['hat', 'bag', 'glasses'];
  if (/\b(trousers|pants|shorts|skirt)\b/.test(q) || /\b(lower|bottom)\b.*\b(garment|clothing|body)\b/.test(q)) return ['lowerType', 'lowerColour'];
  if (/\b(kind|type|sort) of (top|upper|jacket|clothing on top)\b|\bupper (body )?(garment|clothing)\b|\bwearing on (top|the upper body)\b/.test(q)) return ['upperType', 'upperColour'];
  if (BAG.test(q)) return ['bag', 'bagColour'];
  if (HAT.test(q)) return ['hat', 'hatColour'];
  if (GLASSES.test(q)) return ['glasses'];
  if (/\b(holding|hold|held|in (his|her|their|the) hands?|carrying any objects?|carrying anything|objects?)\b/.test(q)) return ['held'];
  if (/\bwhat is the person wearing\b|\bclothes\b|\bclothing\b|\bdressed\b/.test(q)) return ['upperType', 'upperColour', 'lowerType', 'lowerColour'];
  return [];
}

/** True for questions asked in yes/no form ("Is the person carrying a bag?"). */
export function isYesNoQuestion(question: string): boolean {
  return /^\s*(is|are|does|do|did|has|have|was|were|can|could)\b/i.test(question);
}

/** Answers that say the witness or the model cannot tell. */
export function isUnknownAnswer(answer: string): boolean {
  return /\b(not sure|unsure|don'?t know|do not know|can'?t tell|cannot tell|can not tell|no idea|not certain|unknown|can'?t see|cannot see|don'?t remember|do not remember|not visible|unclear)\b/i.test(answer);
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
    if (yn === 'unsure') continue;
    if (key === 'hat' || key === 'glasses') evidence[key] = { [yn]: 1 };
    else if (key === 'bag') evidence.bag = yn === 'no' ? { none: 1 } : { backpack: 1 / 3, handbag: 1 / 3, 'shoulder bag': 1 / 3 };
    else if (key === 'held') evidence.held = yn === 'no' ? { none: 1 } : { umbrella: 1 / 3, phone: 1 / 3, bottle: 1 / 3 };
  }
  // A bare colour answer read as an orphan lands on the top; when the question was about another slot, drop it.
  if (evidence.upperColour && asked.length > 0 && !asked.includes('upperColour') && !/\b(top|shirt|jacket|coat|hoodie|t-shirt|tee)\b/i.test(answer)) {
    delete evidence.upperColour;
  }
  return evidence;
}
