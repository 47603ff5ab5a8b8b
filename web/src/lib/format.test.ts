import { describe, expect, it } from 'vitest';
import { formatDate, formatMoney, formatNumber, formatRate, titleCase } from './format.ts';

describe('formatting', () => {
  it('says "no data" rather than zero', () => {
    expect(formatRate(null)).toBe('—');
    expect(formatMoney(undefined)).toBe('—');
    expect(formatNumber('')).toBe('—');
  });

  it('writes rates, money and counts', () => {
    expect(formatRate(0.5)).toMatch(/50\s?%/);
    expect(formatMoney('59.9')).toMatch(/59\.90/);
    expect(formatNumber(1234567)).toMatch(/1.?234.?567/);
  });

  it('keeps a calendar date on its day in any time zone', () => {
    expect(formatDate('2026-11-27')).toMatch(/27/);
  });

  it('turns codes into words', () => {
    expect(titleCase('awaiting_approval')).toBe('Awaiting approval');
  });
});
