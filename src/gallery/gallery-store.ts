/** Metadata of one indexed image; `id` is also its label in the vector index. */
export interface ImageRecord {
  id: number;
  /** The path as indexed (relative to the images root when one was given). */
  path: string;
  sha256: string;
  personId: string | null;
  camera: string | null;
  /** ISO-8601 capture time, when known. */
  capturedAt: string | null;
  width: number | null;
  height: number | null;
  bytes: number;
  mtimeMs: number;
  addedAt: string;
  /** Where in which footage the crop was cut; absent (or null) for images that are not footage crops. */
  footage?: FootageFacts | null;
}

/** Where a person crop was cut from footage. */
export interface FootageFacts {
  /** The video file or frames folder, as given to the build. */
  source: string;
  /** Time of the frame from the start of the source, in milliseconds. */
  frameTimeMs: number;
  /** Track the crop belongs to, unique in the gallery (crops of one passing person share it). */
  trackId: string;
  /** The person's box in frame pixels: x1, y1, x2, y2. */
  box: [number, number, number, number];
}

/** An image ready to be stored: its metadata and its embedding. */
export type NewImage = Omit<ImageRecord, 'id' | 'addedAt'> & {
  embedding: Float32Array;
  /** Captions that come with the image (e.g. a dataset's), stored with source `dataset`. */
  captions?: string[];
  /** When the image was first indexed, kept by a copy between galleries (default: now). */
  addedAt?: string;
};

/** Which images a search may return. */
export interface ImageFilter {
  camera?: string[];
  /** Inclusive ISO-8601 bounds on the capture time (images without a time are excluded when set). */
  from?: string;
  to?: string;
}

/** A file that could not be indexed and why; kept so a re-run can list it again. */
export interface SkippedFile {
  path: string;
  reason: string;
  at: string;
}

/** One answer to an attribute question about an image (MTG writes them; MTI answers from them). */
export interface NewAttributeAnswer {
  imageId: number;
  /** A SlotKey of the attribute schema when the question maps to one. */
  attribute: string;
  question: string;
  answer: string;
  /** Who answered: `mtg` (a kept visual answer), `mtg-caption` (stated by the initial caption), … */
  source: string;
  confidence?: number;
}

/** A stored attribute answer of one image. */
export interface StoredAttributeAnswer {
  attribute: string;
  question: string;
  answer: string;
  source: string;
  confidence: number | null;
}

/** A stored caption of one image and where it came from (`dataset`, `mtg`, …). */
export interface StoredCaption {
  source: string;
  text: string;
}

/** Metadata and embeddings of a gallery: the source of truth the vector index is rebuilt from. */
export interface GalleryStore {
  count(): number;
  get(id: number): ImageRecord | undefined;
  getMany(ids: number[]): Map<number, ImageRecord>;
  findByPath(path: string): ImageRecord | undefined;
  findBySha(sha256: string): ImageRecord | undefined;
  /** Inserts in one transaction; returns the new ids in order. */
  insertImages(images: NewImage[]): number[];
  /** Removes images (and their captions and answers) in one transaction; returns the removed ids. */
  removeByPaths(paths: string[]): number[];
  /** Ids of images the filter accepts. */
  filterIds(filter: ImageFilter): Set<number>;
  /** Every stored embedding, as ids plus one row-major matrix. */
  loadEmbeddings(dim: number): { ids: number[]; matrix: Float32Array };
  /** Every image id, ascending. */
  imageIds(): number[];
  recordSkipped(files: Array<{ path: string; reason: string }>): void;
  /** Forgets skip records for these paths (they were indexed after all). */
  clearSkipped(paths: string[]): void;
  listSkipped(): SkippedFile[];
  captionsOf(id: number): string[];
  /** Sets an image's caption from `source`, replacing that source's earlier captions of the image. @throws CtgiError NOT_FOUND for an unknown image. */
  putCaption(imageId: number, source: string, text: string): void;
  /** Captions of the given images with their sources, oldest first; images without any are absent. */
  captionsFor(imageIds: readonly number[]): Map<number, StoredCaption[]>;
  /** Upserts answers in one transaction (one row per image, attribute and source; a later row wins). @throws CtgiError NOT_FOUND for an unknown image. */
  putAttributeAnswers(rows: readonly NewAttributeAnswer[]): void;
  /** Attribute answers of the given images, by attribute then source; images without any are absent. */
  attributeAnswers(imageIds: readonly number[]): Map<number, StoredAttributeAnswer[]>;
  /** Cameras present in the gallery with their image counts. */
  cameras(): Array<{ camera: string; count: number }>;
  close(): void;
}
