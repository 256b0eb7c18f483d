import { COLOUR_RGB, HAIR_RGB, type Colour, type PersonAttributes } from './attributes.js';
import { SKIN_TONES, type Appearance, type Jitter, type Rgb } from './appearance.js';
import {
  ARM,
  BACKPACK,
  BODY,
  EYE_Y,
  HAIR,
  HANDBAG,
  HAT,
  HEAD,
  HELD,
  HEM,
  HIP_Y,
  HOOD,
  LEG,
  LONG_HAIR_END,
  NECK,
  SHOE,
  SHOULDER_BAG,
  SHOULDER_Y,
  WAIST_Y,
  type BodyShape,
} from './figure-geometry.js';
import { ellipse, mix, outline, path, polygon, rect, shade, stroke, n, type Point } from './svg-paint.js';

// The pedestrian in figure units (figure-geometry.ts), front view; the image's left is the person's right.

interface Arm {
  shoulder: Point;
  elbow: Point;
  hand: Point;
}

interface Figure {
  a: PersonAttributes;
  body: BodyShape;
  skin: Rgb;
  hair: Rgb;
  upper: Rgb;
  lower: Rgb;
  bag: Rgb;
  left: Arm;
  right: Arm;
  /** Ankle points of the image-left and image-right legs. */
  ankles: [Point, Point];
  umbrella: Rgb;
}

const rad = (deg: number) => (deg * Math.PI) / 180;
const colour = (c: Colour | null): Rgb => COLOUR_RGB[c ?? 'black'];

/** Arm from the shoulder pivot, angles outward from vertical; side −1 is image left. */
function hangingArm(body: BodyShape, side: -1 | 1, [upperDeg, foreDeg]: readonly [number, number]): Arm {
  const shoulder: Point = [side * (body.shoulder - ARM.inset), ARM.pivotY];
  const elbow: Point = [shoulder[0] + side * ARM.upper * Math.sin(rad(upperDeg)), shoulder[1] + ARM.upper * Math.cos(rad(upperDeg))];
  const hand: Point = [elbow[0] + side * ARM.fore * Math.sin(rad(foreDeg)), elbow[1] + ARM.fore * Math.cos(rad(foreDeg))];
  return { shoulder, elbow, hand };
}

function layout(a: PersonAttributes, appearance: Appearance, jitter: Jitter): Figure {
  const body = BODY[a.gender];
  // Objects hanging from a hand need the arm a little away from the body to be seen.
  const leftAngles: [number, number] = a.held === 'umbrella' || a.held === 'bottle' ? [Math.max(jitter.armLeft[0], 8), Math.max(jitter.armLeft[1], 9)] : jitter.armLeft;
  const rightAngles: [number, number] = a.bag === 'handbag' ? [Math.max(jitter.armRight[0], 8), Math.max(jitter.armRight[1], 10)] : jitter.armRight;
  let left = hangingArm(body, -1, leftAngles);
  if (a.held === 'phone') {
    // Phone at the ear: the elbow drops beside the chest and the forearm rises to the head (foreshortened).
    left = { shoulder: left.shoulder, elbow: [-(body.shoulder + 9), 96], hand: [-HEAD.rx - 3, 30] };
  }
  const right = hangingArm(body, 1, rightAngles);
  const ankle = (side: -1 | 1, deg: number): Point => [side * (body.legX + LEG.length * Math.sin(rad(deg))), LEG.top + LEG.length * Math.cos(rad(deg))];
  return {
    a,
    body,
    skin: SKIN_TONES[appearance.skinTone] ?? SKIN_TONES[0],
    hair: HAIR_RGB[a.hairColour],
    upper: colour(a.upperColour),
    lower: colour(a.lowerColour),
    bag: colour(a.bagColour),
    left,
    right,
    ankles: [ankle(-1, jitter.legLeft), ankle(1, jitter.legRight)],
    umbrella: appearance.umbrellaColour,
  };
}

/** Point on a leg's axis at height y, from its top to its ankle. */
function legAt(f: Figure, side: 0 | 1, y: number): number {
  const topX = (side === 0 ? -1 : 1) * f.body.legX;
  const t = (y - LEG.top) / (f.ankles[side][1] - LEG.top);
  return topX + (f.ankles[side][0] - topX) * t;
}

/** A leg-shaped quad from y0 to y1, `extra` wider than the bare leg on each side. */
function legQuad(f: Figure, side: 0 | 1, y0: number, y1: number, extra: number): Point[] {
  const half = (y: number) => LEG.topHalf + (LEG.ankleHalf - LEG.topHalf) * ((y - LEG.top) / (LEG.ankle - LEG.top)) + extra;
  const x0 = legAt(f, side, y0);
  const x1 = legAt(f, side, y1);
  return [
    [x0 - half(y0), y0],
    [x0 + half(y0), y0],
    [x1 + half(y1), y1],
    [x1 - half(y1), y1],
  ];
}

