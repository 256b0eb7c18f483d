/** What a progress bar counts: bytes (shown as KiB/MiB/...) or items (shown with a noun, e.g. "images"). */
export type ProgressUnit = { kind: 'bytes' } | { kind: 'items'; noun: string };

export const BYTES: ProgressUnit = { kind: 'bytes' };

/** An items unit with its plural noun: `items('images')`. */
export function items(noun = 'items'): ProgressUnit {
  return { kind: 'items', noun };
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** `1536` → `"1.5 KiB"`; whole bytes below 1 KiB, three significant digits above. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '? B';
  let value = bytes;
  let u = 0;
  while (value >= 1024 && u < BYTE_UNITS.length - 1) {
    value /= 1024;
    u++;
  }
  if (u === 0) return `${Math.round(value)} B`;
  // Round first so 1023.96 KiB does not print as "1024 KiB".
  let shown = value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
  if (Number(shown) >= 1024 && u < BYTE_UNITS.length - 1) {
    shown = '1.00';
    u++;
  }
  return `${shown} ${BYTE_UNITS[u]}`;
}

/** An amount in its unit: `formatAmount(1536, BYTES)` → `"1.50 KiB"`, items → `"1,234"`. */
export function formatAmount(n: number, unit: ProgressUnit): string {
  return unit.kind === 'bytes' ? formatBytes(n) : Math.round(n).toLocaleString('en-US');
}

/** Throughput: `"2.50 MiB/s"`, `"12.3 images/s"`; `"--/s"` when unknown. */
export function formatRate(perSecond: number | undefined, unit: ProgressUnit): string {
  if (perSecond === undefined || !Number.isFinite(perSecond) || perSecond < 0) return unit.kind === 'bytes' ? '-- B/s' : `-- ${unit.noun}/s`;
  if (unit.kind === 'bytes') return `${formatBytes(perSecond)}/s`;
  const shown = perSecond >= 100 ? Math.round(perSecond).toLocaleString('en-US') : perSecond >= 10 ? perSecond.toFixed(1) : perSecond.toFixed(2);
  return `${shown} ${unit.noun}/s`;
}

/** `65` → `"1:05"`, `3725` → `"1:02:05"` (seconds rounded up so a countdown never shows 0:00 early). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.ceil(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(sec).padStart(2, '0')}`;
}

/** Time left at `perSecond`: `"1:05"`, or `"--:--"` when the rate or total is unknown. */
export function formatEta(done: number, total: number | undefined, perSecond: number | undefined): string {
  if (total === undefined || perSecond === undefined || !(perSecond > 0)) return '--:--';
  return formatDuration(Math.max(0, total - done) / perSecond);
}

/** `"42%"` (floored, so 100% means really done); empty when the total is unknown. */
export function formatPercent(done: number, total: number | undefined): string {
  if (total === undefined) return '';
  if (total <= 0) return '100%';
  return `${Math.min(100, Math.floor((done / total) * 100))}%`;
}

/** One timestamped reading of the counter. */
export interface RateSample {
  atMs: number;
  done: number;
}

/** Rate over the samples (first to last), per second; undefined until they span at least `minSpanMs`. */
export function estimateRate(samples: readonly RateSample[], minSpanMs = 500): number | undefined {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last || last.atMs - first.atMs < minSpanMs) return undefined;
  return Math.max(0, last.done - first.done) / ((last.atMs - first.atMs) / 1000);
}

/** Everything one progress line shows. */
export interface ProgressState {
  label: string;
  done: number;
  total: number | undefined;
  unit: ProgressUnit;
  perSecond: number | undefined;
  /** Width of the `[###---]` graphic; 0 omits it (plain log lines). */
  barWidth: number;
}

/** `"label [#####-----] 42% 1.20 MiB/2.86 MiB 3.10 MiB/s ETA 0:01"`. */
export function renderProgressLine(s: ProgressState): string {
  const parts = [s.label];
  if (s.barWidth > 0 && s.total !== undefined) {
    const frac = s.total <= 0 ? 1 : Math.min(1, Math.max(0, s.done / s.total));
    const full = Math.floor(frac * s.barWidth);
    parts.push(`[${'#'.repeat(full)}${'-'.repeat(s.barWidth - full)}]`);
  }
  const pct = formatPercent(s.done, s.total);
  if (pct) parts.push(pct);
  const noun = s.unit.kind === 'items' ? ` ${s.unit.noun}` : '';
  parts.push(s.total === undefined ? `${formatAmount(s.done, s.unit)}${noun}` : `${formatAmount(s.done, s.unit)}/${formatAmount(s.total, s.unit)}${noun}`);
  parts.push(formatRate(s.perSecond, s.unit));
  if (s.total !== undefined) parts.push(`ETA ${formatEta(s.done, s.total, s.perSecond)}`);
  return parts.join(' ');
}

/** Options of a ProgressBar; only `label` and `stream` are required. */
export interface ProgressBarOptions {
  label: string;
  /** Undefined when the total is not known (no percentage or ETA then). */
  total: number | undefined;
  unit?: ProgressUnit;
  /** Usually stderr, so stdout stays clean for results. */
  stream: NodeJS.WritableStream;
  /** Redraw in place; defaults to `stream.isTTY`. */
  tty?: boolean;
  /** Counted as done from the start (e.g. resumed bytes) without inflating the rate. */
  initial?: number;
  /** TTY redraws at most this often (default 100 ms, i.e. 10/s). */
  redrawIntervalMs?: number;
  /** Non-TTY: a plain line at every this many percent (default 10)... */
  plainPercentStep?: number;
  /** ...or when this long has passed since the last line (default 15 s). */
  plainIntervalMs?: number;
  now?: () => number;
}

