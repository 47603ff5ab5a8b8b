import { ageOn, minimumAgeFor, parseCalendarDate, type MinimumAges } from './age.ts';
import {
  formatDate,
  formatMinuteOfDay,
  recipientTimeZone,
  wallClockAt,
  type RecipientLocalTime,
  type WallClock,
} from './local-time.ts';
import { isWithinSendHours, nextSendWindowOpening, type SendHours } from './send-window.ts';

/**
 * The alcohol-marketing rules (DESIGN.md), checked for one message at the moment it would be
 * sent. The send activity calls this for every recipient and records a skipped send with its
 * reason; nothing here reads a clock or a database.
 */

export type Channel = 'email' | 'sms';
export type ConsentStatus = 'opted_in' | 'opted_out';

export interface ComplianceRules {
  /** Minimum age per ISO country; '*' for the rest. */
  minimumAge: MinimumAges;
  /** Local to the recipient. */
  sendHours: SendHours;
  /** At most `max` marketing messages per customer in `days` days, across all campaigns. */
  frequencyCap: { max: number; days: number };
  sendingPaused: boolean;
  storeTimeZone: string;
}

export interface SendCheckInput {
  customer: {
    dateOfBirth: string | null;
    ageVerified: boolean;
    country: string;
    timeZone: string | null;
    phone: string | null;
    email: string | null;
  };
  channel: Channel;
  /** The customer's latest recorded consent for this channel; null when none was ever recorded. */
  consent: ConsentStatus | null;
  /** An active suppression (bounce, complaint, unsubscribe, STOP) for this channel's address. */
  suppressed: boolean;
  /** Marketing messages sent to this customer in the last `frequencyCap.days` days, any campaign. */
  recentMarketingMessages: number;
  now: Date;
  rules: ComplianceRules;
}

export const skipReasons = [
  'sending_paused',
  'no_address',
  'age_unknown',
  'under_age',
  'opted_out',
  'no_consent',
  'suppressed',
  'frequency_cap',
  'quiet_hours',
] as const;

export type SkipReason = (typeof skipReasons)[number];

export type SendDecision =
  | { allowed: true; localTime: RecipientLocalTime }
  | {
      allowed: false;
      reason: SkipReason;
      detail: string;
      /** Only for quiet hours: when the recipient's send window next opens. */
      retryAt?: Date;
      localTime: RecipientLocalTime;
    };

export type SendSkip = { reason: SkipReason; detail: string; retryAt?: Date };

/** The input and what follows from it: the recipient's clock. */
export interface SendFacts extends SendCheckInput {
  local: WallClock;
  localTime: RecipientLocalTime;
}

export interface ComplianceRule {
  /** The skip reasons this rule can give. */
  reasons: readonly SkipReason[];
  /** What the rule protects, for people reading a skipped send. */
  description: string;
  check(facts: SendFacts): SendSkip | undefined;
}

function ageRule({ customer, local, rules }: SendFacts): SendSkip | undefined {
  const minimum = minimumAgeFor(customer.country, rules.minimumAge);
  if (customer.dateOfBirth === null) {
    // A retailer who checked ID at the till may not have recorded the date itself.
    if (customer.ageVerified) return undefined;
    return { reason: 'age_unknown', detail: 'no date of birth and age not verified' };
  }
  const birth = parseCalendarDate(customer.dateOfBirth);
  if (!birth) return { reason: 'age_unknown', detail: `date of birth ${customer.dateOfBirth} is not a real date` };
  const age = ageOn(birth, local);
  if (age < minimum) {
    return { reason: 'under_age', detail: `${age} on ${formatDate(local)}; ${customer.country} requires ${minimum}` };
  }
  return undefined;
}

/**
 * Checked in this order; the first that fails names the skip. Rules that can never pass for
 * this message come before those that only defer it (frequency cap, quiet hours), so a
 * recipient who may not be contacted at all is never told "try again at 08:00".
 */
export const complianceRules: readonly ComplianceRule[] = [
  {
    reasons: ['sending_paused'],
    description: 'The operator stopped every marketing send (SENDING_PAUSED).',
    check: ({ rules }) =>
      rules.sendingPaused ? { reason: 'sending_paused', detail: 'marketing sends are paused' } : undefined,
  },
  {
    reasons: ['no_address'],
    description: 'The customer has no e-mail address (e-mail) or phone number (SMS).',
    check: ({ channel, customer }) => {
      const address = channel === 'email' ? customer.email : customer.phone;
      return address?.trim()
        ? undefined
        : { reason: 'no_address', detail: `no ${channel === 'email' ? 'e-mail address' : 'phone number'}` };
    },
  },
  {
    reasons: ['age_unknown', 'under_age'],
    description:
      'Of legal drinking age in their country on their own calendar date; unknown age only with verified ID.',
    check: ageRule,
  },
  {
    reasons: ['opted_out', 'no_consent'],
    // E-mail needs an opt-in too: CAN-SPAM alone would allow opt-out mailing in the US, but
    // CASL, GDPR/PECR and alcohol advertising codes expect express consent, and one rule for
    // both channels is the one nobody gets wrong.
    description: 'A recorded opt-in for this channel (SMS and e-mail alike); the latest record counts.',
    check: ({ consent, channel }) => {
      if (consent === 'opted_out') return { reason: 'opted_out', detail: `opted out of ${channel}` };
      if (consent === null) return { reason: 'no_consent', detail: `no recorded ${channel} opt-in` };
      return undefined;
    },
  },
  {
    reasons: ['suppressed'],
    description: 'The address is not suppressed (hard bounce, complaint, unsubscribe, STOP).',
    check: ({ suppressed, channel }) =>
      suppressed ? { reason: 'suppressed', detail: `the ${channel} address is suppressed` } : undefined,
  },
  {
    reasons: ['frequency_cap'],
    description: 'No more than the capped number of marketing messages in the rolling window, across campaigns.',
    check: ({ recentMarketingMessages, rules: { frequencyCap } }) =>
      recentMarketingMessages >= frequencyCap.max
        ? {
            reason: 'frequency_cap',
            detail: `${recentMarketingMessages} marketing messages in the last ${frequencyCap.days} days (cap ${frequencyCap.max})`,
          }
        : undefined,
  },
  {
    reasons: ['quiet_hours'],
    description: "Only inside the send hours on the recipient's clock.",
    check: ({ now, local, localTime, rules: { sendHours } }) =>
      isWithinSendHours(local.minuteOfDay, sendHours)
        ? undefined
        : {
            reason: 'quiet_hours',
            detail: `${localTime.time} in ${localTime.timeZone} is outside ${sendHours.start}–${sendHours.end}`,
            retryAt: nextSendWindowOpening(now, local, sendHours, localTime.timeZone),
          },
  },
];

export function checkSend(input: SendCheckInput): SendDecision {
  const zone = recipientTimeZone(input.customer, input.rules.storeTimeZone);
  const local = wallClockAt(input.now, zone.timeZone);
  const localTime: RecipientLocalTime = {
    ...zone,
    date: formatDate(local),
    time: formatMinuteOfDay(local.minuteOfDay),
  };
  const facts: SendFacts = { ...input, local, localTime };
  for (const rule of complianceRules) {
    const skip = rule.check(facts);
    if (skip) return { allowed: false, ...skip, localTime };
  }
  return { allowed: true, localTime };
}
