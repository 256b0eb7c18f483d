// Seeded, clustered, L2-normalised embedding-like vectors for the search benchmarks (bench:search).
import { mulberry32 } from '../src/util/prng.js';

/** Seeded uniforms in [0, 1) and Box–Muller normals. */
export function normalSource(seed: number): { uniform: () => number; normal: () => number } {
  const uniform = mulberry32(seed);
  let spare = Number.NaN;
  const normal = () => {
    if (!Number.isNaN(spare)) {
      const x = spare;
      spare = Number.NaN;
      return x;
    }
    const r = Math.sqrt(-2 * Math.log(1 - uniform()));
    const a = 2 * Math.PI * uniform();
    spare = r * Math.sin(a);
    return r * Math.cos(a);
  };
  return { uniform, normal };
}

export function normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i] * v[i];
  const inv = 1 / Math.sqrt(n);
  for (let i = 0; i < v.length; i++) v[i] *= inv;
  return v;
}

export interface ClusteredOptions {
  dim: number;
  clusters: number;
  seed: number;
  /** Spread of cluster centres around their topic (default 1). */
  centreSpread?: number;
  /** Spread of members around their centre (default 1). */
  memberSpread?: number;
}

/**
 * Embedding-like data: clusters/10 topics on the sphere, `clusters` cluster centres around them (cosine ≈ 0.7
 * to their topic), members around a centre with a per-cluster spread (cosine ≈ 0.8 to it), and a shared
 * direction every vector leans towards (CLIP embeddings are anisotropic: unrelated pairs are not at 0).
 * Returns a drawer that fills `out` with the next vector of the seeded stream.
 */
export function embeddingLike(options: ClusteredOptions): (out: Float32Array) => Float32Array {
  const { dim, clusters, seed } = options;
  const centreSpread = options.centreSpread ?? 1;
  const memberSpread = options.memberSpread ?? 1;
  const { uniform, normal } = normalSource(seed);
  const scale = 1 / Math.sqrt(dim);
  const around = (centre: Float32Array, spread: number) => normalise(centre.map((x) => x + spread * scale * normal()));
  const shared = normalise(Float32Array.from({ length: dim }, normal));
  const topics = Array.from({ length: Math.max(1, Math.round(clusters / 10)) }, () => normalise(Float32Array.from({ length: dim }, normal)));
  const centres = Array.from({ length: clusters }, (_, c) => around(topics[c % topics.length], centreSpread));
  const spreads = Float64Array.from({ length: clusters }, () => memberSpread * (0.5 + 0.5 * uniform()));
  return (out: Float32Array): Float32Array => {
    const c = Math.floor(uniform() * clusters);
    const centre = centres[c];
    const spread = spreads[c] * scale;
    for (let i = 0; i < dim; i++) out[i] = centre[i] + spread * normal() + 0.4 * shared[i];
    return normalise(out);
  };
}

/** The p-th percentile (nearest rank, p in [0, 100]) of `xs`. */
export function percentile(xs: readonly number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
