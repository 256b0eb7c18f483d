import { addDays, wallTime, zonedInstant } from '../util/zoned-time.js';

// When a witness says something happened — "around 2 pm", "after 14:00", "yesterday evening", "between 13:00
// and 15:30", "in the last 2 hours" — as an inclusive span of instants, resolved against a clock in a time
// zone. Pure; the words it read are returned as spans so the caller can cut them from the description.

/** A matched stretch of the text: [start, end). */
export type Span = [number, number];

/** What the time words of a text say, resolved. */
export interface TimePhrases {
  /** ISO-8601 inclusive bounds; both absent when the text says nothing about time. */
  from?: string;
  to?: string;
  spans: Span[];
}

/** A time of day in minutes after midnight, an end that may run past midnight. */
interface Window {
  start: number;
  end: number;
  /** The end is the first minute after the window (a day part), rather than a stated clock time. */
  endExclusive: boolean;
}

const MERIDIEM = String.raw`(?:a\.m\.|p\.m\.|am\b|pm\b)`;
// A clock time that cannot be a size or a count: "2 pm", "2:30", "14:00", "14h", "14h30", "3 o'clock", "noon".
const TOD = String.raw`\b(?:\d{1,2}(?::\d{2})?\s*${MERIDIEM}|\d{1,2}:\d{2}\b|\d{1,2}h(?:\d{2})?\b|\d{1,2}\s*o'?clock\b|noon\b|midday\b|midnight\b)`;
const HOURISH = String.raw`(?:${TOD}|\d{1,2}\b)`;
const WEEKDAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH = String.raw`(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?`;
const PARTS: Record<string, [number, number]> = { morning: [360, 720], afternoon: [720, 1080], evening: [1080, 1440], night: [1320, 1800] };
const AROUND_MINUTES = 30;
const NUMBER_WORDS: Record<string, number> = { a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, ten: 10, twelve: 12, few: 3, couple: 2 };

type Day = { year: number; month: number; day: number };

