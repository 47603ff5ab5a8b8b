import { canonicalTimeZone, zoneClock, type ZoneClock } from '../import/local-time.ts';
import { timeZoneFromPhone } from './phone-time-zones.ts';

/** Where the recipient's time zone came from, most to least specific. */
export type TimeZoneSource = 'customer' | 'phone' | 'store';

export interface RecipientLocalTime {
  timeZone: string;
  source: TimeZoneSource;
  /** The recipient's calendar date, YYYY-MM-DD. */
  date: string;
  /** The recipient's wall-clock time, HH:MM. */
  time: string;
}

/**
 * The customer's own time zone, else the one of their phone number's country when that
 * country keeps one clock, else the store's: most customers of a liquor store live near it.
 */
export function recipientTimeZone(
  customer: { timeZone: string | null; phone: string | null },
  storeTimeZone: string,
): { timeZone: string; source: TimeZoneSource } {
  const own = customer.timeZone ? canonicalTimeZone(customer.timeZone) : undefined;
  if (own) return { timeZone: own, source: 'customer' };
  const fromPhone = customer.phone ? timeZoneFromPhone(customer.phone) : undefined;
  if (fromPhone) return { timeZone: fromPhone, source: 'phone' };
  return { timeZone: storeTimeZone, source: 'store' };
}

export interface WallClock {
  year: number;
  month: number;
  day: number;
  /** Minutes since local midnight. */
  minuteOfDay: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();
const clocks = new Map<string, ZoneClock>();

export function wallClockAt(instant: Date, timeZone: string): WallClock {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formats.set(timeZone, format);
  }
  const p: Record<string, number> = {};
  for (const part of format.formatToParts(instant)) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  return { year: p.year!, month: p.month!, day: p.day!, minuteOfDay: p.hour! * 60 + p.minute! };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function formatDate(w: { year: number; month: number; day: number }): string {
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
}

export function formatMinuteOfDay(minuteOfDay: number): string {
  return `${pad(Math.floor(minuteOfDay / 60))}:${pad(minuteOfDay % 60)}`;
}

/** 'HH:MM' → minutes since midnight. */
export function parseMinuteOfDay(hhmm: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (!match) throw new RangeError(`Not a time of day (HH:MM): ${hhmm}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/** The instant a wall-clock time happens in a zone; a time skipped by DST moves forward by the gap. */
export function instantOf(date: { year: number; month: number; day: number }, minuteOfDay: number, timeZone: string) {
  let clock = clocks.get(timeZone);
  if (!clock) {
    clock = zoneClock(timeZone);
    clocks.set(timeZone, clock);
  }
  // Date.UTC normalises day overflow, so "the 32nd" is the 1st of next month.
  const normalised = new Date(Date.UTC(date.year, date.month - 1, date.day));
  return new Date(
    clock.toInstant({
      year: normalised.getUTCFullYear(),
      month: normalised.getUTCMonth() + 1,
      day: normalised.getUTCDate(),
      hour: Math.floor(minuteOfDay / 60),
      minute: minuteOfDay % 60,
      second: 0,
      millisecond: 0,
    }),
  );
}
