/**
 * Wall-clock time in an IANA time zone → instant, with nothing but `Intl`. Orders exported without
 * a UTC offset were rung up at the store's local time, and a campaign's "last purchase" must not
 * be an hour off for half the year.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface WallTime {
  year: number;
  month: number; // 1–12
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

export interface ZoneClock {
  timeZone: string;
  /** Epoch milliseconds of a wall-clock time in this zone. */
  toInstant(wall: WallTime): number;
}

/**
 * Times that do not exist (the hour skipped when clocks spring forward) are moved forward by the
 * gap, and times that exist twice (the hour repeated when clocks fall back) take the first
 * occurrence: what a clock on the wall shows, and what Temporal calls the "compatible" choice.
 */
export function zoneClock(timeZone: string): ZoneClock {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });

  /** The zone's offset from UTC at an instant, in milliseconds. */
  const offsetAt = (instant: number): number => {
    const p: Record<string, number> = {};
    for (const part of format.formatToParts(instant)) {
      if (part.type !== 'literal') p[part.type] = Number(part.value);
    }
    const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
    return wall - Math.floor(instant / 1000) * 1000;
  };

  const resolve = (local: number): { instant: number; offset: number; unique: boolean } => {
    // No zone changes its offset twice within two days, so the offsets a day either side are
    // the only candidates.
    const before = offsetAt(local - DAY);
    const after = offsetAt(local + DAY);
    const early = local - before;
    const late = local - after;
    const earlyFits = offsetAt(early) === before;
    const lateFits = offsetAt(late) === after;
    if (earlyFits && lateFits) {
      if (early === late) return { instant: early, offset: before, unique: true };
      return early < late
        ? { instant: early, offset: before, unique: false }
        : { instant: late, offset: after, unique: false };
    }
    if (earlyFits) return { instant: early, offset: before, unique: true };
    if (lateFits) return { instant: late, offset: after, unique: true };
    // In the gap: read the wall time with the offset in force before the change.
    return { instant: early, offset: before, unique: false };
  };

  // formatToParts costs microseconds, and a million orders fall on a few hundred local days. A
  // span (a day, else an hour) is cached only when both of its ends have the same, unambiguous
  // offset, so the day of a change is cached by the hour and the hour of the change never.
  // null: the offset changes within the span.
  const dayOffsets = new Map<number, number | null>();
  const hourOffsets = new Map<number, number | null>();
  const spanOffset = (cache: Map<number, number | null>, length: number, local: number): number | undefined => {
    const span = Math.floor(local / length);
    let offset = cache.get(span);
    if (offset === undefined) {
      const first = resolve(span * length);
      const last = resolve(span * length + length - 1);
      offset = first.unique && last.unique && first.offset === last.offset ? first.offset : null;
      cache.set(span, offset);
    }
    return offset ?? undefined;
  };

  return {
    timeZone,
    toInstant(w) {
      const local = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.millisecond);
      const offset = spanOffset(dayOffsets, DAY, local) ?? spanOffset(hourOffsets, HOUR, local);
      return offset === undefined ? resolve(local).instant : local - offset;
    },
  };
}

const zoneNames = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;
const canonicalZones = new Map<string, string | undefined>();

/**
 * The canonical name of an IANA time zone, or undefined. `Intl` also accepts offsets such as
 * `+05:00`, which are not zones: they know nothing of daylight saving time.
 */
export function canonicalTimeZone(name: string): string | undefined {
  if (!zoneNames.test(name)) return undefined;
  // Asked once per message at send time; building a DateTimeFormat costs tens of µs, a lookup nothing.
  if (canonicalZones.has(name)) return canonicalZones.get(name);
  let canonical: string | undefined;
  try {
    canonical = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    canonical = undefined;
  }
  // Names come from customer data: bounded, so that junk cannot grow it without end.
  if (canonicalZones.size < 2_000) canonicalZones.set(name, canonical);
  return canonical;
}
