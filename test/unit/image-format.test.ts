// Image formats by content (issue 17 item 12): the signatures of what ctgi reads and of what it refuses.
import { describe, expect, it } from 'vitest';
import { sniffImageFormat, unacceptedFormatReason } from '../../src/vision/image-format.js';

const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

describe('sniffImageFormat', () => {
  it('accepts JPEG, PNG and WebP signatures', () => {
    expect(sniffImageFormat(bytes([0xff, 0xd8, 0xff, 0xe0], 'JFIF'))).toEqual({ accepted: true, format: 'jpeg' });
    expect(sniffImageFormat(bytes([0x89], 'PNG\r\n\x1a\n', [0, 0, 0, 13], 'IHDR'))).toEqual({ accepted: true, format: 'png' });
    expect(sniffImageFormat(bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 '))).toEqual({ accepted: true, format: 'webp' });
  });

  it('names the formats it refuses', () => {
    const name = (head: Buffer) => {
      const r = sniffImageFormat(head);
      return r.accepted ? `accepted ${r.format}` : r.name;
    };
    expect(name(bytes('GIF89a', [1, 0, 1, 0]))).toBe('GIF');
    expect(name(bytes('GIF87a'))).toBe('GIF');
    expect(name(bytes('II*\0', [8, 0, 0, 0]))).toBe('TIFF');
    expect(name(bytes('MM\0*', [0, 0, 0, 8]))).toBe('TIFF');
    expect(name(bytes([0xef, 0xbb, 0xbf], '  <?xml version="1.0"?><svg/>'))).toBe('SVG (XML text)');
    expect(name(bytes('<!-- drawn by hand -->\n<svg width="1" height="1"></svg>'))).toBe('SVG (XML text)');
    expect(name(bytes('BM'))).toBe('BMP');
    expect(name(bytes('%PDF-1.7'))).toBe('PDF');
    expect(name(bytes([0, 0, 0, 0x1c], 'ftypavif'))).toBe('AVIF');
    expect(name(bytes([0, 0, 0, 0x18], 'ftypheic'))).toBe('HEIF');
    // A RIFF container that is not WebP (a WAV file) and a truncated JPEG signature.
    expect(name(bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt '))).toBeUndefined();
    expect(name(bytes([0xff, 0xd8]))).toBeUndefined();
    expect(name(Buffer.alloc(0))).toBeUndefined();
  });

  it('explains a refusal in words that say the name does not matter', () => {
    expect(unacceptedFormatReason('GIF')).toBe('its content is GIF, not JPEG, PNG or WebP (ctgi decides by content, not by the file name)');
    expect(unacceptedFormatReason(undefined)).toBe('its content is not a known image format, not JPEG, PNG or WebP (ctgi decides by content, not by the file name)');
  });
});
