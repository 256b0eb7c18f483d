import { createHash } from 'node:crypto';
import type { ImageLimits } from '../vision/image-limits.js';
import { encodeJpegForMllm } from '../vision/mllm-jpeg.js';
import { LruCache } from './lru-cache.js';

/** Long side of images sent to the MLLM (Qwen2-VL reads 448 px well; more costs tokens, not accuracy). */
export const MLLM_IMAGE_MAX_SIDE = 448;
/** Encoded images kept per client: the same gallery image is checked many times across rounds and dialogues. */
export const MLLM_IMAGE_CACHE_ENTRIES = 512;

/**
 * Encodes images for MLLM requests (JPEG, long side ≤ maxSide) and remembers the result per input, keyed by
 * a hash of the bytes; concurrent requests for the same image share one encode.
 */
export class MllmImageCache {
  private readonly cache: LruCache<string, Promise<Buffer>>;

  constructor(
    private readonly maxSide = MLLM_IMAGE_MAX_SIDE,
    entries = MLLM_IMAGE_CACHE_ENTRIES,
    private readonly limits?: ImageLimits,
  ) {
    this.cache = new LruCache(entries);
  }

  /** Entries held now. */
  get size(): number {
    return this.cache.size;
  }

  /** The JPEG for `bytes`. @throws CtgiError IMAGE_INVALID / IMAGE_TOO_LARGE. */
  encode(bytes: Buffer): Promise<Buffer> {
    const key = createHash('sha256').update(bytes).digest('hex');
    const hit = this.cache.get(key);
    if (hit) return hit;
    const pending = encodeJpegForMllm(bytes, this.maxSide, this.limits);
    this.cache.set(key, pending);
    // A failure is not cached: the same bytes fail again quickly, and the entry would pin the error.
    pending.catch(() => {
      if (this.cache.get(key) === pending) this.cache.delete(key);
    });
    return pending;
  }
}