function legs(f: Figure): string[] {
  const out: string[] = [];
  for (const side of [0, 1] as const) out.push(polygon(legQuad(f, side, LEG.top, LEG.ankle + 2, 0), f.skin, shade(f.skin, 0.85), 0.8));
  // Shoes go under the trouser hems.
  const shoe = COLOUR_RGB[f.a.shoeColour];
  for (const [x] of f.ankles) {
    out.push(rect(x - SHOE.halfWidth, SHOE.cy - SHOE.height / 2, SHOE.halfWidth * 2, SHOE.height, 6, shoe, outline(shoe), 1));
  }
  const { hip } = f.body;
  const edge = outline(f.lower);
  if (f.a.lowerType === 'skirt') {
    out.push(path(`M ${n(-hip - 1)} 144 L ${n(hip + 1)} 144 L ${n(hip + 13)} ${HEM.skirt} Q 0 ${HEM.skirt + 5} ${n(-hip - 13)} ${HEM.skirt} Z`, f.lower, edge));
    return out;
  }
  const hem = f.a.lowerType === 'shorts' ? HEM.shorts : LEG.ankle + 2;
  const extra = f.a.lowerType === 'shorts' ? 3 : 1.5;
  for (const side of [0, 1] as const) out.push(polygon(legQuad(f, side, 144, hem, extra), f.lower, edge));
  out.push(polygon([[-hip - 1, 144], [hip + 1, 144], [hip, 168], [2, 178], [-2, 178], [-hip, 168]], f.lower));
  return out;
}

function torso(f: Figure): string[] {
  const { shoulder: sh, waist: w, hip } = f.body;
  const type = f.a.upperType;
  const hem = type === 't-shirt' ? HEM.tshirt : type === 'coat' ? HEM.coat : HEM.jacket;
  const side = (s: -1 | 1): Point[] =>
    type === 'coat'
      ? [[s * sh, 58], [s * w, WAIST_Y], [s * (hip + 1), HIP_Y], [s * (hip + 8), hem]]
      : [[s * sh, 58], [s * w, WAIST_Y], [s * (hip + 1), Math.min(HIP_Y, hem)], [s * (hip + 1), hem]];
  const leftSide = side(-1);
  const rightSide = side(1).reverse();
  const pts = [...leftSide, ...rightSide].map(([x, y]) => `${n(x)} ${n(y)}`).join(' L ');
  const d = `M -6 ${SHOULDER_Y} Q ${n(-sh + 3)} ${SHOULDER_Y - 1} ${pts} Q ${n(sh - 3)} ${SHOULDER_Y - 1} 6 ${SHOULDER_Y} Q 0 ${SHOULDER_Y + 7} -6 ${SHOULDER_Y} Z`;
  const detail = outline(f.upper);
  const out = [path(d, f.upper, detail)];
  if (type === 'jacket') {
    out.push(stroke([[0, SHOULDER_Y + 6], [0, hem]], detail, 1.2));
    out.push(polygon([[-6, SHOULDER_Y], [-1, SHOULDER_Y + 10], [-9, SHOULDER_Y + 4]], f.upper, detail, 0.8));
    out.push(polygon([[6, SHOULDER_Y], [1, SHOULDER_Y + 10], [9, SHOULDER_Y + 4]], f.upper, detail, 0.8));
  } else if (type === 'coat') {
    out.push(stroke([[1, SHOULDER_Y + 6], [1, hem]], detail, 1.2));
    for (const y of [78, 102, 126]) out.push(ellipse(-3, y, 1.4, 1.4, detail));
  } else if (type === 'hoodie') {
    out.push(path(`M -13 118 L 13 118 L 16 146 L -16 146 Z`, null, detail, 1));
  } else {
    out.push(stroke([[-f.body.hip - 1, hem - 2], [f.body.hip + 1, hem - 2]], detail, 0.8));
  }
  return out;
}

function hood(f: Figure): string[] {
  const light = mix(f.upper, [245, 245, 245], 0.55);
  return [
    ellipse(0, HOOD.cy, HOOD.rx, HOOD.ry, f.upper, outline(f.upper), 1),
    stroke([[-4, 52], [-5, 74]], light, 1.2),
    stroke([[4, 52], [5, 74]], light, 1.2),
  ];
}

function longHairBack(f: Figure): string {
  return path(`M -15 12 L -18 ${LONG_HAIR_END} Q 0 ${LONG_HAIR_END + 6} 18 ${LONG_HAIR_END} L 15 12 Z`, f.hair);
}

