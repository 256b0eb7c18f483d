import type { Gallery } from './gallery.js';
import type { GalleryManifest } from './gallery-manifest.js';
import { FolderGallery } from './folder.gallery.js';

/** What a new gallery is made with: the model that makes its vectors, HNSW settings and the images root. */
export type GalleryInit = Omit<GalleryManifest, 'format' | 'version' | 'vectorCount' | 'createdAt' | 'updatedAt'>;

/** Where a gallery lives: a folder (the embedded default). */
export type GalleryRef = { kind: 'folder'; dir: string };

/** The reference for `--index VALUE`: a folder path. */
export function galleryRef(index: string): GalleryRef {
  return { kind: 'folder', dir: index };
}

/**
 * Opens an existing gallery.
 * @throws CtgiError NOT_FOUND / INDEX_MISMATCH naming it.
 */
export async function openGallery(ref: GalleryRef | string, options: { log?: (message: string) => void } = {}): Promise<Gallery> {
  const r = typeof ref === 'string' ? galleryRef(ref) : ref;
  return FolderGallery.open(r.dir, options);
}

/** Creates a gallery, or opens an existing one made with the same model (@throws CtgiError INDEX_MISMATCH otherwise). */
export async function openOrCreateGallery(ref: GalleryRef | string, init: GalleryInit): Promise<Gallery> {
  const r = typeof ref === 'string' ? galleryRef(ref) : ref;
  return FolderGallery.openOrCreate(r.dir, init);
}
