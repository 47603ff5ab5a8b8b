import { describe, expect, it } from 'vitest';
import { checkSend, skipReasons, type SendCheckInput, type SkipReason } from './check-send.ts';

type Patch = {
  customer?: Partial<SendCheckInput['customer']>;
  rules?: Partial<SendCheckInput['rules']>;
} & Partial<Omit<SendCheckInput, 'customer' | 'rules'>>;

/** A customer of a Chicago store who may be contacted at noon on 15 June 2026. */
function input(patch: Patch = {}): SendCheckInput {
  const { customer, rules, ...rest } = patch;
  return {
    customer: {
      dateOfBirth: '1990-05-01',
      ageVerified: false,
      country: 'US',
      timeZone: null,
      phone: '+13125550123',
      email: 'ada@example.com',
      ...customer,
    },
    channel: 'email',
    consent: 'opted_in',
    suppressed: false,
    recentMarketingMessages: 0,
    now: new Date('2026-06-15T17:00:00Z'), // 12:00 CDT
    ...rest,
    rules: {
      minimumAge: { '*': 21, CA: 19, GB: 18, ZZ: 24 },
      sendHours: { start: '08:00', end: '21:00' },
      frequencyCap: { max: 3, days: 7 },
      sendingPaused: false,
      storeTimeZone: 'America/Chicago',
      ...rules,
    },
  };
}

const at = (iso: string) => new Date(iso);

interface Case {
  name: string;
  patch: Patch;
  /** `true`, or the reason the send is skipped. */
  expect: true | SkipReason;
  retryAt?: string;
  localTime?: { timeZone?: string; source?: string; date?: string; time?: string };
}

