import type * as TfCore from '@tensorflow/tfjs';
import type { Tf } from './tf-backend.js';

/** IRRA's SDM temperature τ = 0.02, fixed (paper §4.2, appendix). */
export const SDM_SCALE = 1 / 0.02;
const EPSILON = 1e-8;

/**
 * IRRA's similarity-distribution-matching loss, both directions: KL(p ‖ q) where p is the softmax of the
 * scaled cosine similarities of one batch and q the identity-match distribution (1 for every pair of the same
 * person, rows normalised to sum to 1).
 * @param similarity texts × images cosine similarities of one batch.
 * @param personCodes int32 person code of each pair.
 */
export function sdmLoss(tf: Tf, similarity: TfCore.Tensor2D, personCodes: TfCore.Tensor1D): TfCore.Scalar {
  const same = tf.cast(tf.equal(tf.expandDims(personCodes, 1), tf.expandDims(personCodes, 0)), 'float32');
  const logQ = tf.log(tf.add(tf.div(same, tf.sum(same, 1, true)), EPSILON));
  const direction = (logits: TfCore.Tensor2D) => {
    const logP = tf.logSoftmax(logits, 1);
    return tf.mean(tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), 1));
  };
  const scaled = tf.mul(similarity, SDM_SCALE) as TfCore.Tensor2D;
  // q is symmetric, so the image→text direction uses the same target.
  return tf.add(direction(scaled), direction(tf.transpose(scaled))) as TfCore.Scalar;
}

/**
 * The CLIP image–text contrastive loss with a learnable temperature: cross-entropy of each text against the
 * batch's images and back, the pair's own image being the target.
 */
export function contrastiveLoss(tf: Tf, similarity: TfCore.Tensor2D, logLogitScale: TfCore.Variable): TfCore.Scalar {
  const n = similarity.shape[0];
  const logits = tf.mul(similarity, tf.exp(logLogitScale)) as TfCore.Tensor2D;
  const target = tf.oneHot(tf.range(0, n, 1, 'int32') as TfCore.Tensor1D, n);
  const ce = (l: TfCore.Tensor2D) => tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(l, 1)), 1)));
  return tf.div(tf.add(ce(logits), ce(tf.transpose(logits))), 2) as TfCore.Scalar;
}
