import { describe, expect, it } from 'vitest';
import {
  readBoolean,
  readConsent,
  readCount,
  readCountry,
  readCurrency,
  readEmail,
  readMoney,
  readPhone,
  readText,
  readTimeZone,
  type Parsed,
} from './values.ts';

type Case<T> = [string, T | { reason: string | RegExp }];

function check<T>(read: (cell: string) => Parsed<T>, cell: string, expected: T | { reason: string | RegExp }) {
  const result = read(cell);
  if (expected !== null && typeof expected === 'object' && 'reason' in expected) {
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(expected.reason);
  } else {
    expect(result).toEqual({ ok: true, value: expected });
  }
}

describe('readEmail', () => {
  it.each<Case<string>>([
    ['Ana.Lopez@Example.COM', 'ana.lopez@example.com'],
    ['a+tag@sub.example.co.uk', 'a+tag@sub.example.co.uk'],
    ['ana@', { reason: 'not a valid e-mail address' }],
    ['ana lopez@example.com', { reason: 'not a valid e-mail address' }],
    ['@example.com', { reason: 'not a valid e-mail address' }],
    ['ana@example', { reason: 'not a valid e-mail address' }],
    [`${'a'.repeat(250)}@example.com`, { reason: 'not a valid e-mail address' }],
  ])('%j', (cell, expected) => check(readEmail, cell, expected));
});

describe('readPhone', () => {
  it.each<[string, string, string | { reason: RegExp }]>([
    ['US', '(312) 555-0142', '+13125550142'],
    ['US', '312.555.0142', '+13125550142'],
    ['US', '+1 312 555 0142', '+13125550142'],
    ['US', '+44 20 7946 0958', '+442079460958'],
    ['GB', '020 7946 0958', '+442079460958'],
    ['US', '020 7946 0958', { reason: /read as US/ }],
    ['US', '555 123 4567', { reason: /not a valid phone number/ }],
    ['US', '12', { reason: /not a valid phone number/ }],
    ['US', 'call me', { reason: /not a valid phone number/ }],
  ])('%s %j', (region, cell, expected) => check(readPhone(region), cell, expected));
});

describe('readMoney', () => {
  it.each<Case<string>>([
    ['1234.5', '1234.50'],
    ['$1,234.56', '1234.56'],
    ['$ 12', '12.00'],
    ['0.99', '0.99'],
    ['007.10', '7.10'],
    ['427.8', '427.80'],
    ['1,000,000', '1000000.00'],
    ['9999999999.99', '9999999999.99'],
    ['-5.00', { reason: 'negative amounts are not allowed' }],
    ['$-5.00', { reason: 'negative amounts are not allowed' }],
    ['(5.00)', { reason: 'negative amounts are not allowed' }],
    ['1.999', { reason: 'more than 2 decimal places' }],
    ['12345678901', { reason: 'too large' }],
    ['1,23.00', { reason: /not an amount/ }],
    ['12.', { reason: /not an amount/ }],
    ['ten', { reason: /not an amount/ }],
    ['€12', { reason: /not an amount/ }],
  ])('%j', (cell, expected) => check(readMoney, cell, expected));
});

describe('readConsent', () => {
  it.each<Case<string>>([
    ['yes', 'opted_in'],
    ['Y', 'opted_in'],
    ['TRUE', 'opted_in'],
    ['1', 'opted_in'],
    ['opted_in', 'opted_in'],
    ['Opted In', 'opted_in'],
    ['no', 'opted_out'],
    ['n', 'opted_out'],
    ['false', 'opted_out'],
    ['0', 'opted_out'],
    ['opted-out', 'opted_out'],
    ['maybe', { reason: /not a consent/ }],
  ])('%j', (cell, expected) => check(readConsent, cell, expected));
});

describe('readBoolean', () => {
  it.each<Case<boolean>>([
    ['yes', true],
    ['True', true],
    ['1', true],
    ['n', false],
    ['0', false],
    ['verified', { reason: /not yes\/no/ }],
  ])('%j', (cell, expected) => check(readBoolean, cell, expected));
});

describe('readCountry', () => {
  it.each<Case<string>>([
    ['US', 'US'],
    ['ca', 'CA'],
    ['GB', 'GB'],
    ['UK', { reason: /ISO country code/ }],
    ['USA', { reason: /ISO country code/ }],
    ['ZZ', { reason: /ISO country code/ }],
  ])('%j', (cell, expected) => check(readCountry, cell, expected));
});

describe('readTimeZone', () => {
  it.each<Case<string>>([
    ['America/Chicago', 'America/Chicago'],
    ['UTC', 'UTC'],
    ['US/Eastern', 'America/New_York'],
    ['America/Atlantis', { reason: /IANA time zone/ }],
    ['+05:00', { reason: /IANA time zone/ }],
    ['Chicago', { reason: /IANA time zone/ }],
  ])('%j', (cell, expected) => check(readTimeZone, cell, expected));
});

describe('readText, readCurrency, readCount', () => {
  it.each<[string, (cell: string) => Parsed<unknown>, string, unknown]>([
    ['text within its limit', readText(5), 'Wine', 'Wine'],
    ['text over its limit', readText(5), 'Whiskey', { reason: 'longer than 5 characters' }],
    ['a currency', readCurrency, 'cad', 'CAD'],
    ['not a currency', readCurrency, 'dollars', { reason: /currency code/ }],
    ['a count', readCount, '12', 12],
    ['a zero count', readCount, '0', { reason: 'must be at least 1' }],
    ['a fractional count', readCount, '1.5', { reason: /whole number/ }],
  ])('%s', (_name, read, cell, expected) => check(read, cell, expected));
});