const cases: Case[] = [
  { name: 'an adult who opted in, at noon', patch: {}, expect: true, localTime: { time: '12:00', source: 'store' } },

  // The global pause wins over everything.
  { name: 'sending paused', patch: { rules: { sendingPaused: true } }, expect: 'sending_paused' },
  {
    name: 'sending paused, even for a customer who fails other rules',
    patch: { rules: { sendingPaused: true }, consent: null, customer: { dateOfBirth: '2015-01-01' } },
    expect: 'sending_paused',
  },

  // An address for the channel.
  { name: 'e-mail without an address', patch: { customer: { email: null } }, expect: 'no_address' },
  { name: 'e-mail with a blank address', patch: { customer: { email: '  ' } }, expect: 'no_address' },
  { name: 'SMS without a phone number', patch: { channel: 'sms', customer: { phone: null } }, expect: 'no_address' },
  { name: 'SMS with a phone number', patch: { channel: 'sms', customer: { email: null } }, expect: true },

  // Age, on the recipient's own calendar date.
  { name: 'unknown age, not verified', patch: { customer: { dateOfBirth: null } }, expect: 'age_unknown' },
  { name: 'unknown age, ID verified', patch: { customer: { dateOfBirth: null, ageVerified: true } }, expect: true },
  { name: 'a date of birth that is no day', patch: { customer: { dateOfBirth: '2001-02-30' } }, expect: 'age_unknown' },
  {
    name: 'a verified flag does not override a date of birth under age',
    patch: { customer: { dateOfBirth: '2010-01-01', ageVerified: true } },
    expect: 'under_age',
  },
  { name: 'turned 21 yesterday', patch: { customer: { dateOfBirth: '2005-06-14' } }, expect: true },
  { name: 'turns 21 today', patch: { customer: { dateOfBirth: '2005-06-15' } }, expect: true },
  { name: 'turns 21 tomorrow', patch: { customer: { dateOfBirth: '2005-06-16' } }, expect: 'under_age' },
  {
    name: 'turns 21 today in Auckland while it is still yesterday in UTC',
    patch: {
      customer: { dateOfBirth: '2005-06-16', timeZone: 'Pacific/Auckland' },
      now: at('2026-06-15T22:00:00Z'), // 16 June 10:00 NZST
    },
    expect: true,
    localTime: { date: '2026-06-16', time: '10:00', source: 'customer' },
  },
  {
    name: 'still 20 in Los Angeles although it is already the birthday in UTC',
    patch: {
      customer: { dateOfBirth: '2005-06-16', timeZone: 'America/Los_Angeles' },
      now: at('2026-06-16T02:00:00Z'), // 15 June 19:00 PDT
    },
    expect: 'under_age',
  },
  {
    name: 'born 29 February: not yet 21 on 28 February of a common year',
    patch: { customer: { dateOfBirth: '2004-02-29' }, now: at('2025-02-28T18:00:00Z') },
    expect: 'under_age',
  },
  {
    name: 'born 29 February: 21 on 1 March of a common year',
    patch: { customer: { dateOfBirth: '2004-02-29' }, now: at('2025-03-01T18:00:00Z') },
    expect: true,
  },
  {
    name: 'born 29 February: of age on 29 February of a leap year',
    patch: { customer: { dateOfBirth: '2000-02-29', country: 'ZZ' }, now: at('2024-02-29T18:00:00Z') },
    expect: true,
  },
  {
    name: 'born 29 February: not yet on 28 February of a leap year',
    patch: { customer: { dateOfBirth: '2000-02-29', country: 'ZZ' }, now: at('2024-02-28T18:00:00Z') },
    expect: 'under_age',
  },
  {
    name: '19 in Canada (minimum 19)',
    patch: { customer: { dateOfBirth: '2007-01-01', country: 'CA' } },
    expect: true,
  },
  {
    name: 'country codes in lower case',
    patch: { customer: { dateOfBirth: '2007-01-01', country: 'ca' } },
    expect: true,
  },
  { name: '19 in the US (default 21)', patch: { customer: { dateOfBirth: '2007-01-01' } }, expect: 'under_age' },
  {
    name: 'a country without its own minimum uses the default',
    patch: { customer: { dateOfBirth: '2007-01-01', country: 'FR' } },
    expect: 'under_age',
  },

  // Consent per channel.
  { name: 'e-mail without a recorded opt-in', patch: { consent: null }, expect: 'no_consent' },
  { name: 'SMS without a recorded opt-in', patch: { channel: 'sms', consent: null }, expect: 'no_consent' },
  { name: 'e-mail opted out', patch: { consent: 'opted_out' }, expect: 'opted_out' },
  { name: 'SMS opted out (STOP)', patch: { channel: 'sms', consent: 'opted_out' }, expect: 'opted_out' },

  { name: 'suppressed address', patch: { suppressed: true }, expect: 'suppressed' },

  // Frequency cap across campaigns.
  { name: 'two messages this week, cap 3', patch: { recentMarketingMessages: 2 }, expect: true },
  { name: 'three messages this week, cap 3', patch: { recentMarketingMessages: 3 }, expect: 'frequency_cap' },
  {
    name: 'a cap of 0 stops every message',
    patch: { rules: { frequencyCap: { max: 0, days: 7 } } },
    expect: 'frequency_cap',
  },

  // Quiet hours on the recipient's clock (store in Chicago).
  {
    name: '07:59 is quiet; the window opens at 08:00 the same day',
    patch: { now: at('2026-06-15T12:59:00Z') },
    expect: 'quiet_hours',
    retryAt: '2026-06-15T13:00:00.000Z',
  },
  { name: '08:00 opens the window', patch: { now: at('2026-06-15T13:00:00Z') }, expect: true },
  { name: '20:59 is inside', patch: { now: at('2026-06-16T01:59:00Z') }, expect: true },
  {
    name: '21:00 closes the window until 08:00 the next day',
    patch: { now: at('2026-06-16T02:00:00Z') },
    expect: 'quiet_hours',
    retryAt: '2026-06-16T13:00:00.000Z',
  },
  {
    name: 'spring forward: 01:30 CST waits until 08:00 CDT (5½ hours, not 6½)',
    patch: { now: at('2026-03-08T07:30:00Z') },
    expect: 'quiet_hours',
    retryAt: '2026-03-08T13:00:00.000Z',
    localTime: { time: '01:30', date: '2026-03-08' },
  },
  {
    name: 'spring forward: 07:59 CDT is still quiet',
    patch: { now: at('2026-03-08T12:59:00Z') },
    expect: 'quiet_hours',
    retryAt: '2026-03-08T13:00:00.000Z',
  },
  {
    name: 'spring forward: 08:00 CDT is 13:00 UTC, an hour earlier than the day before',
    patch: { now: at('2026-03-08T13:00:00Z') },
    expect: true,
    localTime: { time: '08:00' },
  },
  {
    name: 'spring forward: 21:00 CST the evening before waits 10 hours, not 11',
    patch: { now: at('2026-03-08T03:00:00Z') },
    expect: 'quiet_hours',
    retryAt: '2026-03-08T13:00:00.000Z',
  },
  {
    name: 'fall back: 01:30 CDT (first pass) waits until 08:00 CST',
    patch: { now: at('2026-11-01T06:30:00Z') },
    expect: 'quiet_hours',
    retryAt: '2026-11-01T14:00:00.000Z',
  },
  {
    name: 'fall back: 01:30 CST (second pass) waits until the same 08:00 CST',
    patch: { now: at('2026-11-01T07:30:00Z') },
    expect: 'quiet_hours',
    retryAt: '2026-11-01T14:00:00.000Z',
    localTime: { time: '01:30' },
  },
  {
    name: 'fall back: 21:00 CDT the evening before waits 12 hours, not 11',
    patch: { now: at('2026-11-01T02:00:00Z') },
    expect: 'quiet_hours',
    retryAt: '2026-11-01T14:00:00.000Z',
  },
  {
    name: 'fall back: 07:59 CST is quiet',
    patch: { now: at('2026-11-01T13:59:00Z') },
    expect: 'quiet_hours',
    retryAt: '2026-11-01T14:00:00.000Z',
  },
  { name: 'fall back: 08:00 CST is 14:00 UTC', patch: { now: at('2026-11-01T14:00:00Z') }, expect: true },

  // Whose clock: the customer's zone, else the phone's country when it has one zone, else the store's.
  {
    name: 'a customer in Los Angeles at 07:30 PST while the Chicago store is at 09:30',
    patch: { customer: { timeZone: 'America/Los_Angeles' }, now: at('2026-01-15T15:30:00Z') },
    expect: 'quiet_hours',
    retryAt: '2026-01-15T16:00:00.000Z',
    localTime: { timeZone: 'America/Los_Angeles', source: 'customer', time: '07:30' },
  },
  {
    name: 'the same instant for a customer without a zone uses the store clock',
    patch: { now: at('2026-01-15T15:30:00Z') },
    expect: true,
    localTime: { timeZone: 'America/Chicago', source: 'store', time: '09:30' },
  },
  {
    name: 'a customer zone that is not an IANA zone falls back to the store',
    patch: { customer: { timeZone: 'Mars/Olympus_Mons' } },
    expect: true,
    localTime: { timeZone: 'America/Chicago', source: 'store' },
  },
  {
    name: 'a UK mobile without a zone: London time from the number',
    patch: { channel: 'sms', customer: { phone: '+447400123456' }, now: at('2026-01-15T22:30:00Z') },
    expect: 'quiet_hours',
    retryAt: '2026-01-16T08:00:00.000Z',
    localTime: { timeZone: 'Europe/London', source: 'phone', time: '22:30' },
  },
  {
    name: 'a French mobile: Paris time',
    patch: { channel: 'sms', customer: { phone: '+33612345678' }, now: at('2026-01-15T06:30:00Z') },
    expect: 'quiet_hours',
    retryAt: '2026-01-15T07:00:00.000Z',
    localTime: { timeZone: 'Europe/Paris', source: 'phone' },
  },
  {
    name: 'an Australian mobile (several zones): the store clock',
    patch: { channel: 'sms', customer: { phone: '+61412345678' } },
    expect: true,
    localTime: { timeZone: 'America/Chicago', source: 'store' },
  },
  {
    name: "the customer's zone wins over the phone's country",
    patch: { customer: { phone: '+447400123456', timeZone: 'America/Denver' } },
    expect: true,
    localTime: { timeZone: 'America/Denver', source: 'customer', time: '11:00' },
  },
  {
    name: 'a window past midnight (22:00–02:00): 23:00 is inside',
    patch: { rules: { sendHours: { start: '22:00', end: '02:00' } }, now: at('2026-06-16T04:00:00Z') },
    expect: true,
  },
  {
    name: 'a window past midnight (22:00–02:00): 03:00 waits until 22:00 the same day',
    patch: { rules: { sendHours: { start: '22:00', end: '02:00' } }, now: at('2026-06-15T08:00:00Z') },
    expect: 'quiet_hours',
    retryAt: '2026-06-16T03:00:00.000Z',
  },
  {
    name: 'a window whose start equals its end has no quiet hours',
    patch: { rules: { sendHours: { start: '00:00', end: '00:00' } }, now: at('2026-06-15T08:00:00Z') },
    expect: true,
  },

  // Order: what can never pass is reported before what only defers.
  {
    name: 'under age at night: under_age, with no retry time',
    patch: { customer: { dateOfBirth: '2012-01-01' }, now: at('2026-06-15T08:00:00Z') },
    expect: 'under_age',
  },
  {
    name: 'no consent and over the cap: no_consent',
    patch: { consent: null, recentMarketingMessages: 5 },
    expect: 'no_consent',
  },
  {
    name: 'over the cap at night: frequency_cap',
    patch: { recentMarketingMessages: 3, now: at('2026-06-15T08:00:00Z') },
    expect: 'frequency_cap',
  },
];

