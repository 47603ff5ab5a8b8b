import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { z } from 'zod';
import { canonicalTimeZone } from './local-time.ts';

/**
 * One cell of an import, read into the value the data model stores. Each reader gets the cell
 * trimmed and never empty: what a blank cell means is the row schema's decision.
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = (reason: string): Parsed<never> => ({ ok: false, reason });

export function readText(maxLength: number): (cell: string) => Parsed<string> {
  return (cell) => (cell.length > maxLength ? fail(`longer than ${maxLength} characters`) : ok(cell));
}

const emailSyntax = z.email();

export function readEmail(cell: string): Parsed<string> {
  const email = cell.toLowerCase();
  if (email.length > 254 || !emailSyntax.safeParse(email).success) return fail('not a valid e-mail address');
  return ok(email);
}

/** E.164, reading numbers written without a country code as numbers of `region`. */
export function readPhone(region: string): (cell: string) => Parsed<string> {
  return (cell) => {
    const phone = parsePhoneNumberFromString(cell, region as CountryCode);
    if (!phone?.isValid())
      return fail(`not a valid phone number (numbers without a country code are read as ${region})`);
    return ok(phone.number);
  };
}

const yes = new Set(['yes', 'y', 'true', '1']);
const no = new Set(['no', 'n', 'false', '0']);

export function readBoolean(cell: string): Parsed<boolean> {
  const v = cell.toLowerCase();
  if (yes.has(v)) return ok(true);
  if (no.has(v)) return ok(false);
  return fail('not yes/no (use yes, no, true, false, y, n, 1 or 0)');
}

export type ConsentStatus = 'opted_in' | 'opted_out';

export function readConsent(cell: string): Parsed<ConsentStatus> {
  const v = cell.toLowerCase().replace(/[\s-]+/g, '_');
  if (yes.has(v) || v === 'opted_in') return ok('opted_in');
  if (no.has(v) || v === 'opted_out') return ok('opted_out');
  return fail('not a consent (use yes/no, true/false, y/n, 1/0, opted_in/opted_out, or leave it blank)');
}

// ISO 3166-1 alpha-2, officially assigned codes only.
const countries = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW ' +
    'BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI ' +
    'FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN ' +
    'IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME ' +
    'MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF ' +
    'PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV ' +
    'SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE ' +
    'YT ZA ZM ZW'
  ).split(' '),
);

export function readCountry(cell: string): Parsed<string> {
  const code = cell.toUpperCase();
  return countries.has(code) ? ok(code) : fail('not a two-letter ISO country code such as US');
}

export function readTimeZone(cell: string): Parsed<string> {
  const zone = canonicalTimeZone(cell);
  return zone ? ok(zone) : fail('not an IANA time zone such as America/Chicago');
}

const amount = /^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$/;
const MAX_WHOLE_DIGITS = 10; // orders.total is numeric(12, 2)

/**
 * Money as the database stores it: a string with exactly two decimals, so that no binary
 * floating point ever touches it. `$1,234.5` → `1234.50`.
 */
export function readMoney(cell: string): Parsed<string> {
  const v = cell.replace(/\s+/g, '');
  if (/^(-|\$-|\(.*\)$)/.test(v)) return fail('negative amounts are not allowed');
  const m = amount.exec(v.startsWith('$') ? v.slice(1) : v);
  if (!m) return fail('not an amount (write it like 1234.56 or $1,234.56)');
  const whole = m[1]!.replaceAll(',', '').replace(/^0+(?=\d)/, '');
  const cents = m[2] ?? '';
  if (cents.length > 2) return fail('more than 2 decimal places');
  if (whole.length > MAX_WHOLE_DIGITS) return fail('too large');
  return ok(`${whole}.${cents.padEnd(2, '0')}`);
}

export function readCurrency(cell: string): Parsed<string> {
  const code = cell.toUpperCase();
  return /^[A-Z]{3}$/.test(code) ? ok(code) : fail('not a three-letter currency code such as USD');
}

export function readCount(cell: string): Parsed<number> {
  if (!/^\d{1,6}$/.test(cell)) return fail('not a whole number of items');
  const n = Number(cell);
  return n >= 1 ? ok(n) : fail('must be at least 1');
}
