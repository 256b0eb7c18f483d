// Which image formats ctgi reads, decided by content (magic bytes), never by the file name: libvips would
// otherwise decode anything it knows (SVG through librsvg, GIF, TIFF, PDF, …) that is named .png or .jpg.

/** The formats ctgi reads (what the README promises). */
export type AcceptedImageFormat = 'jpeg' | 'png' | 'webp';

/** Bytes needed from the start of a file to recognise its format. */
export const FORMAT_SNIFF_BYTES = 512;

/** What the first bytes say: an accepted format, or the name of another format (or undefined) for the refusal. */
export type SniffedFormat = { accepted: true; format: AcceptedImageFormat } | { accepted: false; name: string | undefined };

/** Recognises JPEG, PNG and WebP by their signatures; names a few other formats for a clearer refusal. */
export function sniffImageFormat(head: Uint8Array): SniffedFormat {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return { accepted: true, format: 'jpeg' };
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { accepted: true, format: 'png' };
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 4) === 'WEBP') return { accepted: true, format: 'webp' };
  return { accepted: false, name: otherFormatName(head) };
}

/** The reason an image of unaccepted content is refused, e.g. "its content is GIF, not JPEG, PNG or WebP". */
export function unacceptedFormatReason(name: string | undefined): string {
  return `its content is ${name ?? 'not a known image format'}, not JPEG, PNG or WebP (ctgi decides by content, not by the file name)`;
}

function otherFormatName(head: Uint8Array): string | undefined {
  const start = String.fromCharCode(...head.subarray(0, 12));
  if (start.startsWith('GIF87a') || start.startsWith('GIF89a')) return 'GIF';
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a])) return 'TIFF';
  if (startsWith(head, [0x49, 0x49, 0x2b, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2b])) return 'BigTIFF';
  if (start.startsWith('BM')) return 'BMP';
  if (start.startsWith('%PDF')) return 'PDF';
  if (ascii(head, 4, 4) === 'ftyp') {
    const brand = ascii(head, 8, 4);
    return brand.startsWith('avi') ? 'AVIF' : brand.startsWith('he') || brand.startsWith('mif') ? 'HEIF' : 'an ISO media file';
  }
  if (startsWith(head, [0xff, 0x0a]) || ascii(head, 4, 4) === 'JXL ') return 'JPEG XL';
  if (ascii(head, 4, 8) === 'jP  \r\n\x87\n' || startsWith(head, [0xff, 0x4f, 0xff, 0x51])) return 'JPEG 2000';
  const text = Buffer.from(head).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (/^<(\?xml|svg|!DOCTYPE svg|!--)/i.test(text) || /<svg[\s>]/i.test(text)) return 'SVG (XML text)';
  return undefined;
}

function startsWith(head: Uint8Array, bytes: number[]): boolean {
  return head.length >= bytes.length && bytes.every((b, i) => head[i] === b);
}

function ascii(head: Uint8Array, offset: number, length: number): string {
  return head.length >= offset + length ? String.fromCharCode(...head.subarray(offset, offset + length)) : '';
}
