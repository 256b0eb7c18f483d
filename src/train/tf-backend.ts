// The only module that imports TensorFlow.js: the trainer sees it through `loadTf()`.
import type * as TfCore from '@tensorflow/tfjs';
import { CtgiError } from '../errors/ctgi-error.js';

/** The TensorFlow.js core namespace (ops, variables, automatic differentiation). */
export type Tf = typeof TfCore;

let loaded: Promise<Tf> | undefined;

/**
 * Loads TensorFlow.js on its WebAssembly backend (measured ~5× faster than the pure-JS CPU backend for the
 * adapter's step on this machine), falling back to the CPU backend when WebAssembly cannot start. Loaded on
 * first use so that other commands do not pay for it.
 * @throws CtgiError INTERNAL when neither backend can start.
 */
export function loadTf(): Promise<Tf> {
  loaded ??= (async () => {
    // The full package, not tfjs-core alone: only it registers the gradients of every op.
    const tf = await import('@tensorflow/tfjs');
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return tf;
      }
    } catch {
      // The CPU backend below gives the same results, only slower.
    }
    if (!(await tf.setBackend('cpu'))) throw new CtgiError('INTERNAL', 'TensorFlow.js could not start its WebAssembly or CPU backend.');
    await tf.ready();
    return tf;
  })();
  return loaded;
}
