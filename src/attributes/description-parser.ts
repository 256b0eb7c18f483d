import { SLOTS, type AttributeEvidence, type SlotKey } from './vocabulary.js';
import { HELD_ANY, type Dist, type Noun, type Word } from './parser-lexicon.js';
import { HEDGED, tokenize, type Colour, type Token } from './parser-tokens.js';

// A small rule-based reader of person descriptions (the product's, used by MTI, MTG and the demo world
// alike). Colour, pattern and length words attach
// to the garment or item noun that follows them ("red jacket"), or, after "is", ":" or "in", to the one
// before ("jacket that is red", "hair: long blonde"); negations ("no bag", "without glasses") deny the
// nouns in their clause; hedges ("maybe", "-ish") soften; "not sure" voids its sentence.

type Modifier = Colour | Extract<Word, { t: 'length' }> | Extract<Word, { t: 'pattern' }>;

/** Confidence of a colour that names no garment ("a man in red"): most likely the top. */
const ORPHAN_UPPER = 0.8;

/**
 * Reads attribute evidence from a free-text description ("guy in a red jacket with a black backpack" →
 * gender man, upperType jacket, upperColour red, bag backpack, bagColour black). Slots the text does not
 * mention are absent; ambiguous words give soft evidence.
 */
export function parseDescription(text: string): AttributeEvidence {
  const reader = new DescriptionReader();
  for (const token of tokenize(text)) reader.feed(token);
  reader.finish();
  return reader.evidence();
}

interface Pending {
  mod: Modifier;
  /** Adjectives separated by "and", "," or a verb belong to different runs. */
  run: number;
  /** Read after "is", ":" or "in" following a noun: may belong to that noun. */
  post: boolean;
}

/** One piece of evidence for a slot: a normalised distribution, already mixed with uniform by its confidence. */
interface Rec {
  slot: SlotKey;
  probs: Record<string, number>;
  dead: boolean;
}

const VALUES = new Map(SLOTS.map((s) => [s.key, s.values]));

class DescriptionReader {
  private readonly recs: Rec[] = [];
  private pending: Pending[] = [];
  private run = 0;
  private post = false;
  private lastNoun: { noun: Noun; recs: Rec[] } | undefined;
  private prevWasNoun = false;
  private neg = false;
  private uncertain = false;
  private hedge = false;
  private allClause = false;
  private verb: 'wear' | 'carry' | 'hold' | undefined;
  private bagRec: Rec | undefined;
  private place: 'back' | 'shoulder' | 'hand' | undefined;

  feed(tok: Token): void {
    const wasNoun = this.prevWasNoun;
    this.prevWasNoun = false;
    switch (tok.t) {
      case 'colour':
      case 'length':
      case 'pattern':
        this.pending.push({ mod: tok, run: this.run, post: this.post });
        return;
      case 'fact':
        for (const f of tok.facts) this.add(f.slot as SlotKey, f.dist);
        return;
      case 'noun':
        return this.noun(tok.noun);
      case 'place':
        return this.placeBag(tok.where);
      case 'colon':
      case 'copula':
        if (this.lastNoun && this.lastNoun.noun.kind !== 'person' && this.pending.length === 0) this.post = true;
        this.run++;
        return;
      case 'in':
        if (wasNoun && this.lastNoun && this.lastNoun.noun.kind !== 'person') this.post = true;
        this.run++;
        return;
      case 'neg':
        if (this.post && this.lastNoun && this.pending.length === 0) return this.redo(true);
        // A denial starts a new item: colours read so far belong to what came before.
        this.flushPost();
        this.flushOrphans();
        this.neg = true;
        return;
      case 'uncertain':
        if (this.post && this.lastNoun && this.pending.length === 0) this.lastNoun.recs.forEach((r) => (r.dead = true));
        this.uncertain = true;
        return;
      case 'hedge':
        this.hedge = true;
        return;
      case 'verb':
      case 'with':
        // "a man in red with a black backpack": a new item starts, so "red" cannot belong to the backpack.
        this.flushPost();
        this.flushOrphans();
        if (tok.t === 'verb') this.verb = tok.verb;
        else this.neg = false;
        this.run++;
        return;
      case 'all':
        this.allClause = true;
        return;
      case 'and':
      case 'comma':
        this.run++;
        this.neg = false;
        this.hedge = false;
        if (tok.t === 'comma') this.allClause = false;
        return;
      case 'or':
        this.run++;
        return;
      case 'but':
      case 'stop':
        return this.endClause();
      case 'shade':
      case 'filler':
      case 'other':
        return;
    }
  }

