import { isCtgiError } from '../errors/ctgi-error.js';
import { openRegularFile } from '../util/regular-file.js';
import { imageFileError, invalidImage } from './image-errors.js';
import { checkBytes, type ImageLimits } from './image-limits.js';

/**
 * Reads an image file whole after checking that it is a regular file (links followed; a FIFO or device is
 * refused without blocking) and that its size is within `limits.maxBytes`.
 * @throws CtgiError NOT_FOUND, IMAGE_TOO_LARGE or IMAGE_INVALID naming the file.
 */
export async function readImageFile(path: string, limits: ImageLimits): Promise<Buffer> {
  let opened;
  try {
    opened = await openRegularFile(path);
  } catch (err) {
    throw imageFileError(path, err);
  }
  if (!opened.ok) throw invalidImage(path, `it is ${opened.kind}, not a regular file`);
  const { handle, stats } = opened;
  try {
    checkBytes(path, stats.size, limits);
    const data = await handle.readFile();
    checkBytes(path, data.length, limits); // the file may have grown since stat
    return data;
  } catch (err) {
    if (isCtgiError(err)) throw err;
    throw imageFileError(path, err);
  } finally {
    await handle.close();
  }
}
