import { readdir } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { CtgiError } from '../errors/ctgi-error.js';

/** File types the indexer reads. */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

export function isImagePath(path: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(path).toLowerCase());
}

/**
 * Lists image files under `root` recursively, sorted, and the other files it passed over. Hidden
 * entries (`.name`) are not visited and symbolic links to directories are not followed (no loops).
 * @throws CtgiError NOT_FOUND when `root` cannot be read.
 */
export async function scanImageDir(root: string): Promise<{ images: string[]; ignored: string[] }> {
  const images: string[] = [];
  const ignored: string[] = [];
  async function walk(dir: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (dir === root) throw new CtgiError('NOT_FOUND', `Cannot read the image folder ${root}: ${(err as NodeJS.ErrnoException).code ?? 'error'}.`, { cause: err });
      ignored.push(dir);
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path);
      else if ((e.isFile() || e.isSymbolicLink()) && isImagePath(e.name)) images.push(path);
      else ignored.push(path);
    }
  }
  await walk(root);
  images.sort();
  ignored.sort();
  return { images, ignored };
}

/** The path stored for a file: relative to the images root with `/` separators when inside it, else absolute. */
export function storedPathFor(absPath: string, imagesRoot: string | null): string {
  if (!imagesRoot) return absPath;
  const rel = relative(imagesRoot, absPath);
  if (rel.startsWith('..') || rel === '') return absPath;
  return rel.split(sep).join('/');
}