  finish(): void {
    this.endClause();
  }

  evidence(): AttributeEvidence {
    const bySlot = new Map<SlotKey, Array<Record<string, number>>>();
    for (const r of this.recs) if (!r.dead) bySlot.set(r.slot, [...(bySlot.get(r.slot) ?? []), r.probs]);
    const out: AttributeEvidence = {};
    for (const s of SLOTS) {
      const list = bySlot.get(s.key);
      if (!list) continue;
      const probs: Record<string, number> = {};
      for (const v of s.values) {
        const p = list.reduce((sum, d) => sum + (d[v] ?? 0), 0) / list.length;
        if (p > 1e-6) probs[v] = p;
      }
      out[s.key] = probs;
    }
    return out;
  }

  private noun(noun: Noun): void {
    const forward: Modifier[] = [];
    const backward: Modifier[] = [];
    for (const p of this.pending) (p.run !== this.run && p.post && this.lastNoun ? backward : forward).push(p.mod);
    if (backward.length > 0 && this.lastNoun) this.lastNoun.recs.push(...this.modify(this.lastNoun.noun, backward));
    this.pending = [];
    this.post = false;
    const recs = [...this.facts(noun, this.neg), ...(this.neg ? [] : this.modify(noun, forward))];
    this.lastNoun = { noun, recs };
    this.prevWasNoun = true;
  }

  /** A postposed negation ("bag: none", "glasses: no") replaces what the noun said. */
  private redo(negated: boolean): void {
    const last = this.lastNoun!;
    last.recs.forEach((r) => (r.dead = true));
    last.recs = this.facts(last.noun, negated);
  }

  /** What a noun says by itself: gender, garment type, that a bag or hat is there (or not). */
  private facts(noun: Noun, negated: boolean): Rec[] {
    const out: Rec[] = [];
    const add = (slot: SlotKey, dist: Dist, conf = 1) => this.add(slot, dist, conf, out);
    switch (noun.kind) {
      case 'person':
        if (noun.gender) add('gender', { [negated ? (noun.gender === 'man' ? 'woman' : 'man') : noun.gender]: 1 });
        if (noun.age && !negated) add('ageGroup', noun.age);
        break;
      case 'upper':
        if (noun.type) {
          add('upperType', negated ? complement('upperType', noun.type) : noun.type);
          const sleeves = !negated && implied(noun.type, SLEEVES_OF);
          if (sleeves) add('sleeveLength', sleeves, IMPLIED);
        }
        break;
      case 'lower':
        if (noun.type) {
          add('lowerType', negated ? complement('lowerType', noun.type) : noun.type);
          const length = !negated && (noun.length ? { [noun.length]: 1 } : implied(noun.type, LENGTH_OF));
          if (length) add('lowerLength', length, noun.length ? 1 : IMPLIED);
        }
        break;
      case 'shoes':
        if (noun.type) add('footwear', negated ? complement('footwear', noun.type) : noun.type);
        break;
      case 'worn':
        add(noun.slot, { [negated ? 'no' : 'yes']: 1 });
        break;
      case 'bag': {
        const generic = Object.keys(noun.type).length >= 3;
        if (negated) add('bag', generic ? { none: 1 } : complement('bag', noun.type));
        else {
          const type = this.place ? refineBag(noun.type, this.place) : noun.type;
          this.place = undefined;
          add('bag', type);
          this.bagRec = out[out.length - 1];
        }
        break;
      }
      case 'hat':
        add('hat', negated && !noun.type ? { no: 1 } : negated ? { no: 1, yes: 1 } : { yes: 1 });
        if (noun.type) add('hatType', negated ? complement('hatType', noun.type) : noun.type);
        break;
      case 'glasses':
        add('glasses', { [negated ? 'no' : 'yes']: 1 });
        break;
      case 'held': {
        if (noun.value === 'any') add('held', negated ? { none: 1 } : HELD_ANY);
        else add('held', negated ? { none: 1, ...Object.fromEntries(Object.keys(HELD_ANY).filter((k) => k !== noun.value).map((k) => [k, 0.5])) } : { [noun.value]: 1 });
        break;
      }
      case 'hair':
        if (noun.length && !negated) add('hairLength', { [noun.length]: 1 });
        break;
      case 'anything': {
        const denied = negated !== !!noun.negative;
        if (denied && this.verb === 'hold') add('held', { none: 1 });
        else if (denied && this.verb === 'carry') {
          add('bag', { none: 1 });
          add('held', { none: 1 });
        } else if (!denied && this.verb === 'hold') add('held', HELD_ANY);
        break;
      }
      case 'shoes':
      case 'clothes':
        break;
    }
    return out;
  }

