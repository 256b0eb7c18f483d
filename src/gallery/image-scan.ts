import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { extname, join, relative, sep, isAbsolute } from 'node:path';
import { CtgiError } from '../errors/ctgi-error.js';
import { fileKind } from '../util/regular-file.js';

/** File types the indexer reads. */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

export function isImagePath(path: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(path).toLowerCase());
}

/** An entry with an image name that will not be read, and why. */
export interface SkippedEntry {
  path: string;
  reason: string;
  /** Set for a link to a regular file outside the folder, which `followLinksOutside` would have read. */
  outsideRoot?: true;
}

/** What a folder scan found. */
export interface ImageScan {
  /** Regular files (or links to regular files) with an image name, sorted. */
  images: string[];
  /** Entries whose name is not an image's (.jpg, .jpeg, .png, .webp) and unreadable sub-folders, sorted. */
  ignored: string[];
  /** Entries with an image name that are not readable regular files (directory, FIFO, broken link, …), sorted by path. */
  skipped: SkippedEntry[];
}

export interface ScanOptions {
  /** Read links whose target lies outside the folder (default: skip them, so a link cannot pull in other files). */
  followLinksOutside?: boolean;
}

/**
 * Lists image files under `root` recursively, sorted, with what it passed over. Hidden entries (`.name`)
 * are not visited and symbolic links to directories are not followed (no loops). Every entry with an image
 * name is checked, after following links, to be a regular file inside `root` (unless `followLinksOutside`);
 * nothing is opened, so a FIFO or device never blocks the scan.
 * @throws CtgiError NOT_FOUND when `root` cannot be read.
 */
export async function scanImageDir(root: string, options: ScanOptions = {}): Promise<ImageScan> {
  const images: string[] = [];
  const ignored: string[] = [];
  const skipped: SkippedEntry[] = [];
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch (err) {
    throw new CtgiError('NOT_FOUND', `Cannot read the image folder ${root}: ${(err as NodeJS.ErrnoException).code ?? 'error'}.`, { cause: err });
  }
  async function walk(dir: string): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (dir === root) throw new CtgiError('NOT_FOUND', `Cannot read the image folder ${root}: ${(err as NodeJS.ErrnoException).code ?? 'error'}.`, { cause: err });
      ignored.push(dir);
      return;
    }
    for (const dirent of entries) {
      if (dirent.name.startsWith('.')) continue;
      const path = join(dir, dirent.name);
      const e = await entryType(dirent, path);
      if (e === undefined) ignored.push(path);
      else if (e.isDirectory()) await walk(path);
      else if (!isImagePath(dirent.name)) ignored.push(path);
      else if (e.isFile()) images.push(path);
      else {
        const problem = e.isSymbolicLink() ? await linkProblem(path, realRoot, options) : { reason: `it is ${fileKind(e)}, not a regular file` };
        if (problem === undefined) images.push(path);
        else skipped.push({ path, ...problem });
      }
    }
  }
  await walk(root);
  images.sort();
  ignored.sort();
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { images, ignored, skipped };
}

/** Why the link at `path` will not be read, or undefined when it leads to a regular file it may read. */
async function linkProblem(path: string, realRoot: string, options: ScanOptions): Promise<Omit<SkippedEntry, 'path'> | undefined> {
  let target: string;
  try {
    target = await realpath(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { reason: 'it is a broken symbolic link (its target does not exist)' };
    if (code === 'ELOOP') return { reason: 'it is a symbolic link loop' };
    return { reason: `its symbolic link cannot be followed (${code ?? 'error'})` };
  }
  let info;
  try {
    info = await stat(target);
  } catch (err) {
    return { reason: `its symbolic link cannot be followed (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  if (!info.isFile()) return { reason: `it is a symbolic link to ${fileKind(info)}, not to a regular file` };
  if (!options.followLinksOutside && !isInside(realRoot, target)) {
    return { reason: `it is a symbolic link to ${target}, outside the images folder`, outsideRoot: true };
  }
  return undefined;
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** The entry's type from readdir, or from lstat where the file system does not report it (DT_UNKNOWN). */
async function entryType(dirent: Dirent, path: string): Promise<Dirent | Stats | undefined> {
  const known = dirent.isFile() || dirent.isDirectory() || dirent.isSymbolicLink() || dirent.isFIFO() || dirent.isSocket() || dirent.isCharacterDevice() || dirent.isBlockDevice();
  return known ? dirent : lstat(path).catch(() => undefined);
}

/** The path stored for a file: relative to the images root with `/` separators when inside it, else absolute. */
export function storedPathFor(absPath: string, imagesRoot: string | null): string {
  if (!imagesRoot) return absPath;
  const rel = relative(imagesRoot, absPath);
  if (rel.startsWith('..') || rel === '') return absPath;
  return rel.split(sep).join('/');
}
