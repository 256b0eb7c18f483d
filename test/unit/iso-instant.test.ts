// Strict ISO 8601 parsing of audit date filters (issue 17 item 11): junk and impossible dates are refused,
// never shifted.
import { describe, expect, it } from 'vitest';
import { isoInstantOrUndefined, isoInstantRefusal, parseIsoInstant } from '../../src/util/iso-instant.js';

const instant = (value: string) => isoInstantOrUndefined(value);
const reason = (value: string) => {
  const parsed = parseIsoInstant(value);
  return parsed.ok ? `accepted as ${parsed.instant}` : parsed.reason;
};

describe('parseIsoInstant accepts', () => {
  it('a calendar date as midnight UTC', () => {
    expect(instant('2024-05-01')).toBe('2024-05-01T00:00:00.000Z');
    expect(instant('2024-02-29')).toBe('2024-02-29T00:00:00.000Z');
    expect(instant('2000-02-29')).toBe('2000-02-29T00:00:00.000Z');
  });

  it('a date-time with minutes, seconds or a fraction, and Z or an offset', () => {
    expect(instant('2024-05-01T12:00Z')).toBe('2024-05-01T12:00:00.000Z');
    expect(instant('2024-05-01T12:00:07Z')).toBe('2024-05-01T12:00:07.000Z');
    expect(instant('2024-05-01T12:00:07.5Z')).toBe('2024-05-01T12:00:07.500Z');
    expect(instant('2024-05-01T12:00:07,25Z')).toBe('2024-05-01T12:00:07.250Z');
    expect(instant('2024-05-01T12:00:07.123456789Z')).toBe('2024-05-01T12:00:07.123Z');
    expect(instant('2024-05-02T10:00:00+02:00')).toBe('2024-05-02T08:00:00.000Z');
    expect(instant('2024-12-31T23:30-01:00')).toBe('2025-01-01T00:30:00.000Z');
  });

  it('years below 100 as themselves, not 19xx', () => {
    expect(instant('0099-01-01')).toBe('0099-01-01T00:00:00.000Z');
  });
});

describe('parseIsoInstant refuses, with a reason', () => {
  it('trailing text (which Date.parse turned into another day)', () => {
    expect(instant('2026-12-04 junk')).toBeUndefined();
    expect(reason('2026-12-04 junk')).toBe('unexpected " junk" after the date');
    expect(instant('2024-05-01T12:00:00Zjunk')).toBeUndefined();
    expect(instant('2024-05-01 ')).toBeUndefined();
    expect(instant(' 2024-05-01')).toBeUndefined();
  });

  it('days, months, hours, minutes and seconds that do not exist (no rolling over)', () => {
    expect(reason('2024-02-31')).toBe('February 2024 has no day 31');
    expect(reason('2023-02-29')).toBe('February 2023 has no day 29');
    expect(reason('1900-02-29')).toBe('February 1900 has no day 29');
    expect(reason('2024-04-31')).toBe('April 2024 has no day 31');
    expect(reason('2024-00-10')).toBe('there is no month 00');
    expect(reason('2024-13-01')).toBe('there is no month 13');
    expect(reason('2024-05-00')).toBe('May 2024 has no day 00');
    expect(reason('2024-05-01T24:00Z')).toMatch(/no hour 24/);
    expect(reason('2024-05-01T12:60Z')).toMatch(/no minute 60/);
    expect(reason('2024-05-01T12:00:60Z')).toMatch(/no second 60/);
    expect(reason('2024-05-01T12:00+24:00')).toMatch(/not a time zone offset/);
  });

  it('a time without a zone, other shapes and non-dates', () => {
    expect(reason('2024-05-01T12:00:00')).toMatch(/needs a zone/);
    for (const bad of ['', 'yesterday', 'last week', '5', 'May 1 2024', '2024-5-1', '2024/05/01', '20240501', '2024-05-01T1200Z', '2024-05-01T12:00+0200', '2024-05-01T12Z', '2024-05-01t12:00z']) {
      expect(instant(bad), bad).toBeUndefined();
    }
  });

  it('in one sentence naming the option, the value and examples', () => {
    const text = isoInstantRefusal('--since', '2024-02-31', reason('2024-02-31'));
    expect(text).toBe('--since "2024-02-31" is not an ISO 8601 date or time (February 2024 has no day 31); use e.g. 2024-05-01, 2024-05-01T12:00Z or 2024-05-01T12:00:00.5+02:00.');
  });
});
