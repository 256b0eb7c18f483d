// Wall-clock dates and times in a named time zone (IANA, e.g. "Europe/Paris"), with Intl only: what a
// witness means by "yesterday at 2 pm" depends on where the cameras are, not on UTC.

/** A calendar day and time of day as a wall clock in some zone shows it. */
export interface WallTime {
  year: number;
  /** 1–12. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `timeZone` is a zone name Intl knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The server's own zone name. */
export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** The wall clock in `timeZone` at `instant`. */
export function wallTime(instant: Date, timeZone: string): WallTime & { second: number } {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(instant).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAYS.indexOf(parts.weekday ?? 'Sun'),
  };
}

/** Offset of `timeZone` from UTC at `instant`, in milliseconds. */
function offsetMs(instant: number, timeZone: string): number {
  const w = wallTime(new Date(instant), timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a wall clock in `timeZone` shows `minutes` after midnight of the given day (minutes may run
 * past 1440 or below 0: the next or previous day). In a DST gap the later offset wins.
 */
export function zonedInstant(day: { year: number; month: number; day: number }, minutes: number, timeZone: string): Date {
  const guess = Date.UTC(day.year, day.month - 1, day.day) + minutes * 60_000;
  const first = guess - offsetMs(guess, timeZone);
  const second = guess - offsetMs(first, timeZone);
  return new Date(second);
}

/** The calendar day `days` after the given one (negative: before). */
export function addDays(day: { year: number; month: number; day: number }, days: number): { year: number; month: number; day: number } {
  const d = new Date(Date.UTC(day.year, day.month - 1, day.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** "14:05" in `timeZone`. */
export function clockOf(instant: Date, timeZone: string): string {
  const w = wallTime(instant, timeZone);
  return `${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "today", "yesterday", "tomorrow", or "3 Dec" ("3 Dec 2025" in another year), relative to `now` in `timeZone`. */
export function dayName(instant: Date, now: Date, timeZone: string): string {
  const w = wallTime(instant, timeZone);
  const today = wallTime(now, timeZone);
  const same = (d: { year: number; month: number; day: number }) => d.year === w.year && d.month === w.month && d.day === w.day;
  if (same(today)) return 'today';
  if (same(addDays(today, -1))) return 'yesterday';
  if (same(addDays(today, 1))) return 'tomorrow';
  return `${w.day} ${MONTHS[w.month - 1]}${w.year !== today.year ? ` ${w.year}` : ''}`;
}
