import type { SlotKey } from './vocabulary.js';

// What a question asks about: the one place that decides it, for MTI's question ranking, MTG's question
// pool, the witness simulators and the demo MLLM. Every slot's own template question maps back to it.

const COLOUR = /\bcolou?rs?\b|\bshade\b/;
const UPPER = /\b(upper|top|shirt|t-shirt|tee|jacket|coat|hoodie|sweater|jumper|blouse|torso|vest)\b/;
const LOWER = /\b(lower|pants|trousers|shorts|skirt|dress|jeans|legs|bottoms?)\b/;
const SHOES = /\b(shoes?|footwear|sneakers|trainers|boots|sandals|heels)\b/;
const BAG = /\b(bags?|backpack|rucksack|handbag|purse|satchel|suitcase|luggage|trolley)\b/;
const HAT = /\b(hats?|cap|beanie|headwear|helmet)\b/;
const HAIR = /\bhair\b/;
const GLASSES = /\b(glasses|sunglasses|spectacles|eyewear)\b/;
const PATTERN = /\b(pattern|patterned|plain|striped|stripes|checked|checkered|plaid|printed|print|logo|graphic)\b/;

/**
 * The attribute slots a question asks about, most specific first; empty when it asks about something the
 * vocabulary does not hold (the background, an action, a tattoo).
 */
export function questionSlots(question: string): SlotKey[] {
  const q = question.toLowerCase().replace(/[’‘]/g, "'");
  if (/\b(face )?masks?\b|\bface covering\b/.test(q)) return ['mask'];
  if (/\bscar(f|ves)\b|\bshawl\b/.test(q)) return ['scarf'];
  if (/\bsleeves?\b/.test(q)) return ['sleeveLength'];
  if (PATTERN.test(q) && !COLOUR.test(q)) {
    if (LOWER.test(q)) return ['lowerPattern'];
    if (UPPER.test(q) || /\b(clothes|clothing|outfit)\b/.test(q)) return ['upperPattern'];
  }
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
  if (/\b(age|how old|child|adult|elderly|kid|teenager|young|old)\b/.test(q)) return ['ageGroup'];
  if (/\baccessor/.test(q)) return ['hat', 'bag', 'glasses'];
  if (LOWER.test(q) && /\b(knee|ankle|length|long|short)\b/.test(q)) return ['lowerLength'];
  if (/\b(trousers|pants|shorts|skirt|dress)\b/.test(q) || /\b(lower|bottom)\b.*\b(garment|clothing|body)\b/.test(q)) return ['lowerType', 'lowerColour'];
  if (/\b(kind|type|sort) of (top|upper|jacket|clothing on top)\b|\bupper (body )?(garment|clothing)\b|\bwearing on (top|the upper body)\b/.test(q)) return ['upperType', 'upperColour'];
  if (HAT.test(q) && /\b(kind|type|sort|style)\b/.test(q)) return ['hatType'];
  if (BAG.test(q)) return ['bag', 'bagColour'];
  if (HAT.test(q)) return ['hat', 'hatColour', 'hatType'];
  if (GLASSES.test(q)) return ['glasses'];
  if (SHOES.test(q)) return ['footwear', 'shoeColour'];
  if (/\b(holding|hold|held|in (his|her|their|the) hands?|carrying any objects?|carrying anything|objects?)\b/.test(q)) return ['held'];
  if (/\bwhat is the person wearing\b|\bclothes\b|\bclothing\b|\bdressed\b/.test(q)) return ['upperType', 'upperColour', 'lowerType', 'lowerColour'];
  return [];
}

/** The item a slot describes: a question may name an item and its details ("a hat? what colour?"). */
const ITEM: Partial<Record<SlotKey, string>> = {
  hat: 'hat', hatColour: 'hat', hatType: 'hat', bag: 'bag', bagColour: 'bag', upperType: 'upper', upperColour: 'upper',
  lowerType: 'lower', lowerColour: 'lower', footwear: 'shoes', shoeColour: 'shoes',
};

/**
 * The one slot a question is about, when it is about one: the most specific of `questionSlots`, unless the
 * question spreads over several items ("any accessories?", "what is the person wearing?").
 */
export function inferSlot(question: string): SlotKey | undefined {
  const [first, ...rest] = questionSlots(question);
  if (!first) return undefined;
  return rest.every((k) => ITEM[k] !== undefined && ITEM[k] === ITEM[first]) ? first : undefined;
}

/** True for questions asked in yes/no form ("Is the person carrying a bag?"). */
export function isYesNoQuestion(question: string): boolean {
  return /^\s*(is|are|does|do|did|has|have|was|were|can|could)\b/i.test(question);
}
