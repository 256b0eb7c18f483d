// The settings of an MTI round and their defaults.

/** Round settings; see DEFAULT_ROUND_OPTIONS. */
export interface MtiRoundOptions {
  /** Candidates checked by the MLLM (K, default 20). */
  K?: number;
  /** Anchors kept: the highest-ranked "yes" answers (default 3). */
  maxAnchors?: number;
  /** Early-stop threshold on the top-1 calibrated score (ξ, default 0.85). */
  xi?: number;
  /** Eq. 7 weight of the original description (λ). */
  lambda?: number;
  /** Questions put to the witness per round (default 2). */
  witnessPerRound?: number;
  /** Visual questions every checked candidate answers in its one MLLM call (default 6). */
  mllmPerRound?: number;
  /** Candidates re-ranked (default 100). */
  rerankPool?: number;
  /** Check candidates one at a time, as the paper's appendix C does (for the comparison measurement). */
  sequentialAnchorVerification?: boolean;
  /** Ask the MLLM for follow-up questions about the best candidate (default true). */
  followUps?: boolean;
  /**
   * Probability that the person has the value an MLLM answer names before it counts as a fact about the
   * person (default 0.9; see `agreedAnswers`).
   */
  agreement?: number;
}

/**
 * Default λ of Eq. 7. Chosen on the demo benchmark (seed 1, 200 people, 150 evenly spread queries, two
 * rounds): the dialogues were run once, then re-ranked with λ ∈ {0.2, 0.35, 0.5, 0.65, 0.8}, and the λ with
 * the best mean mAP over both MTI modes after round 2 won (59.5, 60.2, 60.7, 61.2, 60.4). mAP rather than
 * R1 because it covers the whole ranking.
 */
export const DEFAULT_LAMBDA = 0.65;

export const DEFAULT_ROUND_OPTIONS: Required<MtiRoundOptions> = {
  K: 20,
  maxAnchors: 3,
  xi: 0.85,
  lambda: DEFAULT_LAMBDA,
  witnessPerRound: 2,
  mllmPerRound: 6,
  rerankPool: 100,
  sequentialAnchorVerification: false,
  followUps: true,
  agreement: 0.9,
};
