import type { RawInput } from '../vision/sharp-adapter.js';

/** One decoded frame: its number in the source (at the sampling rate) and its time from the source's start. */
export interface Frame {
  index: number;
  timeMs: number;
  pixels: RawInput;
}

/** A source of frames that can restart at a frame number (a resumed run). */
export interface FrameSource {
  /** The file or folder, as given. */
  readonly label: string;
  /** Absolute time of frame 0 (ISO-8601), when known. */
  readonly startsAt: string | null;
  /**
   * Frames from `fromIndex` on, one at a time; never holds more than one decoded frame. Frames that cannot
   * be decoded are passed to `onBadFrame` and skipped; a stream that cannot go on throws a CtgiError.
   */
  frames(fromIndex: number, onBadFrame?: (index: number, reason: string) => void): AsyncIterable<Frame>;
}

// Names like `cam1_20240105T140502.123.jpg`, `2024-01-05_14-05-02.mp4`, `lobby-20240105-140502Z.png`.
const STAMP = /(\d{4})-?(\d{2})-?(\d{2})[T_ -]?(\d{2})[-:h]?(\d{2})[-:m]?(\d{2})(?:[.,](\d{1,3})\d*)?(Z)?/;

/**
 * The date and time a file name carries, as ISO-8601, read as UTC (names seldom say their zone; pass
 * --start to be exact). Undefined when the name holds no plausible date and time.
 */
export function timeFromName(name: string): string | undefined {
  const m = STAMP.exec(name);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, ms] = m;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}.${(ms ?? '0').padEnd(3, '0')}Z`;
  const t = Date.parse(iso);
  if (!Number.isFinite(t) || new Date(t).toISOString() !== iso) return undefined;
  return iso;
}

/** `start` plus `ms` milliseconds, as ISO-8601 (null when `start` is null). */
export function addMs(start: string | null, ms: number): string | null {
  return start === null ? null : new Date(Date.parse(start) + Math.round(ms)).toISOString();
}
