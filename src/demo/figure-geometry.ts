// Proportions of the rendered pedestrian, in figure units: x = 0 on the body's axis, y = 0 at the top of the
// hair, y = FIGURE_HEIGHT at the soles. The renderer draws with them; the pixel reader uses them only as a
// body-proportion prior (where a head, a sleeve or a shoe is on a standing figure), never as ground truth.

/** Hair top to soles, in figure units (the renderer scales this to about 300–340 px). */
export const FIGURE_HEIGHT = 318;

/** Image size of every render (W×H), as person re-identification crops are. */
export const IMAGE_WIDTH = 128;
export const IMAGE_HEIGHT = 384;

export const HEAD = { cx: 0, cy: 21, rx: 12.5, ry: 15.5 } as const;
export const HAIR = { cy: 17, rx: 15.5, ry: 17 } as const;
export const EYE_Y = 20;
export const NECK = { top: 32, bottom: 54, half: 5 } as const;

export const SHOULDER_Y = 48;
export const WAIST_Y = 128;
export const HIP_Y = 150;

/** Half-widths of the body at the shoulders, waist and hips. */
export interface BodyShape {
  shoulder: number;
  waist: number;
  hip: number;
  /** Horizontal distance of each leg's axis from the body's axis. */
  legX: number;
}

export const BODY: Readonly<Record<'man' | 'woman', BodyShape>> = {
  man: { shoulder: 25, waist: 20, hip: 20, legX: 10 },
  woman: { shoulder: 20, waist: 15.5, hip: 23, legX: 11 },
};

export const ARM = { pivotY: 57, inset: 5, upper: 54, fore: 50, upperWidth: 12, foreWidth: 10, handR: 5.5 } as const;
export const LEG = { top: 146, knee: 226, ankle: 302, length: 156, topHalf: 10, ankleHalf: 6.5 } as const;
export const SHOE = { cy: 310, halfWidth: 9, height: 15 } as const;

/** Where each garment ends (y). */
export const HEM = { tshirt: 152, jacket: 160, coat: 222, shorts: 196, skirt: 238 } as const;

/** Long hair falls to here, over the shoulders. */
export const LONG_HAIR_END = 88;

/** The hat: crown from y −9 to the brim at y 9; the brim is wider than any hair. */
export const HAT = { top: -9, brimY: 9, brimHalf: 21.5, crownHalf: 11 } as const;

/** A hood lying around the neck and the back of the head. */
export const HOOD = { cy: 39, rx: 24, ry: 16 } as const;

/** Backpack: straps over the shoulders; the pack sticks out past the arms. */
export const BACKPACK = { top: 64, bottom: 150, extra: 10, strapX: 12.5, strapHalf: 3.5, strapEnd: 132 } as const;

/** Shoulder bag: a strap from the figure's right shoulder (image left) to a bag at the left hip (image right). */
export const SHOULDER_BAG = { strapFromY: 50, bagTop: 140, bagBottom: 172, bagWidth: 22, strapHalf: 2.5 } as const;

/** Handbag hanging from the image-right hand, below it. */
export const HANDBAG = { top: 6, bottom: 27, halfWidth: 11 } as const;

/** Objects held in the image-left hand. */
export const HELD = { bottleLength: 27, bottleHalf: 4.5, umbrellaLength: 118, umbrellaHalf: 6 } as const;
