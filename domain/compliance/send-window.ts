import { instantOf, parseMinuteOfDay, type WallClock } from './local-time.ts';

export interface SendHours {
  /** 'HH:MM', local to the recipient, inclusive. */
  start: string;
  /** 'HH:MM', exclusive. Earlier than `start` means the window runs past midnight. */
  end: string;
}

/**
 * Whether a local time falls in the send window. A window whose start equals its end covers
 * the whole day: the operator switched quiet hours off rather than switching sending off
 * (that is SENDING_PAUSED's job).
 */
export function isWithinSendHours(minuteOfDay: number, hours: SendHours): boolean {
  const start = parseMinuteOfDay(hours.start);
  const end = parseMinuteOfDay(hours.end);
  if (start === end) return true;
  if (start < end) return minuteOfDay >= start && minuteOfDay < end;
  return minuteOfDay >= start || minuteOfDay < end;
}

/**
 * When the send window next opens for someone outside it: today at `start` if that is still
 * ahead on their clock, else tomorrow. Computed from the wall clock, so a day with a DST
 * change is 23 or 25 hours long as it is on the recipient's wall.
 */
export function nextSendWindowOpening(now: Date, local: WallClock, hours: SendHours, timeZone: string): Date {
  const start = parseMinuteOfDay(hours.start);
  const day = local.minuteOfDay < start ? local.day : local.day + 1;
  const opening = instantOf({ year: local.year, month: local.month, day }, start, timeZone);
  // Only when `start` lies in the hour repeated as clocks fall back: its first occurrence has
  // already passed, the second is `start - now` of wall time away.
  if (opening.getTime() <= now.getTime()) return new Date(now.getTime() + (start - local.minuteOfDay) * 60_000);
  return opening;
}
