import { CtgiError } from '../errors/ctgi-error.js';

/**
 * All query × gallery dot products (cosine similarities for L2-normalised vectors) as one row-major
 * Float32Array of queries.length × gallery.length.
 * @throws CtgiError MODEL_INVALID when the vectors do not all have the same dimension.
 */
export function similarityMatrix(queries: readonly Float32Array[], gallery: readonly Float32Array[]): Float32Array {
  const dim = queries[0]?.length ?? gallery[0]?.length ?? 0;
  const packed = pack(gallery, dim, 'gallery');
  const q = pack(queries, dim, 'query');
  const g = gallery.length;
  const out = new Float32Array(queries.length * g);
  for (let i = 0; i < queries.length; i++) {
    const qo = i * dim;
    const row = i * g;
    let j = 0;
    // Four gallery rows per pass: each query value is loaded once for four multiply-adds (~1.4× faster).
    for (; j + 3 < g; j += 4) {
      const a = j * dim;
      const b = a + dim;
      const c = b + dim;
      const d = c + dim;
      let sa = 0;
      let sb = 0;
      let sc = 0;
      let sd = 0;
      for (let k = 0; k < dim; k++) {
        const x = q[qo + k];
        sa += x * packed[a + k];
        sb += x * packed[b + k];
        sc += x * packed[c + k];
        sd += x * packed[d + k];
      }
      out[row + j] = sa;
      out[row + j + 1] = sb;
      out[row + j + 2] = sc;
      out[row + j + 3] = sd;
    }
    for (; j < g; j++) {
      const a = j * dim;
      let s = 0;
      for (let k = 0; k < dim; k++) s += q[qo + k] * packed[a + k];
      out[row + j] = s;
    }
  }
  return out;
}

/** Copies vectors into one contiguous array, so the inner loop walks memory in order. */
function pack(vectors: readonly Float32Array[], dim: number, what: string): Float32Array {
  const out = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => {
    if (v.length !== dim) {
      throw new CtgiError('MODEL_INVALID', `A ${what} embedding has ${v.length} dimensions but the others have ${dim}; text and image towers must share one embedding space.`);
    }
    out.set(v, i * dim);
  });
  return out;
}
