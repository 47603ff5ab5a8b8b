import { describe, expect, it } from 'vitest';
import { readBirthDate, readDate, readOrderTime } from './dates.ts';
import { canonicalTimeZone, zoneClock } from './local-time.ts';

type Expected = string | { reason: RegExp };

function check(result: { ok: true; value: string } | { ok: false; reason: string }, expected: Expected) {
  if (typeof expected === 'string') expect(result).toEqual({ ok: true, value: expected });
  else expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(expected.reason) });
}

describe('readDate', () => {
  it.each<[string, Expected]>([
    ['1990-07-04', '1990-07-04'],
    ['07/04/1990', '1990-07-04'],
    ['7/4/1990', '1990-07-04'],
    ['2000-02-29', '2000-02-29'],
    ['1999-02-29', { reason: /not a real date/ }],
    ['13/01/1990', { reason: /not a real date \(dates with slashes are read as MM\/DD\/YYYY\)/ }],
    ['1850-01-01', { reason: /not a real date \(years 1900–2100\)/ }],
    ['04.07.1990', { reason: /YYYY-MM-DD or MM\/DD\/YYYY/ }],
    ['1990-7-4', { reason: /YYYY-MM-DD or MM\/DD\/YYYY/ }],
  ])('%j', (cell, expected) => check(readDate(cell), expected));
});

describe('readBirthDate', () => {
  it.each<[string, Expected]>([
    ['2005-11-26', '2005-11-26'],
    ['2026-11-27', '2026-11-27'],
    ['2026-11-28', { reason: /in the future/ }],
  ])('%j on 2026-11-27', (cell, expected) => check(readBirthDate('2026-11-27')(cell), expected));
});

describe('readOrderTime', () => {
  const chicago = readOrderTime(zoneClock('America/Chicago'));

  it.each<[string, Expected]>([
    // With an offset the zone does not matter.
    ['2026-01-31T18:05:00Z', '2026-01-31T18:05:00.000Z'],
    ['2026-01-31T18:05:00-06:00', '2026-02-01T00:05:00.000Z'],
    ['2026-01-31T18:05:00.123+0530', '2026-01-31T12:35:00.123Z'],
    ['2026-01-31 18:05+01', '2026-01-31T17:05:00.000Z'],
    // Without one it is the store's wall clock: CST (UTC-6) in winter, CDT (UTC-5) in summer.
    ['2026-01-31T18:05:00', '2026-02-01T00:05:00.000Z'],
    ['2026-07-04 18:05', '2026-07-04T23:05:00.000Z'],
    ['2026-07-04', '2026-07-04T05:00:00.000Z'],
    ['01/31/2026', '2026-01-31T06:00:00.000Z'],
    ['1/31/2026 6:05 PM', '2026-02-01T00:05:00.000Z'],
    ['1/31/2026 12:30 AM', '2026-01-31T06:30:00.000Z'],
    ['1/31/2026 18:05:09', '2026-02-01T00:05:09.000Z'],
    // Spring forward, 2026-03-08: 02:00 CST jumps to 03:00 CDT.
    ['2026-03-08T01:59:00', '2026-03-08T07:59:00.000Z'],
    ['2026-03-08T02:30:00', '2026-03-08T08:30:00.000Z'], // never shown on a clock: read as 03:30 CDT
    ['2026-03-08T03:00:00', '2026-03-08T08:00:00.000Z'],
    // Fall back, 2026-11-01: 02:00 CDT goes back to 01:00 CST; 01:30 happens twice.
    ['2026-11-01T00:30:00', '2026-11-01T05:30:00.000Z'],
    ['2026-11-01T01:30:00', '2026-11-01T06:30:00.000Z'], // the first 01:30, still CDT
    ['2026-11-01T02:30:00', '2026-11-01T08:30:00.000Z'],
    ['2026-02-30T10:00:00', { reason: /not a real date/ }],
    ['2026-01-31T24:00:00', { reason: /not a real time of day/ }],
    ['2026-01-31T18:05:00+25:00', { reason: /not a real UTC offset/ }],
    ['2026-01-31Z', { reason: /not a date and time/ }],
    ['1/31/2026 13:05 PM', { reason: /not a date and time/ }],
    ['yesterday', { reason: /not a date and time/ }],
  ])('%j in America/Chicago', (cell, expected) => check(chicago(cell), expected));

  it.each<[string, string, string]>([
    // Southern hemisphere: Sydney springs forward on 2026-10-04 at 02:00 AEST → 03:00 AEDT.
    ['Australia/Sydney', '2026-10-04T02:30:00', '2026-10-03T16:30:00.000Z'],
    ['Australia/Sydney', '2026-04-05T02:30:00', '2026-04-04T15:30:00.000Z'], // first 02:30, AEDT
    // Lord Howe moves its clocks by half an hour.
    ['Australia/Lord_Howe', '2026-10-04T02:15:00', '2026-10-03T15:45:00.000Z'],
    ['Asia/Kolkata', '2026-01-31T18:05:00', '2026-01-31T12:35:00.000Z'],
    ['UTC', '2026-01-31T18:05:00', '2026-01-31T18:05:00.000Z'],
  ])('%s: %s', (zone, cell, expected) => check(readOrderTime(zoneClock(zone))(cell), expected));

  it('gives the same answers from its hour cache as when computed afresh', () => {
    const cached = zoneClock('America/New_York');
    const start = Date.UTC(2026, 2, 7);
    for (let minutes = 0; minutes < 3 * 24 * 60; minutes += 7) {
      const d = new Date(start + minutes * 60_000);
      const wall = {
        year: d.getUTCFullYear(),
        month: d.getUTCMonth() + 1,
        day: d.getUTCDate(),
        hour: d.getUTCHours(),
        minute: d.getUTCMinutes(),
        second: 0,
        millisecond: 0,
      };
      cached.toInstant(wall); // warms the hour cache
      expect(cached.toInstant(wall)).toBe(zoneClock('America/New_York').toInstant(wall));
    }
  });
});

describe('canonicalTimeZone', () => {
  it.each<[string, string | undefined]>([
    ['Europe/Paris', 'Europe/Paris'],
    ['UTC', 'UTC'],
    ['+05:00', undefined],
    ['Nowhere/Special', undefined],
    ['', undefined],
  ])('%j', (name, expected) => expect(canonicalTimeZone(name)).toBe(expected));
});
