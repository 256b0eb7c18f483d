/** Embeds text into the joint space; vectors are L2-normalised. */
export interface TextEncoder {
  /** Identity of the model, recorded in index manifests (e.g. `Xenova/clip-vit-base-patch16`). */
  readonly modelId: string;
  readonly dim: number;
  /** The longest token sequence the text tower accepts (77, or 248 when stretched). */
  readonly contextLength: number;
  embedTexts(texts: string[]): Promise<Float32Array[]>;
  /** Tokens `text` takes before truncation, SOT and EOT included (compare with `contextLength`). */
  countTokens(text: string): number;
  close(): Promise<void>;
}

/** Embeds images into the joint space; vectors are L2-normalised. */
export interface ImageEncoder {
  readonly modelId: string;
  readonly dim: number;
  /** Embeds image files, in order. @throws CtgiError IMAGE_INVALID / IMAGE_TOO_LARGE naming the file. */
  embedImageFiles(paths: string[]): Promise<Float32Array[]>;
  /**
   * Embeds image files in order; an unreadable image becomes a failed entry and the rest go on.
   * `onProgress` receives the number of images done so far.
   */
  embedImageFilesSettled(paths: string[], onProgress?: (done: number) => void): Promise<ImageEmbedding[]>;
  close(): Promise<void>;
}

/** One image's outcome in a settled batch: a vector, or the reason it was skipped. */
export type ImageEmbedding = { path: string; ok: true; vector: Float32Array } | { path: string; ok: false; error: Error };

/** The vectors of a settled batch, in order. @throws the error of the first image that failed. */
export function vectorsOrFirstError(results: ImageEmbedding[]): Float32Array[] {
  return results.map((r) => {
    if (!r.ok) throw r.error;
    return r.vector;
  });
}
