/** The learning-rate schedule of the paper's settings (§4.2): linear warm-up from lr/10, then cosine decay to 0. */
export interface LrSchedule {
  /** Peak learning rate, reached at the end of warm-up. */
  lr: number;
  totalSteps: number;
  warmupSteps: number;
}

/** Warm-up over 5 of every 60 epochs (at least one epoch when there is more than one), as in §4.2. */
export function warmupEpochs(epochs: number): number {
  return epochs <= 1 ? 0 : Math.max(1, Math.round((epochs * 5) / 60));
}

/** Learning rate at 0-based `step`. */
export function learningRateAt(s: LrSchedule, step: number): number {
  if (step < s.warmupSteps) return s.lr * (0.1 + (0.9 * step) / s.warmupSteps);
  const decaySteps = Math.max(1, s.totalSteps - s.warmupSteps);
  const t = Math.min(1, (step - s.warmupSteps) / decaySteps);
  return 0.5 * s.lr * (1 + Math.cos(Math.PI * t));
}
