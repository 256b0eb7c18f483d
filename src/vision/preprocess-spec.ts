/**
 * How a model wants its pixels: read from `preprocessor_config.json` (Hugging Face) or
 * `visual/preprocess_cfg.json` (immich), never hard-coded.
 */
export interface PreprocessSpec {
  /** Output height and width in pixels (e.g. 224×224 for CLIP, 384×128 for person-search models). */
  height: number;
  width: number;
  /**
   * `squash`: resize straight to height×width, ignoring aspect ratio.
   * `shortest`: resize so the shorter edge equals `shortestEdge`, then centre-crop height×width.
   */
  resizeMode: 'squash' | 'shortest';
  /** Target of the shorter edge for `shortest` (defaults to min(height, width) when the config has none). */
  shortestEdge?: number;
  interpolation: 'bicubic' | 'bilinear' | 'nearest';
  /** Multiplier applied to 0–255 values before normalising (1/255 for CLIP). */
  rescaleFactor: number;
  /** Per-channel RGB mean and std applied after rescaling. */
  mean: [number, number, number];
  std: [number, number, number];
}

/** OpenAI CLIP's normalisation constants (used when a config omits them). */
export const CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];