describe('checkSend', () => {
  it.each(cases)('$name', (c) => {
    const decision = checkSend(input(c.patch));
    if (c.expect === true) {
      expect(decision).toMatchObject({ allowed: true });
    } else {
      expect(decision).toMatchObject({ allowed: false, reason: c.expect });
      if (!decision.allowed) expect(decision.detail).not.toBe('');
    }
    const retryAt = decision.allowed ? undefined : decision.retryAt;
    expect(retryAt?.toISOString()).toBe(c.retryAt);
    if (c.localTime) expect(decision.localTime).toMatchObject(c.localTime);
  });

  it('has a case for every skip reason', () => {
    const covered = new Set(cases.map((c) => c.expect));
    expect(skipReasons.filter((r) => !covered.has(r))).toEqual([]);
  });

  it('gives a retry time only for quiet hours', () => {
    for (const c of cases) {
      if (c.retryAt) expect(c.expect).toBe('quiet_hours');
      if (c.expect === 'quiet_hours') expect(c.retryAt).toBeDefined();
    }
  });

  it('explains an under-age skip with the age, date and minimum', () => {
    const decision = checkSend(input({ customer: { dateOfBirth: '2005-06-16' } }));
    expect(decision).toMatchObject({ allowed: false, detail: '20 on 2026-06-15; US requires 21' });
  });
});