function longHairFront(f: Figure): string[] {
  return [-1, 1].map((s) =>
    polygon([[s * 14.5, 16], [s * 17.5, 40], [s * 18, LONG_HAIR_END], [s * 11, LONG_HAIR_END - 4], [s * 10.5, 46], [s * 12, 28]], f.hair, shade(f.hair, 0.8), 0.8),
  );
}

/** Arm with its sleeve: short sleeves leave the forearm bare, long ones end at the wrist. */
function arm(f: Figure, a: Arm): string[] {
  const out = [stroke([a.shoulder, a.elbow, a.hand], f.skin, ARM.foreWidth)];
  const edge = outline(f.upper);
  if (f.a.upperType === 't-shirt') {
    const end: Point = [a.shoulder[0] + (a.elbow[0] - a.shoulder[0]) * 0.55, a.shoulder[1] + (a.elbow[1] - a.shoulder[1]) * 0.55];
    out.push(stroke([a.shoulder, end], edge, ARM.upperWidth + 3.5), stroke([a.shoulder, end], f.upper, ARM.upperWidth + 2));
  } else {
    const wrist: Point = [a.hand[0] + (a.elbow[0] - a.hand[0]) * 0.12, a.hand[1] + (a.elbow[1] - a.hand[1]) * 0.12];
    out.push(stroke([a.shoulder, a.elbow, wrist], edge, ARM.upperWidth + 1.5), stroke([a.shoulder, a.elbow, wrist], f.upper, ARM.upperWidth));
  }
  out.push(hand(f, a));
  return out;
}

function hand(f: Figure, a: Arm): string {
  return ellipse(a.hand[0], a.hand[1], ARM.handR, ARM.handR, f.skin, shade(f.skin, 0.8), 0.8);
}

function backpack(f: Figure): string {
  const half = f.body.shoulder + BACKPACK.extra;
  return rect(-half, BACKPACK.top, half * 2, BACKPACK.bottom - BACKPACK.top, 9, f.bag, outline(f.bag), 1.2);
}

function backpackStraps(f: Figure): string[] {
  return [-1, 1].flatMap((s) => {
    const line: Point[] = [[s * BACKPACK.strapX, SHOULDER_Y - 1], [s * (BACKPACK.strapX + 1), BACKPACK.strapEnd]];
    return [stroke(line, outline(f.bag), BACKPACK.strapHalf * 2 + 1.5, 'butt'), stroke(line, f.bag, BACKPACK.strapHalf * 2, 'butt')];
  });
}

function shoulderBag(f: Figure): string[] {
  const x0 = f.body.hip - 3;
  const line: Point[] = [[-(f.body.shoulder - 8), SHOULDER_BAG.strapFromY], [x0 + 6, SHOULDER_BAG.bagTop + 2]];
  const height = SHOULDER_BAG.bagBottom - SHOULDER_BAG.bagTop;
  return [
    stroke(line, outline(f.bag), SHOULDER_BAG.strapHalf * 2 + 1.5),
    stroke(line, f.bag, SHOULDER_BAG.strapHalf * 2),
    rect(x0, SHOULDER_BAG.bagTop, SHOULDER_BAG.bagWidth, height, 4, f.bag, outline(f.bag), 1.2),
    stroke([[x0 + 1, SHOULDER_BAG.bagTop + 10], [x0 + SHOULDER_BAG.bagWidth - 1, SHOULDER_BAG.bagTop + 10]], outline(f.bag), 1),
  ];
}

function handbag(f: Figure): string[] {
  const [hx, hy] = f.right.hand;
  const { top, bottom, halfWidth: w } = HANDBAG;
  return [
    path(`M ${n(hx - 7)} ${n(hy + top + 2)} Q ${n(hx)} ${n(hy - 8)} ${n(hx + 7)} ${n(hy + top + 2)}`, null, f.bag, 2.4),
    path(`M ${n(hx - w + 2)} ${n(hy + top)} L ${n(hx + w - 2)} ${n(hy + top)} L ${n(hx + w)} ${n(hy + bottom)} L ${n(hx - w)} ${n(hy + bottom)} Z`, f.bag, outline(f.bag), 1.2),
  ];
}

