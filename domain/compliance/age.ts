/** Minimum ages by ISO country code; '*' applies to every country not listed. */
export type MinimumAges = Record<string, number>;

export const DEFAULT_MINIMUM_AGE = 21;

export function minimumAgeFor(country: string, minimumAge: MinimumAges): number {
  return minimumAge[country.trim().toUpperCase()] ?? minimumAge['*'] ?? DEFAULT_MINIMUM_AGE;
}

export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 'YYYY-MM-DD' that names a real day, else undefined. */
export function parseCalendarDate(value: string): CalendarDate | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return { year, month, day };
}

/**
 * Whole years completed on `today`. Someone born on 29 February has their birthday on
 * 1 March in common years: the later of the two candidate days, so nobody is treated as of
 * age a day early (it is also how the UK and most US states count it).
 */
export function ageOn(birth: CalendarDate, today: CalendarDate): number {
  let birthdayMonth = birth.month;
  let birthdayDay = birth.day;
  if (birth.month === 2 && birth.day === 29 && !isLeapYear(today.year)) {
    birthdayMonth = 3;
    birthdayDay = 1;
  }
  const hadBirthday = today.month > birthdayMonth || (today.month === birthdayMonth && today.day >= birthdayDay);
  return today.year - birth.year - (hadBirthday ? 0 : 1);
}