const RATE_WINDOW_MS = 5_000;
const SAMPLE_EVERY_MS = 100;

/**
 * A progress bar on stderr: redrawn in place (throttled) on a terminal, occasional plain lines in logs,
 * and a summary line from `finish()`. Reusable for bytes and item counts.
 */
export class ProgressBar {
  readonly #o: Required<Omit<ProgressBarOptions, 'total' | 'tty'>> & { tty: boolean };
  #total: number | undefined;
  #done: number;
  readonly #startMs: number;
  #samples: RateSample[] = [];
  #lastDrawMs = -Infinity;
  #lastPlainPct = -1;
  #finished = false;
  #lastUpdateMs: number;

  constructor(options: ProgressBarOptions) {
    this.#o = {
      unit: BYTES,
      initial: 0,
      redrawIntervalMs: 100,
      plainPercentStep: 10,
      plainIntervalMs: 15_000,
      now: () => Date.now(),
      ...options,
      tty: options.tty ?? (options.stream as { isTTY?: boolean }).isTTY === true,
    };
    this.#total = options.total;
    this.#done = this.#o.initial;
    this.#startMs = this.#o.now();
    this.#lastUpdateMs = this.#startMs;
    this.#samples.push({ atMs: this.#startMs, done: this.#done });
    if (this.#o.tty) {
      this.#draw(this.#startMs);
    } else {
      this.#lastDrawMs = this.#startMs;
      this.#lastPlainPct = this.#total && this.#total > 0 ? Math.floor((this.#done / this.#total) * 100) : 0;
      this.#o.stream.write(`${this.#line(0)}\n`);
    }
  }

  /** Sets the absolute count done so far. */
  update(done: number): void {
    if (this.#finished) return;
    this.#done = done;
    const now = this.#o.now();
    // Updates can come thousands of times a second (one per network chunk); the rate window keeps one
    // sample per SAMPLE_EVERY_MS so it stays small.
    if (now - this.#samples[this.#samples.length - 1]!.atMs >= SAMPLE_EVERY_MS) {
      this.#samples.push({ atMs: now, done });
      while (this.#samples.length > 2 && now - this.#samples[0]!.atMs > RATE_WINDOW_MS) this.#samples.shift();
    }
    this.#lastUpdateMs = now;
    if (this.#o.tty) {
      if (now - this.#lastDrawMs >= this.#o.redrawIntervalMs) this.#draw(now);
      return;
    }
    const pct = this.#total && this.#total > 0 ? Math.floor((done / this.#total) * 100) : undefined;
    const step = this.#o.plainPercentStep;
    const crossed = pct !== undefined && Math.floor(pct / step) > Math.floor(this.#lastPlainPct / step) && pct < 100;
    if (crossed || now - this.#lastDrawMs >= this.#o.plainIntervalMs) {
      if (pct !== undefined) this.#lastPlainPct = pct;
      this.#lastDrawMs = now;
      this.#o.stream.write(`${this.#line(0)}\n`);
    }
  }

  /** Adds `n` (default 1) to the count. */
  increment(n = 1): void {
    this.update(this.#done + n);
  }

  /** Changes the total (e.g. once it becomes known). */
  setTotal(total: number | undefined): void {
    this.#total = total;
  }

  /** Prints a message above the bar without garbling it. */
  log(message: string): void {
    if (this.#o.tty && !this.#finished) {
      this.#o.stream.write(`\r\x1b[K${message}\n`);
      this.#draw(this.#o.now());
    } else {
      this.#o.stream.write(`${message}\n`);
    }
  }

  /** Ends the bar with a summary line (`label: 12.0 MiB in 0:04 (3.00 MiB/s)`, or `message`). Idempotent. */
  finish(message?: string): void {
    if (this.#finished) return;
    this.#finished = true;
    const elapsedS = (this.#o.now() - this.#startMs) / 1000;
    const moved = this.#done - this.#o.initial;
    const rate = elapsedS > 0 ? moved / elapsedS : undefined;
    const noun = this.#o.unit.kind === 'items' ? ` ${this.#o.unit.noun}` : '';
    const summary = message ?? `${this.#o.label}: ${formatAmount(this.#done, this.#o.unit)}${noun} in ${formatDuration(elapsedS)} (${formatRate(rate, this.#o.unit)})`;
    this.#o.stream.write(this.#o.tty ? `\r\x1b[K${summary}\n` : `${summary}\n`);
  }

  #line(barWidth: number): string {
    return renderProgressLine({
      label: this.#o.label,
      done: this.#done,
      total: this.#total,
      unit: this.#o.unit,
      perSecond: estimateRate([...this.#samples, { atMs: this.#lastUpdateMs, done: this.#done }]),
      barWidth,
    });
  }

  #draw(now: number): void {
    this.#lastDrawMs = now;
    const reported = (this.#o.stream as { columns?: number }).columns;
    const columns = reported !== undefined && reported > 0 ? reported : 80;
    // A line that wraps cannot be redrawn with '\r', so it is cut to the terminal width.
    const plain = this.#line(0);
    const line = (plain.length + 23 <= columns - 1 ? this.#line(20) : plain).slice(0, Math.max(10, columns - 1));
    this.#o.stream.write(`\r${line}\x1b[K`);
  }
}
