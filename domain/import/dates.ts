import type { ZoneClock } from './local-time.ts';
import type { Parsed } from './values.ts';

/** Exports carry ISO dates or, from US spreadsheets, month/day/year. Day/month/year is not guessed. */
const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/;
const usDate = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
const isoDateTime =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(?:\s*(Z|[+-]\d{2}(?::?\d{2})?))?$/i;
const usDateTime = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AP]M))?)?$/i;

const MIN_YEAR = 1900;
const MAX_YEAR = 2100;
const dateFormats = 'YYYY-MM-DD or MM/DD/YYYY';

interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

function calendarDate(year: number, month: number, day: number): CalendarDate | undefined {
  const d = new Date(Date.UTC(year, month - 1, day));
  const real = d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
  return real && year >= MIN_YEAR && year <= MAX_YEAR ? { year, month, day } : undefined;
}

function notARealDate(monthFirst: boolean): Parsed<never> {
  const hint = monthFirst ? 'dates with slashes are read as MM/DD/YYYY' : `years ${MIN_YEAR}–${MAX_YEAR}`;
  return { ok: false, reason: `not a real date (${hint})` };
}

const iso = (d: CalendarDate) =>
  `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;

export function readDate(cell: string): Parsed<string> {
  let m = isoDate.exec(cell);
  let parts: [number, number, number] | undefined;
  if (m) parts = [Number(m[1]), Number(m[2]), Number(m[3])];
  else if ((m = usDate.exec(cell))) parts = [Number(m[3]), Number(m[1]), Number(m[2])];
  if (!parts) return { ok: false, reason: `not a date (write it as ${dateFormats})` };
  const d = calendarDate(...parts);
  if (!d) return notARealDate(cell.includes('/'));
  return { ok: true, value: iso(d) };
}

/** A date of birth, which cannot lie after `today` (YYYY-MM-DD, in the store's calendar). */
export function readBirthDate(today: string): (cell: string) => Parsed<string> {
  return (cell) => {
    const date = readDate(cell);
    if (date.ok && date.value > today) return { ok: false, reason: 'a date of birth in the future' };
    return date;
  };
}

/**
 * When an order was placed, as an ISO-8601 instant in UTC. A timestamp with a UTC offset is
 * exact; one without (and a bare date, read as midnight) is wall-clock time at the store.
 */
export function readOrderTime(clock: ZoneClock): (cell: string) => Parsed<string> {
  const invalid: Parsed<never> = {
    ok: false,
    reason: `not a date and time (write it as ISO-8601, e.g. 2026-01-31T18:05:00-06:00, or ${dateFormats} [HH:MM])`,
  };
  return (cell) => {
    let m = isoDateTime.exec(cell);
    let year: number, month: number, day: number, hour: number;
    let offset: string | undefined;
    let fraction: string | undefined;
    if (m) {
      year = Number(m[1]);
      month = Number(m[2]);
      day = Number(m[3]);
      hour = Number(m[4] ?? 0);
      fraction = m[7];
      offset = m[8];
      if (offset && m[4] === undefined) return invalid;
    } else if ((m = usDateTime.exec(cell))) {
      year = Number(m[3]);
      month = Number(m[1]);
      day = Number(m[2]);
      hour = Number(m[4] ?? 0);
      const meridiem = m[7]?.toUpperCase();
      if (meridiem) {
        if (hour < 1 || hour > 12) return invalid;
        hour = (hour % 12) + (meridiem === 'PM' ? 12 : 0);
      }
    } else {
      return invalid;
    }
    const minute = Number(m[5] ?? 0);
    const second = Number(m[6] ?? 0);
    const millisecond = fraction ? Number(fraction.padEnd(3, '0').slice(0, 3)) : 0;
    if (!calendarDate(year, month, day)) return notARealDate(cell.includes('/'));
    if (hour > 23 || minute > 59 || second > 59) return { ok: false, reason: 'not a real time of day' };

    let instant: number;
    if (offset === undefined) {
      instant = clock.toInstant({ year, month, day, hour, minute, second, millisecond });
    } else {
      const offsetMinutes = parseOffset(offset);
      if (offsetMinutes === undefined) return { ok: false, reason: 'not a real UTC offset' };
      instant = Date.UTC(year, month - 1, day, hour, minute, second, millisecond) - offsetMinutes * 60_000;
    }
    return { ok: true, value: new Date(instant).toISOString() };
  };
}

function parseOffset(offset: string): number | undefined {
  if (offset.toUpperCase() === 'Z') return 0;
  const digits = offset.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || '0');
  if (hours > 18 || minutes > 59) return undefined;
  return (offset.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}
