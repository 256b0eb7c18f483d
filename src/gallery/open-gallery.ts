import { join, resolve } from 'node:path';
import { CtgiError, isCtgiError } from '../errors/ctgi-error.js';
import { databaseCa, type DatabaseTarget } from '../storage/open-database.js';
import { pathExists } from '../util/path-exists.js';
import type { Gallery } from './gallery.js';
import { readManifest, type GalleryManifest } from './gallery-manifest.js';
import { DB_FILE, FolderGallery } from './folder.gallery.js';
import { PostgresGallery } from './postgres.gallery.js';
import { assertGalleryName, type VectorKind } from './postgres-gallery-rows.js';

/** What a new gallery is made with: the model that makes its vectors, HNSW settings and the images root. */
export type GalleryInit = Omit<GalleryManifest, 'format' | 'version' | 'vectorCount' | 'createdAt' | 'updatedAt'>;

/** The shared database a gallery reference may point into (config.database, or `--database URL`). */
export interface GalleryDatabase extends DatabaseTarget {
  /** Most maintenance_work_mem, in MB, an HNSW index build raises its session to. */
  buildMemoryMb?: number;
}

/**
 * Where a gallery lives: a folder (the embedded default), or a named gallery in a PostgreSQL database
 * (`vector`: how a NEW gallery stores embeddings; an existing one keeps its own).
 */
export type GalleryRef = { kind: 'folder'; dir: string } | ({ kind: 'postgres'; name: string; vector?: VectorKind } & GalleryDatabase);

/**
 * The reference for `--index VALUE`: a folder path, or with a database the name of a gallery in it.
 * @throws CtgiError BAD_INPUT for an invalid gallery name.
 */
export function galleryRef(index: string, database?: GalleryDatabase): GalleryRef {
  if (!database) return { kind: 'folder', dir: index };
  assertGalleryName(index);
  return { kind: 'postgres', name: index, ...database };
}

/** A short description of a reference for messages (never the database URL: it holds credentials). */
export function describeGalleryRef(ref: GalleryRef | string): string {
  const r = typeof ref === 'string' ? galleryRef(ref) : ref;
  return r.kind === 'folder' ? r.dir : `postgres gallery ${r.name}`;
}

/**
 * Opens an existing gallery.
 * @throws CtgiError NOT_FOUND / INDEX_MISMATCH naming it.
 */
export async function openGallery(ref: GalleryRef | string, options: { log?: (message: string) => void } = {}): Promise<Gallery> {
  const r = typeof ref === 'string' ? galleryRef(ref) : ref;
  if (r.kind === 'folder') return FolderGallery.open(r.dir, options);
  return PostgresGallery.open(await postgresTarget(r));
}

/** Creates a gallery, or opens an existing one made with the same model (@throws CtgiError INDEX_MISMATCH otherwise). */
export async function openOrCreateGallery(ref: GalleryRef | string, init: GalleryInit): Promise<Gallery> {
  const r = typeof ref === 'string' ? galleryRef(ref) : ref;
  if (r.kind === 'folder') return FolderGallery.openOrCreate(r.dir, init);
  return PostgresGallery.openOrCreate(await postgresTarget(r), init, r.vector ? { vectorKind: r.vector } : {});
}

/** The manifest of an existing gallery. @throws CtgiError NOT_FOUND / INDEX_MISMATCH naming it. */
export async function readGalleryManifest(ref: GalleryRef | string): Promise<GalleryManifest> {
  const r = typeof ref === 'string' ? galleryRef(ref) : ref;
  if (r.kind === 'folder') return readManifest(resolve(r.dir));
  const gallery = await PostgresGallery.open(await postgresTarget(r));
  await gallery.close({ save: false });
  return gallery.manifest;
}

/** The manifest of the gallery a reference names, or undefined when there is no gallery there yet. */
export async function existingManifest(ref: GalleryRef | string): Promise<GalleryManifest | undefined> {
  const r = typeof ref === 'string' ? galleryRef(ref) : ref;
  if (r.kind === 'folder') return (await pathExists(join(r.dir, DB_FILE))) ? readManifest(resolve(r.dir)) : undefined;
  try {
    const gallery = await PostgresGallery.open(await postgresTarget(r));
    await gallery.close({ save: false });
    return gallery.manifest;
  } catch (err) {
    if (isCtgiError(err, 'NOT_FOUND')) return undefined;
    throw err;
  }
}

async function postgresTarget(r: Extract<GalleryRef, { kind: 'postgres' }>) {
  const ca = await databaseCa(r);
  return { url: r.url, name: r.name, ...(r.tls ? { tls: r.tls } : {}), ...(ca ? { ca } : {}), ...(r.buildMemoryMb !== undefined ? { buildMemoryMb: r.buildMemoryMb } : {}) };
}
