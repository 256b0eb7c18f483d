import type { GalleryManifest } from './gallery-manifest.js';
import type { ImageFilter, ImageRecord, NewAttributeAnswer, NewImage, SkippedFile, StoredAttributeAnswer, StoredCaption } from './gallery-store.js';

/** One search result, best first. */
export interface GalleryHit {
  rank: number;
  id: number;
  path: string;
  /** Raw cosine similarity between the query and the image embeddings. */
  cosine: number;
  /** Calibrated score in [0, 1] (see retrieval/calibration.ts). */
  score: number;
  record: ImageRecord;
}

export interface SearchOptions {
  top?: number;
  filter?: ImageFilter;
  /** true: the exact brute-force path; false: the approximate (HNSW) path; unset: the adapter's choice by size. */
  exact?: boolean;
  /** HNSW candidate list size for this search (default: the manifest's `hnsw.ef`); benchmarks sweep it. */
  ef?: number;
}

/**
 * A gallery: images with their metadata, embeddings, captions and attribute answers, searchable by vector.
 * The port every caller uses; adapters are the folder (SQLite + hnswlib, `FolderGallery`) and PostgreSQL +
 * pgvector. Every method may do I/O, so every method is async; product code never asks which adapter it has.
 */
export interface Gallery {
  /** Where the gallery lives, for messages: a folder path, or `postgres gallery NAME`. */
  readonly location: string;
  /** What made the vectors (model, dimension, preprocessing) and the HNSW settings. */
  readonly manifest: GalleryManifest;
  /** Number of images. */
  count(): Promise<number>;
  /**
   * Top hits for an L2-normalised query vector: approximate candidates (or the exact pass for small galleries
   * and on request) re-scored exactly against the stored vectors, with calibrated scores.
   * @throws CtgiError INDEX_MISMATCH for a query of another dimension.
   */
  search(query: Float32Array, options?: SearchOptions): Promise<GalleryHit[]>;
  /** Stores images atomically; returns their new ids in order. @throws CtgiError INDEX_MISMATCH for embeddings of another dimension. */
  add(images: NewImage[]): Promise<number[]>;
  /** Removes images (with their captions and answers) by indexed path; returns the paths that were not there. */
  remove(paths: string[]): Promise<{ removed: number; missing: string[] }>;
  getMany(ids: readonly number[]): Promise<Map<number, ImageRecord>>;
  findByPath(path: string): Promise<ImageRecord | undefined>;
  findBySha(sha256: string): Promise<ImageRecord | undefined>;
  /** The images at the given indexed paths, by path (one round trip; unknown paths are absent). */
  findByPaths(paths: readonly string[]): Promise<Map<string, ImageRecord>>;
  /** For each given sha256 the image with the smallest id holding those bytes (one round trip; unknown ones are absent). */
  findByShas(sha256s: readonly string[]): Promise<Map<string, ImageRecord>>;
  /** Stored embeddings of the given images; unknown ids are absent. */
  embeddingsOf(ids: readonly number[]): Promise<Map<number, Float32Array>>;
  /** Every stored embedding, as ids plus one row-major matrix (evaluation, migration). */
  loadEmbeddings(): Promise<{ ids: number[]; matrix: Float32Array }>;
  /** Every image id, ascending (to walk a large gallery a chunk at a time with getMany / embeddingsOf). */
  imageIds(): Promise<number[]>;
  recordSkipped(files: Array<{ path: string; reason: string }>): Promise<void>;
  listSkipped(): Promise<SkippedFile[]>;
  /** Sets an image's caption from `source`, replacing that source's earlier ones. @throws CtgiError NOT_FOUND for an unknown image. */
  putCaption(imageId: number, source: string, text: string): Promise<void>;
  /** Captions of the given images with their sources, oldest first; images without any are absent. */
  captionsOf(imageIds: readonly number[]): Promise<Map<number, StoredCaption[]>>;
  /** Upserts answers atomically (one per image, attribute and source; a later row wins). @throws CtgiError NOT_FOUND for an unknown image. */
  putAttributeAnswers(rows: readonly NewAttributeAnswer[]): Promise<void>;
  /** Attribute answers of the given images (MTI's answer cache); images without any are absent. */
  attributeAnswers(imageIds: readonly number[]): Promise<Map<number, StoredAttributeAnswer[]>>;
  /** Cameras present in the gallery with their image counts. */
  cameras(): Promise<Array<{ camera: string; count: number }>>;
  /** Replaces the cameras' aliases (`manifest.cameraAliases`); a camera with an empty list loses its aliases. */
  setCameraAliases(aliases: Record<string, string[]>): Promise<void>;
  /** Makes everything written so far durable in the adapter's derived structures (the folder's HNSW file). */
  save(): Promise<void>;
  /** Saves (unless `save: false`, for read-only use) and releases the gallery. */
  close(options?: { save?: boolean }): Promise<void>;
}
