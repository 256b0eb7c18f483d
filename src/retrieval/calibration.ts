/**
 * CLIP's trained logit scale (OpenAI CLIP clamps the learned temperature at 100): CLIP itself turns
 * cosines into match probabilities as softmax(100 · cosine) over the candidates.
 */
export const CLIP_LOGIT_SCALE = 100;

/** Candidates the softmax runs over; gallery images below the best 100 add almost nothing to its sum. */
export const CALIBRATION_POOL = 100;

/**
 * Calibrated scores in [0, 1] for one query: softmax(logitScale · cosine) over its best candidates —
 * the model's probability that each image, rather than another of the gallery, is the one described.
 * Scores fall as competition rises: a top-1 of 0.85 or more (the MTI early-stop threshold ξ) means the
 * top image beats every other candidate clearly, not merely that its cosine is high.
 * @param cosines the candidates' cosines, any order
 */
export function calibratedScores(cosines: ArrayLike<number>, logitScale = CLIP_LOGIT_SCALE): number[] {
  if (cosines.length === 0) return [];
  let max = -Infinity;
  for (let i = 0; i < cosines.length; i++) max = Math.max(max, cosines[i]);
  const exps = Array.from({ length: cosines.length }, (_, i) => Math.exp(logitScale * (cosines[i] - max)));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}
