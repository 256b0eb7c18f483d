import type { PersonAttributes, DemoSlotKey } from './attributes.js';
import type { Rng } from './rng.js';
import {
  BAG_WORDS,
  COLOUR_WORDS,
  GARMENT_WORDS,
  GENDER_WORDS,
  GENERIC_BAG_WORDS,
  GENERIC_UPPER_WORDS,
  GLASSES_WORDS,
  HAIR_COLOUR_WORDS,
  HAT_WORDS,
  HELD_WORDS,
  PERSON_WORDS,
  SHOE_WORDS,
} from './vocabulary.js';

// Full captions (every visible attribute, CUHK-PEDES style) and vague witness queries (one or two
// attributes), in varied English built only from vocabulary.ts words.

/** A noun phrase and the slots it states. */
interface Phrase {
  text: string;
  slots: DemoSlotKey[];
}

/** A vague query with the slots it states (the person noun's gender included when given). */
export interface VagueQuery {
  text: string;
  slots: DemoSlotKey[];
}

function a(word: string): string {
  return /^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Words for the garment, hair and accessory phrases of one person (each call may pick other synonyms). */
class Phrasebook {
  constructor(
    private readonly p: PersonAttributes,
    private readonly rng: Rng,
  ) {}

  private colour(c: keyof typeof COLOUR_WORDS): string {
    return this.rng.pick(COLOUR_WORDS[c]);
  }

  hair(withLength = true, withColour = true): Phrase {
    const words = [withLength ? this.p.hairLength : '', withColour ? this.rng.pick(HAIR_COLOUR_WORDS[this.p.hairColour]) : ''].filter(Boolean);
    return { text: `${words.join(' ')} hair`, slots: [...(withLength ? ['hairLength' as const] : []), ...(withColour ? ['hairColour' as const] : [])] };
  }

  upper(generic = false): Phrase {
    const noun = generic ? this.rng.pick(GENERIC_UPPER_WORDS) : this.rng.pick(GARMENT_WORDS.upperType[this.p.upperType]);
    return { text: a(`${this.colour(this.p.upperColour)} ${noun}`), slots: generic ? ['upperColour'] : ['upperColour', 'upperType'] };
  }

  lower(withColour = true): Phrase {
    const noun = this.rng.pick(GARMENT_WORDS.lowerType[this.p.lowerType]);
    const words = withColour ? `${this.colour(this.p.lowerColour)} ${noun}` : noun;
    return { text: this.p.lowerType === 'skirt' ? a(words) : words, slots: withColour ? ['lowerColour', 'lowerType'] : ['lowerType'] };
  }

  shoes(): Phrase {
    return { text: `${this.colour(this.p.shoeColour)} ${this.rng.pick(SHOE_WORDS)}`, slots: ['shoeColour'] };
  }

  bag(form: 'full' | 'colour' | 'type' = 'full'): Phrase | null {
    if (this.p.bag === 'none' || !this.p.bagColour) return null;
    const noun = form === 'colour' ? this.rng.pick(GENERIC_BAG_WORDS) : this.rng.pick(BAG_WORDS[this.p.bag]);
    const text = form === 'type' ? a(noun) : a(`${this.colour(this.p.bagColour)} ${noun}`);
    const slots: DemoSlotKey[] = form === 'colour' ? ['bagColour'] : form === 'type' ? ['bag'] : ['bag', 'bagColour'];
    return { text, slots };
  }

  hat(withColour = true): Phrase | null {
    if (this.p.hat === 'no' || !this.p.hatColour) return null;
    const noun = this.rng.pick(HAT_WORDS);
    return { text: a(withColour ? `${this.colour(this.p.hatColour)} ${noun}` : noun), slots: withColour ? ['hat', 'hatColour'] : ['hat'] };
  }

  glasses(): Phrase | null {
    return this.p.glasses === 'yes' ? { text: this.rng.pick(GLASSES_WORDS), slots: ['glasses'] } : null;
  }

  held(): Phrase | null {
    return this.p.held === 'none' ? null : { text: a(this.rng.pick(HELD_WORDS[this.p.held])), slots: ['held'] };
  }
}

function list(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * A full caption stating every visible attribute (absent items — no bag, no hat — are left out, as in
 * real datasets), phrased by one of several templates.
 */
export function fullCaption(p: PersonAttributes, rng: Rng): string {
  const words = new Phrasebook(p, rng);
  const he = p.gender === 'man' ? 'he' : 'she';
  const his = p.gender === 'man' ? 'his' : 'her';
  const noun = rng.pick(p.gender === 'man' ? ['man', 'young man', 'guy', 'gentleman'] : ['woman', 'young woman', 'lady']);
  const hair = words.hair().text;
  const upper = words.upper().text;
  const lower = words.lower().text;
  const shoes = words.shoes().text;
  const sentences: string[] = [];
  switch (rng.int(0, 3)) {
    case 0:
      sentences.push(`${capitalise(a(noun))} with ${hair} is wearing ${list([upper, lower, shoes])}.`);
      break;
    case 1:
      sentences.push(`This ${noun} has ${hair} and is dressed in ${upper} with ${lower}.`, `${capitalise(he)} wears ${shoes}.`);
      break;
    case 2:
      sentences.push(`The ${noun} wears ${upper} over ${lower}, with ${shoes}.`, `${capitalise(he)} has ${hair}.`);
      break;
    default:
      sentences.push(`${capitalise(a(noun))} in ${upper} and ${lower}.`, `${capitalise(he)} has ${hair} and wears ${shoes}.`);
  }
  const worn = [words.hat()?.text, words.glasses()?.text].filter((x): x is string => Boolean(x));
  if (worn.length > 0) sentences.push(`${capitalise(he)} ${rng.pick(['wears', 'is wearing', 'has on'])} ${list(worn)}.`);
  const bag = words.bag();
  if (bag) sentences.push(`${capitalise(he)} ${rng.pick(['carries', 'is carrying', 'has'])} ${bag.text}.`);
  const held = words.held();
  if (held) {
    const verb = p.held === 'phone' && rng.chance(0.5) ? 'is talking on' : rng.pick(['is holding', 'holds']);
    sentences.push(`${capitalise(he)} ${verb} ${held.text}${rng.chance(0.3) ? ` in ${his} hand` : ''}.`);
  }
  return sentences.join(' ');
}

type CueKind = 'garment' | 'worn' | 'bag' | 'held' | 'hair';

function cues(words: Phrasebook, rng: Rng): Array<{ kind: CueKind; phrase: Phrase; weight: number }> {
  const out: Array<{ kind: CueKind; phrase: Phrase | null; weight: number }> = [
    { kind: 'garment', phrase: words.upper(rng.chance(0.3)), weight: 35 },
    { kind: 'garment', phrase: words.lower(rng.chance(0.8)), weight: 20 },
    { kind: 'garment', phrase: words.shoes(), weight: 4 },
    { kind: 'bag', phrase: words.bag(rng.pick(['full', 'full', 'colour', 'type'] as const)), weight: 22 },
    { kind: 'worn', phrase: words.hat(rng.chance(0.6)), weight: 10 },
    { kind: 'worn', phrase: words.glasses(), weight: 6 },
    { kind: 'held', phrase: words.held(), weight: 8 },
    { kind: 'hair', phrase: rng.chance(0.5) ? words.hair() : rng.chance(0.5) ? words.hair(false, true) : words.hair(true, false), weight: 9 },
  ];
  return out.filter((c): c is { kind: CueKind; phrase: Phrase; weight: number } => c.phrase !== null);
}

const LINKS: Readonly<Record<CueKind, readonly string[]>> = {
  garment: ['in', 'wearing'],
  worn: ['wearing', 'with'],
  bag: ['with', 'carrying'],
  held: ['with', 'holding'],
  hair: ['with'],
};

const OPENINGS = ['', '', '', 'I saw ', "I'm looking for ", 'it was ', 'there was '];

/** A witness's first description: a person noun and one or two cues, e.g. "guy in a blue hoodie". */
export function vagueQuery(p: PersonAttributes, rng: Rng): VagueQuery {
  const words = new Phrasebook(p, rng);
  const available = cues(words, rng);
  const count = Math.min(available.length, rng.chance(0.55) ? 1 : 2);
  const chosen: typeof available = [];
  while (chosen.length < count) {
    chosen.push(rng.pickWeighted(available.filter((c) => !chosen.includes(c)), (c) => c.weight));
  }
  const gendered = rng.chance(0.85);
  const subject = gendered ? rng.pick(GENDER_WORDS[p.gender]) : rng.pick(PERSON_WORDS);
  const opening = rng.pick(OPENINGS);
  // "guy in a blue hoodie" drops the article only at the very start.
  const needsArticle = !['someone', 'somebody'].includes(subject) && !(subject === 'guy' && opening === '' && rng.chance(0.5));
  const firstLink = rng.pick(LINKS[chosen[0].kind]);
  let text = `${needsArticle ? a(subject) : subject} ${firstLink} ${chosen[0].phrase.text}`;
  if (chosen.length === 2) {
    const second = chosen[1];
    const link = rng.pick(LINKS[second.kind]);
    text += second.kind === chosen[0].kind || link === firstLink ? ` and ${second.phrase.text}` : ` ${link} ${second.phrase.text}`;
  }
  const slots = [...(gendered ? ['gender' as const] : []), ...chosen.flatMap((c) => c.phrase.slots)];
  return { text: `${opening}${text}`, slots };
}

/** `count` vague queries of one person, each stating a different set of slots where the person allows. */
export function vagueQueries(p: PersonAttributes, rng: Rng, count: number): VagueQuery[] {
  const out: VagueQuery[] = [];
  const seen = new Set<string>();
  for (let attempt = 0; out.length < count && attempt < count * 20; attempt++) {
    const q = vagueQuery(p, rng);
    const key = q.slots.filter((s) => s !== 'gender').sort().join(',');
    if (seen.has(key) && attempt < count * 10) continue;
    if (out.some((o) => o.text === q.text)) continue;
    seen.add(key);
    out.push(q);
  }
  return out;
}
