import type { RgbImage } from '../vision/rgb-decode.js';
import { COLOUR_RGB, HAIR_RGB, SHOE_COLOURS, DEMO_SLOTS, type AttributeEvidence, type DemoSlotKey } from './attributes.js';
import { colourDistance, medianColour, sigmoid, soften, softNearest, softVote, type Colour3 } from './colour-match.js';
import { measureFigure, type ReaderFeatures } from './reader-features.js';

// Attribute evidence from the pixels of a rendered pedestrian: colours are matched softly against the
// palettes, shapes (sleeves, hood, coat length, skirt flare, straps, hat brim, lenses, held objects) are
// soft thresholds on measurements. It never sees the ground truth; it is good but deliberately imperfect.

type Probs = Record<string, number>;

const GARMENT_PALETTE: Readonly<Record<string, Colour3>> = COLOUR_RGB;
const HAIR_PALETTE: Readonly<Record<string, Colour3>> = HAIR_RGB;
const SHOE_PALETTE: Readonly<Record<string, Colour3>> = Object.fromEntries(SHOE_COLOURS.map((c) => [c, COLOUR_RGB[c]]));

/** Spread of the soft colour match (RGB units): lighting and camera casts move colours by up to ~30. */
const COLOUR_SIGMA = 24;
/** Every value keeps some probability: the reader can be wrong. */
const FLOOR = 0.04;

function uniform(values: readonly string[]): Probs {
  return Object.fromEntries(values.map((v) => [v, 1 / values.length]));
}

/** Soft colour of a zone: the vote of its pixels, or uniform when the zone is empty. */
function zoneColour(pixels: readonly Colour3[], palette: Readonly<Record<string, Colour3>>): Probs {
  return softVote(pixels, palette, COLOUR_SIGMA) ?? uniform(Object.keys(palette));
}

/** Σ weight × distribution, for a value read from whichever zone the detected shape says. */
function blend(parts: ReadonlyArray<[number, Probs]>): Probs {
  const out: Probs = {};
  for (const [w, probs] of parts) for (const [k, p] of Object.entries(probs)) out[k] = (out[k] ?? 0) + w * p;
  return out;
}

function scale(probs: Probs, factor: number): Probs {
  return Object.fromEntries(Object.entries(probs).map(([k, p]) => [k, p * factor]));
}

function share(pixels: readonly Colour3[], ref: Colour3 | null, within: number): number {
  if (!ref || pixels.length === 0) return 0;
  return pixels.filter((p) => colourDistance(p, ref) < within).length / pixels.length;
}

function hair(f: ReaderFeatures, pHat: number, pHood: number): { colour: Probs; long: number } {
  // Hair pixels are the ones nearer to a hair colour than to the face (blur and resizing mix the two at the hairline).
  const hairColours = Object.values(HAIR_PALETTE);
  const notSkin = (pixels: readonly Colour3[]) =>
    f.skin ? pixels.filter((p) => colourDistance(p, f.skin!) > Math.max(20, Math.min(...hairColours.map((h) => colourDistance(p, h))))) : pixels;
  const sideColour = softVote(notSkin(f.hairSide), HAIR_PALETTE, COLOUR_SIGMA) ?? uniform(Object.keys(HAIR_PALETTE));
  const topColour = softVote(notSkin(f.hairTop), HAIR_PALETTE, COLOUR_SIGMA) ?? sideColour;
  // Only long hair or a hood fills the gap beside the neck; a hood fills it with the top's colour.
  const hoodLike = share(f.neckPixels, f.torso, 45);
  const long = sigmoid((f.neckFill * (1 - pHood * hoodLike) - 0.35) / 0.08);
  const hairPixels = notSkin(f.neckPixels.filter((p) => !f.torso || colourDistance(p, f.torso) > 45 || pHood < 0.5));
  const neckColour = softVote(hairPixels, HAIR_PALETTE, COLOUR_SIGMA);
  let colour = blend([[pHat, sideColour], [1 - pHat, topColour]]);
  // Long hair shows its colour best below a hat.
  if (neckColour && long > 0.5) colour = blend([[1 - pHat * 0.7, colour], [pHat * 0.7 + 0.2, neckColour]]);
  return { colour, long };
}

function upperType(f: ReaderFeatures): Probs {
  const tshirt = sigmoid((f.armSkin - 0.2) / 0.05);
  const thighIsTop = f.thigh && f.torso ? sigmoid((50 - colourDistance(f.thigh, f.torso)) / 8) : 0;
  const coat = sigmoid((f.coatWidth - 24.5) / 1) * thighIsTop;
  const hood = sigmoid((f.hoodFill * share(f.hoodPixels, f.torso, 50) - 0.3) / 0.08);
  return {
    't-shirt': tshirt,
    coat: (1 - tshirt) * coat,
    hoodie: (1 - tshirt) * (1 - coat) * hood,
    jacket: (1 - tshirt) * (1 - coat) * (1 - hood),
  };
}

