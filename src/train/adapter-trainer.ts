import type * as TfCore from '@tensorflow/tfjs';
import type { AdapterSide, AdapterWeights } from './adapter-weights.js';
import { contrastiveLoss, sdmLoss } from './train-losses.js';
import type { Tf } from './tf-backend.js';

/** AdamW settings (decoupled weight decay pulls the adapter back towards the identity). */
export interface OptimiserSettings {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export const DEFAULT_OPTIMISER: OptimiserSettings = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-4 };

interface SideVars {
  down: TfCore.Variable;
  up: TfCore.Variable;
}

/** The adapter as TensorFlow.js variables, with its forward pass, loss and one AdamW step. */
export class AdapterTrainer {
  readonly #vars: Partial<Record<AdapterSide, SideVars>> = {};
  readonly #logScale: TfCore.Variable;
  readonly #moments = new Map<TfCore.Variable, { m: TfCore.Variable; v: TfCore.Variable }>();
  #step = 0;

  constructor(
    private readonly tf: Tf,
    private readonly weights: Pick<AdapterWeights, 'dim' | 'rank'>,
    start: AdapterWeights,
    private readonly opt: OptimiserSettings = DEFAULT_OPTIMISER,
  ) {
    const { dim, rank } = weights;
    for (const side of ['image', 'text'] as const) {
      const s = start.sides[side];
      if (s) this.#vars[side] = { down: tf.variable(tf.tensor2d(s.down, [dim, rank])), up: tf.variable(tf.tensor2d(s.up, [rank, dim])) };
    }
    this.#logScale = tf.variable(tf.scalar(Math.log(start.logitScale)));
    for (const v of this.#trainable()) this.#moments.set(v, { m: tf.variable(tf.zerosLike(v)), v: tf.variable(tf.zerosLike(v)) });
  }

  /** normalise(x + (x·down)·up) for a side, or normalise(x) for a side without an adapter. */
  forward(side: AdapterSide, x: TfCore.Tensor2D): TfCore.Tensor2D {
    const tf = this.tf;
    const s = this.#vars[side];
    const y = s ? tf.add(x, tf.matMul(tf.matMul(x, s.down), s.up)) : x;
    return tf.div(y, tf.norm(y, 2, 1, true)) as TfCore.Tensor2D;
  }

  /** Adapted, normalised vectors of one side, computed in batches. */
  embed(side: AdapterSide, matrix: Float32Array, rows: number): Float32Array {
    const tf = this.tf;
    const dim = this.weights.dim;
    const out = new Float32Array(rows * dim);
    const chunk = 1024;
    for (let r = 0; r < rows; r += chunk) {
      const n = Math.min(chunk, rows - r);
      const data = tf.tidy(() => this.forward(side, tf.tensor2d(matrix.subarray(r * dim, (r + n) * dim), [n, dim])).dataSync() as Float32Array);
      out.set(data, r * dim);
    }
    return out;
  }

  /** SDM + contrastive on one batch of (text, image, person) rows; one AdamW step at `lr`; returns the loss. */
  trainStep(texts: Float32Array, images: Float32Array, personCodes: Int32Array, lr: number): number {
    const tf = this.tf;
    const n = personCodes.length;
    const dim = this.weights.dim;
    this.#step++;
    return tf.tidy(() => {
      const t = tf.tensor2d(texts, [n, dim]);
      const i = tf.tensor2d(images, [n, dim]);
      const codes = tf.tensor1d(personCodes, 'int32');
      const { value, grads } = tf.variableGrads(() => {
        const sim = tf.matMul(this.forward('text', t), this.forward('image', i), false, true) as TfCore.Tensor2D;
        return tf.add(sdmLoss(tf, sim, codes), contrastiveLoss(tf, sim, this.#logScale)) as TfCore.Scalar;
      }, this.#trainable());
      const { beta1, beta2, epsilon, weightDecay } = this.opt;
      const c1 = 1 - beta1 ** this.#step;
      const c2 = 1 - beta2 ** this.#step;
      for (const v of this.#trainable()) {
        const g = grads[v.name];
        if (!g) continue;
        const mom = this.#moments.get(v)!;
        mom.m.assign(tf.add(tf.mul(mom.m, beta1), tf.mul(g, 1 - beta1)));
        mom.v.assign(tf.add(tf.mul(mom.v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const update = tf.div(tf.div(mom.m, c1), tf.add(tf.sqrt(tf.div(mom.v, c2)), epsilon));
        const decay = v === this.#logScale ? 0 : weightDecay;
        v.assign(tf.sub(tf.mul(v, 1 - lr * decay), tf.mul(update, lr)));
      }
      return value.dataSync()[0];
    });
  }

  /** A copy of the current weights as plain arrays. */
  snapshot(): AdapterWeights {
    const { dim, rank } = this.weights;
    const out: AdapterWeights = { dim, rank, sides: {}, logitScale: Math.exp(this.#logScale.dataSync()[0]) };
    for (const side of ['image', 'text'] as const) {
      const s = this.#vars[side];
      if (s) out.sides[side] = { down: Float32Array.from(s.down.dataSync()), up: Float32Array.from(s.up.dataSync()) };
    }
    return out;
  }

  dispose(): void {
    for (const v of this.#trainable()) v.dispose();
    for (const { m, v } of this.#moments.values()) {
      m.dispose();
      v.dispose();
    }
  }

  #trainable(): TfCore.Variable[] {
    const out: TfCore.Variable[] = [];
    for (const s of Object.values(this.#vars)) out.push(s.down, s.up);
    out.push(this.#logScale);
    return out;
  }
}