  /** What colours and lengths say about a noun they attach to. */
  private modify(noun: Noun, mods: Modifier[]): Rec[] {
    const out: Rec[] = [];
    for (const mod of mods) {
      const add = (slot: SlotKey, dist: Dist | undefined, conf = 1) => dist && this.add(slot, dist, conf * ((mod.t === 'colour' && mod.conf) || 1), out);
      if (mod.t === 'length') {
        if (noun.kind === 'hair') add('hairLength', { [mod.value]: 1 });
        if (noun.kind === 'lower') add('lowerLength', { [mod.value]: 1 });
        continue;
      }
      if (mod.t === 'pattern') {
        if (noun.kind === 'upper' || noun.kind === 'clothes') add('upperPattern', { [mod.value]: 1 });
        if ((noun.kind === 'lower' || noun.kind === 'clothes') && mod.value !== 'logo') add('lowerPattern', { [mod.value]: 1 });
        if (noun.kind === 'lower' && noun.alsoUpper) add('upperPattern', { [mod.value]: 1 });
        continue;
      }
      // "a blonde in a red jacket": hair words describe hair whatever noun follows.
      if (mod.hairOnly) {
        add('hairColour', mod.hair);
        continue;
      }
      switch (noun.kind) {
        case 'upper':
          add('upperColour', mod.garment);
          break;
        case 'lower':
          add('lowerColour', mod.garment);
          if (noun.alsoUpper) add('upperColour', mod.garment);
          break;
        case 'clothes':
          add('upperColour', mod.garment);
          add('lowerColour', mod.garment);
          break;
        case 'shoes':
          add('shoeColour', mod.garment);
          break;
        case 'bag':
          add('bagColour', mod.garment);
          break;
        case 'hat':
          add('hatColour', mod.garment);
          break;
        case 'hair':
        case 'person':
          // On a person only hair words count ("blonde woman", above); "red man" says nothing.
          if (noun.kind === 'hair') add('hairColour', mod.hair);
          break;
        default:
          break;
      }
    }
    if (noun.kind === 'lower' && noun.defaultColour && !mods.some((m) => m.t === 'colour')) this.add('lowerColour', noun.defaultColour, 1, out);
    return out;
  }

  private placeBag(where: 'back' | 'shoulder' | 'hand'): void {
    const rec = this.bagRec;
    if (!rec || rec.dead) {
      this.place = where;
      return;
    }
    const refined = refineBag(rec.probs, where);
    if (refined === rec.probs) return;
    rec.dead = true;
    this.add('bag', refined);
    this.bagRec = this.recs[this.recs.length - 1];
  }