function heldObject(f: Figure): string[] {
  const [hx, hy] = f.left.hand;
  if (f.a.held === 'bottle') {
    const c: Rgb = [84, 172, 198];
    return [rect(hx - HELD.bottleHalf, hy - 4, HELD.bottleHalf * 2, HELD.bottleLength, 3, c, shade(c, 0.7), 1)];
  }
  if (f.a.held === 'umbrella') {
    const c = f.umbrella;
    const w = HELD.umbrellaHalf;
    const len = HELD.umbrellaLength;
    return [
      stroke([[hx, hy + 4], [hx, hy + len]], [60, 60, 64], 1.6),
      polygon([[hx - 1.5, hy + 9], [hx + 1.5, hy + 9], [hx + w, hy + 42], [hx + 1.2, hy + len - 10], [hx - 1.2, hy + len - 10], [hx - w, hy + 42]], c, shade(c, 0.6), 1),
      path(`M ${n(hx)} ${n(hy + 6)} L ${n(hx)} ${n(hy - 3)} Q ${n(hx)} ${n(hy - 9)} ${n(hx + 5)} ${n(hy - 7)}`, null, [50, 40, 36], 2.5),
    ];
  }
  return [];
}

function neck(f: Figure, bottom: number): string {
  return rect(-NECK.half, NECK.top, NECK.half * 2, bottom - NECK.top, 2, f.skin);
}

function head(f: Figure): string[] {
  const out = [ellipse(0, HAIR.cy, HAIR.rx, HAIR.ry, f.hair)];
  out.push(ellipse(HEAD.cx, HEAD.cy, HEAD.rx, HEAD.ry, f.skin, shade(f.skin, 0.85), 0.8));
  // Fringe over the forehead.
  out.push(path(`M -13 15 Q -10 3 0 4 Q 10 3 13 15 Q 8 8 0 9 Q -8 8 -13 15 Z`, f.hair));
  if (f.a.glasses === 'yes') {
    const dark: Rgb = [18, 18, 22];
    out.push(ellipse(-5.3, EYE_Y, 4.4, 3.2, dark), ellipse(5.3, EYE_Y, 4.4, 3.2, dark));
    out.push(stroke([[-1.5, EYE_Y - 0.8], [1.5, EYE_Y - 0.8]], dark, 1.2), stroke([[-9.5, EYE_Y - 1], [-12.3, EYE_Y - 2]], dark, 1), stroke([[9.5, EYE_Y - 1], [12.3, EYE_Y - 2]], dark, 1));
  } else {
    const eye: Rgb = [58, 42, 36];
    out.push(ellipse(-5, EYE_Y + 0.5, 1.2, 1.2, eye), ellipse(5, EYE_Y + 0.5, 1.2, 1.2, eye));
  }
  out.push(path('M -3 29.5 Q 0 31 3 29.5', null, shade(f.skin, 0.62), 1));
  return out;
}

function hat(f: Figure): string[] {
  const c = colour(f.a.hatColour);
  const { top, brimY, brimHalf, crownHalf: w } = HAT;
  return [
    path(`M ${-w} ${brimY} L ${-w + 0.5} ${top + 6} Q ${-w + 1} ${top} 0 ${top} Q ${w - 1} ${top} ${w - 0.5} ${top + 6} L ${w} ${brimY} Z`, c, outline(c)),
    rect(-w, brimY - 6, w * 2, 4, 1, outline(c)),
    ellipse(0, brimY, brimHalf, 3.2, c, outline(c), 1),
  ];
}

/** The figure's SVG elements in figure units, back to front. */
export function figureSvg(a: PersonAttributes, appearance: Appearance, jitter: Jitter): string {
  const f = layout(a, appearance, jitter);
  const out: string[] = [];
  if (a.hairLength === 'long') out.push(longHairBack(f));
  if (a.bag === 'backpack') out.push(backpack(f));
  out.push(...legs(f));
  out.push(neck(f, NECK.bottom));
  out.push(...torso(f));
  // The hood sits around the neck, so the neck shows again inside it.
  if (a.upperType === 'hoodie') out.push(...hood(f), neck(f, NECK.bottom - 7));
  if (a.bag === 'backpack') out.push(...backpackStraps(f));
  if (a.hairLength === 'long') out.push(...longHairFront(f));
  out.push(...arm(f, f.right));
  if (a.held !== 'phone') out.push(...arm(f, f.left));
  if (a.bag === 'shoulder bag') out.push(...shoulderBag(f));
  if (a.bag === 'handbag') out.push(...handbag(f), hand(f, f.right));
  if (a.held === 'umbrella' || a.held === 'bottle') out.push(...heldObject(f), hand(f, f.left));
  out.push(...head(f));
  if (a.hat === 'yes') out.push(...hat(f));
  if (a.held === 'phone') {
    const [hx, hy] = f.left.hand;
    out.push(rect(hx - 3.5, hy - 13, 6.5, 15, 1.5, [26, 26, 30], [70, 70, 76], 0.8));
    out.push(...arm(f, f.left));
  }
  return out.join('');
}
