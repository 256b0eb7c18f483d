import { isAbsolute, resolve } from 'node:path';
import { CtgiError } from '../../src/errors/ctgi-error.js';
import type { Gallery } from '../../src/gallery/gallery.js';
import { readImageFile } from '../../src/vision/image-file.js';
import { DEFAULT_IMAGE_LIMITS } from '../../src/vision/image-limits.js';

// Reading gallery images for the MLLM: by record (relative paths against the index's images root) or by id.

/**
 * Reads a candidate's image bytes (relative paths resolve against the index's images root), refusing a
 * file that is no longer a regular file or has grown past the size limit, without blocking on it.
 */
export function imageReader(gallery: Gallery): (c: { path: string }) => Promise<Buffer> {
  const root = gallery.manifest.imagesRoot;
  return (c) => readImageFile(isAbsolute(c.path) || !root ? c.path : resolve(root, c.path), DEFAULT_IMAGE_LIMITS);
}

/** Reads a gallery image's bytes by id. @throws CtgiError NOT_FOUND for an id the gallery does not hold. */
export function imageByIdReader(gallery: Gallery): (imageId: number) => Promise<Buffer> {
  const read = imageReader(gallery);
  return async (imageId) => {
    const record = (await gallery.getMany([imageId])).get(imageId);
    if (!record) throw new CtgiError('NOT_FOUND', `Image ${imageId} is not in the gallery.`);
    return read(record);
  };
}
