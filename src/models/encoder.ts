/** Embeds text into the joint space; vectors are L2-normalised. */
export interface TextEncoder {
  /** Identity of the model, recorded in index manifests (e.g. `Xenova/clip-vit-base-patch16`). */
  readonly modelId: string;
  readonly dim: number;
  /** The longest token sequence the text tower accepts (77, or 248 when stretched). */
  readonly contextLength: number;
  embedTexts(texts: string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** Embeds images into the joint space; vectors are L2-normalised. */
export interface ImageEncoder {
  readonly modelId: string;
  readonly dim: number;
  /** Embeds image files, in order. @throws CtgiError IMAGE_INVALID / IMAGE_TOO_LARGE naming the file. */
  embedImageFiles(paths: string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}
