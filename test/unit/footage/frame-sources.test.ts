import { describe, expect, it } from 'vitest';
import { addMs, timeFromName } from '../../../src/footage/frame-source.js';
import { ppmFrames } from '../../../src/footage/ppm-stream.js';

function ppm(width: number, height: number, fill: number): Buffer {
  return Buffer.concat([Buffer.from(`P6\n${width} ${height}\n255\n`, 'latin1'), Buffer.alloc(width * height * 3, fill)]);
}

async function* chunked(buf: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('PPM frame stream (ffmpeg image2pipe)', () => {
  it('splits concatenated frames whatever the chunking, including a size change mid-stream', async () => {
    const stream = Buffer.concat([ppm(4, 2, 1), ppm(4, 2, 2), ppm(3, 5, 3)]);
    for (const size of [1, 7, 24, 4096]) {
      const frames = await collect(ppmFrames(chunked(stream, size)));
      expect(frames.map((f) => [f.width, f.height, f.data[0], f.data.length])).toEqual([
        [4, 2, 1, 24],
        [4, 2, 2, 24],
        [3, 5, 3, 45],
      ]);
    }
  });

  it('a stream cut inside a frame, or one that is not PPM, fails with a sentence', async () => {
    const cut = Buffer.concat([ppm(4, 2, 1), ppm(4, 2, 2)]).subarray(0, 50);
    await expect(collect(ppmFrames(chunked(cut, 16)))).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('ended inside a frame') });
    await expect(collect(ppmFrames(chunked(Buffer.from('GIF89a 1 1 255\n....'), 16)))).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});

describe('frame times', () => {
  it('reads a date and time from common file names, as UTC', () => {
    expect(timeFromName('cam1_20240105T140502.123.jpg')).toBe('2024-01-05T14:05:02.123Z');
    expect(timeFromName('lobby-2024-01-05_14-05-02.mp4')).toBe('2024-01-05T14:05:02.000Z');
    expect(timeFromName('frame_000123.png')).toBeUndefined();
    expect(timeFromName('20241345T250000.png')).toBeUndefined();
    expect(addMs('2024-01-05T14:05:02.000Z', 1500)).toBe('2024-01-05T14:05:03.500Z');
    expect(addMs(null, 1500)).toBeNull();
  });
});
