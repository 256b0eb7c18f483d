// Strict ISO 8601 instants for user input (audit date filters): a calendar date, or a date and time with an
// explicit zone. Date.parse is not used because it shifts impossible dates (2024-02-31 → 2024-03-02) and
// ignores or misreads trailing text, which silently changes the range a user asked for.

/** A parsed instant (`instant`, UTC ISO with milliseconds) or why the text is not one (`reason`). */
export type IsoInstantResult = { ok: true; instant: string } | { ok: false; reason: string };

/** Examples shown to users next to a refusal. */
export const ISO_INSTANT_EXAMPLES = '2024-05-01, 2024-05-01T12:00Z or 2024-05-01T12:00:00.5+02:00';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * Parses `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDTHH:MM[:SS[.fff…]]` followed by `Z` or `±HH:MM`, and
 * nothing else: no missing zone, no trailing text, no day or hour that does not exist.
 */
export function parseIsoInstant(value: string): IsoInstantResult {
  const date = DATE.exec(value);
  const dateTime = date ? undefined : DATE_TIME.exec(value);
  const m = date ?? dateTime;
  if (!m) return { ok: false, reason: shapeReason(value) };
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12) return { ok: false, reason: `there is no month ${m[2]}` };
  const days = daysInMonth(year, month);
  if (day < 1 || day > days) return { ok: false, reason: `${MONTHS[month - 1]} ${year} has no day ${m[3]}` };
  let hour = 0;
  let minute = 0;
  let second = 0;
  let millis = 0;
  let offsetMinutes = 0;
  if (dateTime) {
    [hour, minute, second] = [Number(dateTime[4]), Number(dateTime[5]), Number(dateTime[6] ?? '0')];
    if (hour > 23) return { ok: false, reason: `there is no hour ${dateTime[4]} (use 00–23)` };
    if (minute > 59) return { ok: false, reason: `there is no minute ${dateTime[5]}` };
    if (second > 59) return { ok: false, reason: `there is no second ${dateTime[6]}` };
    // Digits past the millisecond are dropped (truncated), as the stored instants have millisecond precision.
    millis = Number((dateTime[7] ?? '').padEnd(3, '0').slice(0, 3));
    const zone = dateTime[8];
    if (zone !== 'Z') {
      const [oh, om] = [Number(zone.slice(1, 3)), Number(zone.slice(4, 6))];
      if (oh > 23 || om > 59) return { ok: false, reason: `${zone} is not a time zone offset` };
      offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
    }
  }
  const utc = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, millis);
  return { ok: true, instant: new Date(utc.getTime() - offsetMinutes * 60_000).toISOString() };
}

/** `value` as a UTC ISO instant, or undefined when parseIsoInstant refuses it. */
export function isoInstantOrUndefined(value: string): string | undefined {
  const parsed = parseIsoInstant(value);
  return parsed.ok ? parsed.instant : undefined;
}

/** The one-sentence refusal of a date option, naming it, the value, the reason and examples. */
export function isoInstantRefusal(option: string, value: string, reason: string): string {
  return `${option} "${value}" is not an ISO 8601 date or time (${reason}); use e.g. ${ISO_INSTANT_EXAMPLES}.`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function shapeReason(value: string): string {
  if (value.trim() === '') return 'it is empty';
  const lead = /^\d{4}-\d{2}-\d{2}/.exec(value);
  if (!lead) return 'it does not start with YYYY-MM-DD';
  const rest = value.slice(lead[0].length);
  if (!rest.startsWith('T')) return `unexpected "${rest}" after the date`;
  if (/^T\d{2}:\d{2}(:\d{2}([.,]\d+)?)?$/.test(rest)) return 'a time needs a zone: add Z or an offset such as +02:00';
  return `"${rest.slice(1)}" is not a time of the form HH:MM[:SS[.fff]] followed by Z or ±HH:MM`;
}