function lower(f: ReaderFeatures): { type: Probs; colour: Probs } {
  const skirt = sigmoid((f.hemWidth - 29) / 1.2);
  const bare = sigmoid((f.shinSkin - 0.5) / 0.1);
  const type = { skirt, shorts: (1 - skirt) * bare, trousers: (1 - skirt) * (1 - bare) };
  const colour = blend([
    [type.trousers, zoneColour(f.shinPixels, GARMENT_PALETTE)],
    [type.shorts, zoneColour(f.shortsPixels, GARMENT_PALETTE)],
    [type.skirt, zoneColour(f.skirtPixels, GARMENT_PALETTE)],
  ]);
  return { type, colour };
}

function bag(f: ReaderFeatures): { type: Probs; colour: Probs } {
  // Each bag has two cues (straps and the pack's sides; the bag beside the hip and the diagonal strap);
  // their log-odds add up, so one hidden cue (a strap the colour of the top) does not hide the bag.
  const strapLogit = Math.max(-2, Math.min(6, (f.straps - 0.45) / 0.07));
  const backpack = sigmoid(strapLogit + (f.packSides - f.shoulderHalf - 5.6) / 0.8);
  const shoulder = sigmoid((f.hipBag - 0.95) / 0.02 + (f.diagonal - 0.1) / 0.1);
  const hand = sigmoid((f.handBag - 0.45) / 0.06);
  const type = {
    backpack,
    'shoulder bag': (1 - backpack) * shoulder,
    handbag: (1 - backpack) * (1 - shoulder) * hand,
    none: (1 - backpack) * (1 - shoulder) * (1 - hand),
  };
  const colour = blend([
    [type.backpack, zoneColour([...f.strapPixels, ...f.packPixels], GARMENT_PALETTE)],
    [type['shoulder bag'], zoneColour(f.hipBagPixels, GARMENT_PALETTE)],
    [type.handbag, zoneColour(f.handBagPixels, GARMENT_PALETTE)],
  ]);
  return { type, colour };
}

function held(f: ReaderFeatures): Probs {
  // A phone at the ear: something at the left of the head, and the left forearm gone from where it hangs.
  const phone = sigmoid((f.earObject - 0.3) / 0.06 + Math.max(-2, Math.min(3, (f.leftArmMissing - 0.2) / 0.08)));
  const umbrella = sigmoid((f.longObject - 0.22) / 0.04);
  const bottle = sigmoid((f.shortObject - 0.12) / 0.03);
  return {
    phone,
    umbrella: (1 - phone) * umbrella,
    bottle: (1 - phone) * (1 - umbrella) * bottle,
    none: (1 - phone) * (1 - umbrella) * (1 - bottle),
  };
}

/** Evidence with every slot uniform: nothing could be read. */
function noEvidence(): AttributeEvidence {
  return Object.fromEntries(DEMO_SLOTS.map((s) => [s.key, uniform(s.values)])) as AttributeEvidence;
}

/**
 * Attribute evidence read from the pixels of a pedestrian image (any size with the 1:3 aspect of the
 * renders, e.g. 128×384 or 64×192): per slot, a probability per value. Colour slots of absent items (bag,
 * hat) carry the item's presence probability in total, so a bare head gives no hat colour.
 */
export function readAttributes(img: RgbImage): AttributeEvidence {
  const f = measureFigure(img);
  if (!f) return noEvidence();
  const pHat = sigmoid((f.topHalfWidth - 18) / 0.7);
  const top = upperType(f);
  const h = hair(f, pHat, top.hoodie);
  const lo = lower(f);
  const b = bag(f);
  const man = sigmoid((f.shoulderHalf - 24.7) / 0.6);
  const glasses = sigmoid((0.6 - f.eyeDarkness) / 0.07);
  const raw: Record<DemoSlotKey, Probs> = {
    gender: { man, woman: 1 - man },
    hairColour: h.colour,
    hairLength: { long: h.long, short: 1 - h.long },
    upperType: top,
    upperColour: zoneColour(f.torsoPixels, GARMENT_PALETTE),
    lowerType: lo.type,
    lowerColour: lo.colour,
    shoeColour: f.shoePixels.length > 0 ? softNearest(medianColour(f.shoePixels)!, SHOE_PALETTE, COLOUR_SIGMA) : uniform(SHOE_COLOURS),
    bag: b.type,
    bagColour: b.colour,
    hat: { yes: pHat, no: 1 - pHat },
    hatColour: f.hatCrown ? softNearest(f.hatCrown, GARMENT_PALETTE, COLOUR_SIGMA) : uniform(Object.keys(GARMENT_PALETTE)),
    glasses: { yes: glasses, no: 1 - glasses },
    held: held(f),
  };
  const evidence: Record<DemoSlotKey, Probs> = Object.fromEntries(DEMO_SLOTS.map((s) => [s.key, soften(raw[s.key], FLOOR)])) as Record<DemoSlotKey, Probs>;
  evidence.bagColour = scale(evidence.bagColour, 1 - evidence.bag.none);
  evidence.hatColour = scale(evidence.hatColour, evidence.hat.yes);
  return evidence;
}
