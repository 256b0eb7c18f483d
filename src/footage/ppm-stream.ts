import { CtgiError } from '../errors/ctgi-error.js';
import type { RawInput } from '../vision/sharp-adapter.js';

// ffmpeg writes decoded frames to a pipe as concatenated binary PPM images (`-f image2pipe -c:v ppm`): each
// frame says its own size, so no probe is needed and a resolution change mid-stream is handled. This splits
// such a byte stream into frames, holding at most one frame plus one chunk.

/** Splits a stream of binary PPM (P6, maxval 255) images into raw RGB frames. @throws CtgiError BAD_INPUT on a malformed header. */
export async function* ppmFrames(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<RawInput> {
  let buf: Buffer = Buffer.alloc(0);
  let need: { width: number; height: number; offset: number; size: number } | undefined;
  for await (const chunk of chunks) {
    buf = buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([buf, chunk]);
    for (;;) {
      need ??= header(buf);
      if (!need || buf.length < need.offset + need.size) break;
      // A copy, so the frame does not pin the pipe's buffer and the rest can be released.
      const data = Buffer.from(buf.subarray(need.offset, need.offset + need.size));
      buf = buf.subarray(need.offset + need.size);
      const { width, height } = need;
      need = undefined;
      yield { data, width, height, channels: 3 };
    }
  }
  if (buf.length > 0) throw new CtgiError('BAD_INPUT', `the decoder's output ended inside a frame (${buf.length} bytes left over)`);
}

/** Parses `P6 <w> <h> 255` and one whitespace byte; undefined when more bytes are needed. */
function header(buf: Buffer): { width: number; height: number; offset: number; size: number } | undefined {
  const fields: string[] = [];
  let i = 0;
  while (fields.length < 4) {
    while (i < buf.length && isSpace(buf[i])) i++;
    if (i < buf.length && buf[i] === 0x23) {
      while (i < buf.length && buf[i] !== 0x0a) i++;
      continue;
    }
    const start = i;
    while (i < buf.length && !isSpace(buf[i])) i++;
    if (i >= buf.length) {
      if (buf.length > 64) break;
      return undefined;
    }
    fields.push(buf.toString('latin1', start, i));
  }
  const [magic, w, h, max] = fields;
  const width = Number(w);
  const height = Number(h);
  if (magic !== 'P6' || max !== '255' || !(width > 0) || !(height > 0)) {
    throw new CtgiError('BAD_INPUT', `the decoder's output is not a binary PPM frame (header ${JSON.stringify(fields.join(' ').slice(0, 40))})`);
  }
  return { width, height, offset: i + 1, size: width * height * 3 };
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}
