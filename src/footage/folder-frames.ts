import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CtgiError, isCtgiError } from '../errors/ctgi-error.js';
import { isImagePath } from '../gallery/image-scan.js';
import type { ImageLimits } from '../vision/image-limits.js';
import { decodeRgbFile } from '../vision/rgb-decode.js';
import { timeFromName, type FrameSource } from './frame-source.js';

/**
 * A folder of frame images (jpg, png, webp), in name order (numbers compared as numbers). Times come from
 * the names when every name carries a date and time; otherwise frame i is at i / fps seconds after `start`.
 * @throws CtgiError BAD_INPUT when the folder holds no images.
 */
export async function openFrameFolder(dir: string, options: { fps: number; start: string | null; limits?: ImageLimits }): Promise<FrameSource> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && isImagePath(e.name)).map((e) => e.name);
  } catch (err) {
    throw new CtgiError('NOT_FOUND', `Cannot read the frames folder ${dir}: ${(err as Error).message}.`, { cause: err });
  }
  if (names.length === 0) throw new CtgiError('BAD_INPUT', `The frames folder ${dir} holds no .jpg, .png or .webp images.`);
  names.sort(new Intl.Collator('en', { numeric: true }).compare);
  const stamps = names.map(timeFromName);
  const named = options.start === null && stamps.every((s) => s !== undefined);
  const origin = named ? Date.parse(stamps[0]!) : 0;
  const timeOf = (i: number) => (named ? Date.parse(stamps[i]!) - origin : (i * 1000) / options.fps);
  return {
    label: dir,
    startsAt: named ? stamps[0]! : options.start,
    async *frames(fromIndex, onBadFrame) {
      for (let i = Math.max(0, fromIndex); i < names.length; i++) {
        let img;
        try {
          img = await decodeRgbFile(join(dir, names[i]), options.limits ? { limits: options.limits } : {});
        } catch (err) {
          if (!isCtgiError(err)) throw err;
          onBadFrame?.(i, err.message);
          continue;
        }
        yield { index: i, timeMs: timeOf(i), pixels: { data: img.data, width: img.width, height: img.height, channels: 3 } };
      }
    },
  };
}

/** The name a frame folder's crops are filed under. */
export function folderStem(dir: string): string {
  return basename(dir.replace(/[\\/]+$/, '')) || 'frames';
}
