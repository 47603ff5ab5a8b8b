import { describe, expect, it } from 'vitest';
import { ageOn, minimumAgeFor, parseCalendarDate } from './age.ts';

const date = (value: string) => {
  const parsed = parseCalendarDate(value);
  if (!parsed) throw new Error(`not a date: ${value}`);
  return parsed;
};

describe('ageOn', () => {
  it.each([
    ['2005-06-15', '2026-06-15', 21],
    ['2005-06-16', '2026-06-15', 20],
    ['2005-06-14', '2026-06-15', 21],
    ['2005-12-31', '2026-01-01', 20],
    ['2005-01-01', '2025-12-31', 20],
    // 29 February: the birthday is 1 March in common years, 29 February in leap years.
    ['2004-02-29', '2025-02-28', 20],
    ['2004-02-29', '2025-03-01', 21],
    ['2004-02-29', '2028-02-28', 23],
    ['2004-02-29', '2028-02-29', 24],
    // 2100 is not a leap year (divisible by 100, not by 400); 2000 was.
    ['2080-02-29', '2100-02-28', 19],
    ['2080-02-29', '2100-03-01', 20],
  ])('born %s is on %s %i', (birth, today, age) => {
    expect(ageOn(date(birth), date(today))).toBe(age);
  });
});

describe('parseCalendarDate', () => {
  it.each(['2000-02-29', '2024-02-29', '1999-12-31'])('accepts %s', (value) => {
    expect(parseCalendarDate(value)).toBeDefined();
  });

  it.each(['1900-02-29', '2023-02-29', '2024-04-31', '2024-13-01', '2024-00-10', '24-01-01', '2024-1-1', ''])(
    'refuses %s',
    (value) => {
      expect(parseCalendarDate(value)).toBeUndefined();
    },
  );
});

describe('minimumAgeFor', () => {
  it('uses the country, else the default, else 21', () => {
    expect(minimumAgeFor('CA', { '*': 21, CA: 19 })).toBe(19);
    expect(minimumAgeFor(' gb ', { '*': 21, GB: 18 })).toBe(18);
    expect(minimumAgeFor('FR', { '*': 18 })).toBe(18);
    expect(minimumAgeFor('FR', {})).toBe(21);
  });
});
