import { isCtgiError } from '../errors/ctgi-error.js';
import { openRegularFile } from '../util/regular-file.js';
import { imageFileError, invalidImage } from './image-errors.js';
import { FORMAT_SNIFF_BYTES, sniffImageFormat, unacceptedFormatReason, type AcceptedImageFormat } from './image-format.js';
import { checkBytes, checkPixels, type ImageLimits } from './image-limits.js';
import { sharpHeader } from './sharp-adapter.js';

// Checks made on every image before any pixel is decoded: format by content, byte size, then the pixel size
// from the header, so a decompression bomb costs no more than its header.

/** Size and format of an image, with EXIF orientation applied to the size. */
export interface ImageMeta {
  width: number;
  height: number;
  /** The decoder's name: `jpeg`, `png` or `webp`. */
  format: string;
}

/**
 * Checks encoded bytes: within `limits.maxBytes`, JPEG, PNG or WebP by content, then the header's pixel size.
 * @throws CtgiError IMAGE_INVALID or IMAGE_TOO_LARGE naming `label`.
 */
export async function probeImage(data: Buffer, label: string, limits: ImageLimits): Promise<ImageMeta> {
  if (data.length === 0) throw invalidImage(label, 'the file is empty');
  checkBytes(label, data.length, limits);
  const format = acceptedFormat(data, label);
  const meta = await readHeader(data, label, format);
  checkPixels(label, meta.width, meta.height, limits);
  return meta;
}

/**
 * Reads an image file's oriented size and format from its header, without decoding pixels or applying
 * limits; only regular files holding JPEG, PNG or WebP are read.
 * @throws CtgiError NOT_FOUND or IMAGE_INVALID naming the file.
 */
export async function readImageMeta(path: string): Promise<ImageMeta> {
  let head: Buffer;
  try {
    const opened = await openRegularFile(path);
    if (!opened.ok) throw invalidImage(path, `it is ${opened.kind}, not a regular file`);
    try {
      if (opened.stats.size === 0) throw invalidImage(path, 'the file is empty');
      const { buffer, bytesRead } = await opened.handle.read(Buffer.alloc(FORMAT_SNIFF_BYTES), 0, FORMAT_SNIFF_BYTES, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await opened.handle.close();
    }
  } catch (err) {
    if (isCtgiError(err)) throw err;
    throw imageFileError(path, err);
  }
  return readHeader(path, path, acceptedFormat(head, path));
}

function acceptedFormat(head: Uint8Array, label: string): AcceptedImageFormat {
  const sniffed = sniffImageFormat(head);
  if (!sniffed.accepted) throw invalidImage(label, unacceptedFormatReason(sniffed.name));
  return sniffed.format;
}

/** Oriented size and format from the header of a file path or buffer. @throws CtgiError IMAGE_INVALID. */
async function readHeader(input: Buffer | string, label: string, expected: AcceptedImageFormat): Promise<ImageMeta> {
  let meta;
  try {
    meta = await sharpHeader(input);
  } catch (err) {
    throw invalidImage(label, headerReason(err), err);
  }
  // The decoder sniffs content too; a disagreement means bytes that only look like the format at the start.
  if (meta.format !== expected) throw invalidImage(label, 'its header is corrupt or truncated');
  if (!(meta.width > 0 && meta.height > 0)) throw invalidImage(label, 'its header declares no pixel size');
  return meta;
}

function headerReason(err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  if (/unsupported image format/i.test(message)) return 'it is not a supported image format (use JPEG, PNG or WebP)';
  return 'its header is corrupt or truncated';
}
