import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { CtgiError, isCtgiError } from '../errors/ctgi-error.js';
import { timeFromName, type FrameSource } from './frame-source.js';
import { ppmFrames } from './ppm-stream.js';

// Video decoding through an ffmpeg process: it samples the video at the requested rate (`fps` filter) and
// streams PPM frames through a pipe, so a 4K/60 fps file costs one frame of memory at a time. The binary is
// the one the optional `@ffmpeg-installer/ffmpeg` package ships, else `ffmpeg` on PATH.

const NO_FFMPEG =
  'Decoding video needs ffmpeg, and none was found: install it (e.g. `apt-get install ffmpeg`, `brew install ffmpeg`) so `ffmpeg` is on PATH, or add the @ffmpeg-installer/ffmpeg package; or extract frames yourself and pass --frames DIR.';

let located: Promise<string | undefined> | undefined;

/** The ffmpeg binary to use, or undefined when there is none. */
export function findFfmpeg(): Promise<string | undefined> {
  located ??= (async () => {
    try {
      const installer = createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path?: string };
      if (installer.path && (await runs(installer.path))) return installer.path;
    } catch {
      // Not installed: fall back to PATH.
    }
    return (await runs('ffmpeg')) ? 'ffmpeg' : undefined;
  })();
  return located;
}

function runs(bin: string): Promise<boolean> {
  return new Promise((resolveRuns) => {
    const p = spawn(bin, ['-hide_banner', '-version'], { stdio: 'ignore' });
    p.on('error', () => resolveRuns(false));
    p.on('exit', (code) => resolveRuns(code === 0));
  });
}

/**
 * A video file sampled at `fps` frames per second. Frame times are `index / fps` seconds from the start;
 * the absolute start is `start`, else the file's `creation_time` metadata, else a date and time in its name.
 * @throws CtgiError NOT_FOUND when no ffmpeg exists.
 */
export async function openVideo(path: string, options: { fps: number; start: string | null }): Promise<FrameSource> {
  const bin = await findFfmpeg();
  if (!bin) throw new CtgiError('NOT_FOUND', NO_FFMPEG);
  const fps = options.fps;
  return {
    label: path,
    startsAt: options.start ?? (await creationTime(bin, path)) ?? timeFromName(basename(path)) ?? null,
    async *frames(fromIndex) {
      const seek = fromIndex > 0 ? ['-ss', (fromIndex / fps).toFixed(3)] : [];
      const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', ...seek, '-i', path, '-map', '0:v:0', '-an', '-sn', '-dn', '-vf', `fps=${fps}`, '-f', 'image2pipe', '-c:v', 'ppm', '-pix_fmt', 'rgb24', 'pipe:1'];
      const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (s: string) => {
        // Keep the tail only: a corrupt file can make ffmpeg complain on every packet.
        stderr = (stderr + s).slice(-4000);
      });
      const exited = new Promise<number | null>((resolveExit) => {
        child.on('error', () => resolveExit(-1));
        child.on('close', (code) => resolveExit(code));
      });
      let index = fromIndex;
      let finished = false;
      try {
        for await (const pixels of ppmFrames(child.stdout)) {
          yield { index, timeMs: (index * 1000) / fps, pixels };
          index++;
        }
        finished = true;
      } catch (err) {
        if (!isCtgiError(err)) throw err;
        throw stopped(path, index, fps, err.message);
      } finally {
        if (!finished) child.kill('SIGKILL');
      }
      const code = await exited;
      if (code !== 0) throw stopped(path, index, fps, lastLine(stderr) || `ffmpeg exited with code ${code}`);
    },
  };
}

/** The container's `creation_time` tag (ISO-8601), read from ffmpeg's description of the input. */
async function creationTime(bin: string, path: string): Promise<string | undefined> {
  const info = await new Promise<string>((resolveInfo) => {
    // Without an output ffmpeg only describes the input (and exits 1, which is expected here).
    const child = spawn(bin, ['-hide_banner', '-nostdin', '-i', path], { stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      if (text.length < 64_000) text += s;
    });
    child.on('error', () => resolveInfo(''));
    child.on('close', () => resolveInfo(text));
  });
  const m = /creation_time\s*:\s*(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)/.exec(info);
  if (!m || !Number.isFinite(Date.parse(m[1]))) return undefined;
  return new Date(Date.parse(m[1])).toISOString();
}

function lastLine(s: string): string {
  const lines = s.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.at(-1) ?? '';
}

function stopped(path: string, index: number, fps: number, reason: string): CtgiError {
  const where = index === 0 ? 'before its first frame' : `after ${(index / fps).toFixed(1)} s (${index} frames)`;
  return new CtgiError('BAD_INPUT', `Decoding ${path} stopped ${where}: ${reason.replace(/\.$/, '')}.`);
}

/**
 * Encodes numbered frame images (`pattern` as ffmpeg reads it, e.g. `frames/cam_%04d.png`) into an MP4 at
 * `fps`. Returns false when no ffmpeg exists.
 * @throws CtgiError BAD_INPUT with ffmpeg's complaint when encoding fails.
 */
export async function encodeFramesToVideo(pattern: string, fps: number, out: string): Promise<boolean> {
  const bin = await findFfmpeg();
  if (!bin) return false;
  // MPEG-4 part 2 at high quality: every ffmpeg build has the encoder (libx264 is optional).
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-framerate', String(fps), '-i', pattern, '-c:v', 'mpeg4', '-q:v', '2', '-pix_fmt', 'yuv420p', out];
  const stderr = await new Promise<string | undefined>((resolveRun) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => (err = (err + s).slice(-2000)));
    child.on('error', (e) => resolveRun(e.message));
    child.on('close', (code) => resolveRun(code === 0 ? undefined : lastLine(err) || `ffmpeg exited with code ${code}`));
  });
  if (stderr !== undefined) throw new CtgiError('BAD_INPUT', `Cannot encode ${out}: ${stderr.replace(/\.$/, '')}.`);
  return true;
}