/** Minutes after midnight of a clock token ("2 pm" → 840), or undefined when it is not a time. */
export function clockMinutes(token: string, meridiemHint?: 'am' | 'pm'): number | undefined {
  const t = token.toLowerCase().replace(/\s+/g, ' ').trim();
  if (t === 'noon' || t === 'midday') return 720;
  if (t === 'midnight') return 0;
  const m = /^(\d{1,2})(?:[:h](\d{2})?)?\s*(a\.m\.|p\.m\.|am|pm|o'?clock)?$/.exec(t);
  if (!m) return undefined;
  let hour = Number(m[1]);
  const minute = Number(m[2] ?? 0);
  const mer = m[3]?.startsWith('a') ? 'am' : m[3]?.startsWith('p') ? 'pm' : meridiemHint;
  if (minute > 59) return undefined;
  if (mer) {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (mer === 'pm' ? 12 : 0);
  } else if (hour > 23) return undefined;
  return hour * 60 + minute;
}

const meridiemOf = (token: string): 'am' | 'pm' | undefined => (/a\.?m\.?\s*$/i.test(token) ? 'am' : /p\.?m\.?\s*$/i.test(token) ? 'pm' : undefined);

/** Reads the time words of `text` against `now` in `timeZone`. */
export function readTimePhrases(text: string, now: Date, timeZone: string): TimePhrases {
  const spans: Span[] = [];
  const taken = (a: number, b: number) => spans.some(([s, e]) => a < e && b > s);
  /** Every non-overlapping match of `re`, recorded as spans. */
  const each = (re: RegExp, fn: (m: RegExpExecArray) => boolean) => {
    for (const m of text.matchAll(new RegExp(re.source, 'gi'))) {
      const start = m.index ?? 0;
      const end = start + m[0].length;
      if (!taken(start, end) && fn(m as RegExpExecArray)) spans.push([start, end]);
    }
  };
  const today: Day = wallTime(now, timeZone);
  let window: Window | undefined;
  let day: Day | undefined;
  let relative: { from: Date; to: Date } | undefined;
  const narrow = (w: Window) => {
    window = window ? { start: Math.max(window.start, w.start), end: Math.min(window.end, w.end), endExclusive: w.end < window.end ? w.endExclusive : window.endExclusive } : w;
  };

  // "in the last 2 hours", "past 30 minutes", "over the last day".
  each(/\b(?:(?:in|within|over|during)\s+the\s+)?(?:last|past)\s+(?:(\d{1,3}|an?|one|two|three|four|five|six|ten|twelve|few|couple(?:\s+of)?)\s+)?(minutes?|mins?|hours?|hrs?|days?)\b/, (m) => {
    const count = m[1] === undefined ? 1 : /^\d/.test(m[1]) ? Number(m[1]) : (NUMBER_WORDS[m[1].split(/\s/)[0].toLowerCase()] ?? 1);
    const unit = m[2].toLowerCase().startsWith('d') ? 1440 : m[2].toLowerCase().startsWith('h') ? 60 : 1;
    relative = { from: new Date(now.getTime() - count * unit * 60_000), to: now };
    return true;
  });
  // Ranges: "between 1 and 3 pm", "from 13:00 to 15:30", "13:00-15:30".
  each(new RegExp(String.raw`\b(?:between|from)\s+(${HOURISH})\s*(?:and|to|until|till|-|–)\s*(${HOURISH})|\b(${TOD})\s*(?:-|–|to|until|till)\s*(${TOD})`), (m) => {
    const [a, b] = m[1] !== undefined ? [m[1], m[2]] : [m[3], m[4]];
    if (!new RegExp(`^${TOD}$`, 'i').test(a.trim()) && !new RegExp(`^${TOD}$`, 'i').test(b.trim())) return false;
    const end = clockMinutes(b);
    const start = clockMinutes(a, end !== undefined && !meridiemOf(a) ? meridiemOf(b) : undefined);
    if (start === undefined || end === undefined) return false;
    narrow({ start, end: end < start ? end + 1440 : end, endExclusive: false });
    return true;
  });
  each(new RegExp(String.raw`\b(?:after|since|from|later\s+than)\s+(${TOD})`), (m) => {
    const t = clockMinutes(m[1]);
    if (t === undefined) return false;
    narrow({ start: t, end: 1440, endExclusive: true });
    return true;
  });
  each(new RegExp(String.raw`\b(?:before|until|till|by|earlier\s+than)\s+(${TOD})`), (m) => {
    const t = clockMinutes(m[1]);
    if (t === undefined) return false;
    narrow({ start: 0, end: t, endExclusive: false });
    return true;
  });
  each(new RegExp(String.raw`(?:\b(?:around|about|approximately|roughly|circa|at|near)\s+)?(${TOD})(?:\s+or\s+so)?`), (m) => {
    const t = clockMinutes(m[1]);
    if (t === undefined) return false;
    narrow({ start: t - AROUND_MINUTES, end: t + AROUND_MINUTES, endExclusive: false });
    return true;
  });

  // Days: "yesterday evening", "last night", "tonight", "this morning", "on Monday", "3 Dec", "2026-12-03".
  const setDay = (d: Day) => {
    day ??= d;
  };
  each(/\blast\s+night\b/, () => {
    setDay(addDays(today, -1));
    narrow(windowOf('night'));
    return true;
  });
  each(/\btonight\b/, () => {
    setDay(today);
    narrow({ start: 1080, end: 1800, endExclusive: true });
    return true;
  });
  const partAfter = String.raw`(?:\s+(?:in\s+the\s+)?(morning|afternoon|evening|night))?`;
  each(new RegExp(String.raw`\b(today|yesterday|this)\b${partAfter}`), (m) => {
    if (m[1].toLowerCase() === 'this' && !m[2]) return false;
    setDay(addDays(today, m[1].toLowerCase() === 'yesterday' ? -1 : 0));
    if (m[2]) narrow(windowOf(m[2]));
    return true;
  });
  each(new RegExp(String.raw`\b(?:on\s+)?(last\s+)?(${WEEKDAY_NAMES.join('|')})\b${partAfter}`), (m) => {
    const wd = WEEKDAY_NAMES.indexOf(m[2].toLowerCase());
    let back = (today as Day & { weekday: number }).weekday - wd;
    if (back < 0 || (back === 0 && m[1])) back += 7;
    setDay(addDays(today, -back));
    if (m[3]) narrow(windowOf(m[3]));
    return true;
  });
  each(new RegExp(String.raw`\b(?:on\s+)?(?:(\d{4})-(\d{2})-(\d{2})|(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(${MONTH})|(${MONTH})\s+(\d{1,2})(?:st|nd|rd|th)?\b)(?:,?\s+(\d{4})\b)?${partAfter}`), (m) => {
    const iso = m[1] !== undefined;
    const month = iso ? Number(m[2]) : MONTH_NAMES.indexOf((m[5] ?? m[6]).slice(0, 3).toLowerCase()) + 1;
    const dayOfMonth = iso ? Number(m[3]) : Number(m[4] ?? m[7]);
    if (month < 1 || month > 12 || dayOfMonth < 1 || dayOfMonth > 31) return false;
    let year = iso ? Number(m[1]) : m[8] !== undefined ? Number(m[8]) : today.year;
    // A date without a year that has not come yet this year is last year's.
    if (!iso && m[8] === undefined && (month > today.month || (month === today.month && dayOfMonth > today.day))) year -= 1;
    setDay({ year, month, day: dayOfMonth });
    if (m[9]) narrow(windowOf(m[9]));
    return true;
  });
  // "in the evening", "during the morning": a day part with a lead (a bare "evening dress" is clothing).
  each(/\b(?:(?:early|late)\s+)?(?:in|during)\s+the\s+(morning|afternoon|evening|night)\b/, (m) => {
    narrow(windowOf(m[1]));
    return true;
  });

  spans.sort((a, b) => a[0] - b[0]);
  if (relative) return { from: relative.from.toISOString(), to: relative.to.toISOString(), spans };
  if (!window && !day) return { spans };
  const w: Window = window ?? { start: 0, end: 1440, endExclusive: true };
  let on = day ?? today;
  // A time of day without a day is the latest such window that has begun: "after 22:00" said at 09:00 is last night's.
  if (!day && zonedInstant(on, w.start, timeZone).getTime() > now.getTime()) on = addDays(on, -1);
  const from = zonedInstant(on, Math.max(w.start, -1440), timeZone);
  const end = zonedInstant(on, w.end, timeZone).getTime() - (w.endExclusive ? 1 : 0);
  return { from: from.toISOString(), to: new Date(Math.max(end, from.getTime())).toISOString(), spans };
}

function windowOf(part: string): Window {
  const [start, end] = PARTS[part.toLowerCase()];
  return { start, end, endExclusive: true };
}
