import type { PreprocessSpec } from './preprocess-spec.js';

/**
 * The geometry of one preprocessing run: resize the oriented image to `resizeWidth`×`resizeHeight`, keep the
 * `crop*` region of the result, and place it at (`padLeft`, `padTop`) in the spec's width×height output.
 * Padding is only non-zero when the resized image is smaller than the output in that dimension.
 */
export interface ResizePlan {
  resizeWidth: number;
  resizeHeight: number;
  cropLeft: number;
  cropTop: number;
  cropWidth: number;
  cropHeight: number;
  padLeft: number;
  padTop: number;
}

/** True when the plan keeps only part of the resized image (an extract step is needed). */
export function planCrops(plan: ResizePlan): boolean {
  return plan.cropWidth !== plan.resizeWidth || plan.cropHeight !== plan.resizeHeight;
}

/** True when the kept region does not fill the whole output (the rest is padded). */
export function planPads(plan: ResizePlan, spec: PreprocessSpec): boolean {
  return plan.cropWidth !== spec.width || plan.cropHeight !== spec.height;
}

/**
 * Computes the resize/crop geometry for an image of `srcWidth`×`srcHeight` (already EXIF-oriented), matching
 * Hugging Face's CLIPImageProcessor: the long edge becomes floor(short_target × long / short), and the centre
 * crop starts at floor((resized − crop) / 2).
 */
export function planResize(srcWidth: number, srcHeight: number, spec: PreprocessSpec): ResizePlan {
  if (spec.resizeMode === 'squash') {
    return {
      resizeWidth: spec.width,
      resizeHeight: spec.height,
      cropLeft: 0,
      cropTop: 0,
      cropWidth: spec.width,
      cropHeight: spec.height,
      padLeft: 0,
      padTop: 0,
    };
  }
  const target = spec.shortestEdge ?? Math.min(spec.height, spec.width);
  const short = Math.min(srcWidth, srcHeight);
  const long = Math.max(srcWidth, srcHeight);
  // Same operation order as transformers' get_resize_output_image_size, so float rounding agrees.
  const newLong = Math.max(1, Math.floor((target * long) / short));
  const resizeWidth = srcWidth <= srcHeight ? target : newLong;
  const resizeHeight = srcWidth <= srcHeight ? newLong : target;
  const x = centreCrop(resizeWidth, spec.width);
  const y = centreCrop(resizeHeight, spec.height);
  return {
    resizeWidth,
    resizeHeight,
    cropLeft: x.offset,
    cropTop: y.offset,
    cropWidth: x.length,
    cropHeight: y.length,
    padLeft: x.pad,
    padTop: y.pad,
  };
}

/**
 * One axis of transformers' `center_crop`: crop at floor((size − out) / 2) when the image is big enough;
 * otherwise keep all of it and pad zeros, the image starting at ceil((out − size) / 2).
 */
function centreCrop(size: number, out: number): { offset: number; length: number; pad: number } {
  if (size >= out) return { offset: Math.floor((size - out) / 2), length: out, pad: 0 };
  return { offset: 0, length: size, pad: Math.ceil((out - size) / 2) };
}