  /** Post-posed adjectives ("jacket that is red") go back to their noun before a new item starts. */
  private flushPost(): void {
    const keep: Pending[] = [];
    const back: Modifier[] = [];
    for (const p of this.pending) {
      if (p.post && this.lastNoun) back.push(p.mod);
      else keep.push(p);
    }
    if (back.length > 0) this.lastNoun!.recs.push(...this.modify(this.lastNoun!.noun, back));
    this.pending = keep;
    this.post = false;
  }

  private endClause(): void {
    this.flushPost();
    this.flushOrphans();
    this.run++;
    this.lastNoun = undefined;
    this.neg = this.uncertain = this.hedge = this.allClause = false;
    this.verb = undefined;
    this.bagRec = undefined;
    this.place = undefined;
  }

  /** Colours that found no noun: hair words describe hair, others most likely the top (or everything, after "all"). */
  private flushOrphans(): void {
    for (const { mod } of this.pending) {
      if (mod.t !== 'colour') continue;
      const conf = mod.conf ?? 1;
      if (mod.hairOnly) this.add('hairColour', mod.hair!, conf);
      else if (this.allClause) {
        this.add('upperColour', mod.garment, conf);
        this.add('lowerColour', mod.garment, conf);
      } else this.add('upperColour', mod.garment, ORPHAN_UPPER * conf);
    }
    this.pending = [];
  }

  /** Records evidence for a slot: restricted to its values, normalised, mixed with uniform by `conf`. */
  private add(slot: SlotKey, dist: Dist, conf = 1, sink?: Rec[]): void {
    if (this.uncertain) return;
    const values = VALUES.get(slot)!;
    let total = 0;
    for (const v of values) total += Math.max(0, dist[v] ?? 0);
    if (total <= 0) return;
    const c = conf * (this.hedge ? HEDGED : 1);
    const probs: Record<string, number> = {};
    for (const v of values) {
      const p = (c * Math.max(0, dist[v] ?? 0)) / total + (1 - c) / values.length;
      if (p > 0) probs[v] = p;
    }
    const rec: Rec = { slot, probs, dead: false };
    this.recs.push(rec);
    sink?.push(rec);
  }
}

/** Confidence of what a garment implies but does not say (a jacket has long sleeves, trousers are long). */
const IMPLIED = 0.9;

/** Sleeve length by top type (types without a usual length are left out). */
const SLEEVES_OF: Readonly<Record<string, string>> = { 't-shirt': 'short', vest: 'short', sweater: 'long', jacket: 'long', coat: 'long', hoodie: 'long' };

/** Lower garment length by type. */
const LENGTH_OF: Readonly<Record<string, string>> = { trousers: 'long', shorts: 'short' };

/** The distribution a type distribution implies through `map`, or undefined when some likely type implies nothing. */
function implied(type: Dist, map: Readonly<Record<string, string>>): Dist | undefined {
  const out: Record<string, number> = {};
  let total = 0;
  for (const [t, w] of Object.entries(type)) {
    if (!(w > 0)) continue;
    total += w;
    const v = map[t];
    if (v) out[v] = (out[v] ?? 0) + w;
  }
  const covered = Object.values(out).reduce((a, b) => a + b, 0);
  return total > 0 && covered / total >= 0.8 ? out : undefined;
}

/** Weights over the values a denied noun leaves ("not a backpack": any other bag, or none). */
function complement(slot: SlotKey, denied: Dist): Dist {
  const out: Record<string, number> = {};
  for (const v of VALUES.get(slot)!) if (!(denied[v] > 0)) out[v] = 1;
  return out;
}

/** Where a bag is worn settles its type, when that type was possible. */
function refineBag(type: Dist, where: 'back' | 'shoulder' | 'hand'): Dist {
  const target = where === 'back' ? 'backpack' : where === 'shoulder' ? 'shoulder bag' : 'handbag';
  return (type[target] ?? 0) > 0 && Object.keys(type).filter((k) => (type[k] ?? 0) > 0).length > 1 ? { [target]: 1 } : type;
}
