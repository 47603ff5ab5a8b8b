/**
 * When a campaign e-mail falls back to a text message. An action planned for e-mail only gets
 * one SMS instead when the e-mail could not reach the customer — no e-mail address, no e-mail
 * consent, a suppressed address, a permanent failure or a hard bounce — or, when the store
 * wants it, when the e-mail went unopened for a while. The SMS is a message like any other: it
 * passes the same compliance check at send time (SMS consent, age, quiet hours, frequency cap)
 * and has its own ledger row, one per (campaign, customer, day), so a customer never gets the
 * fallback twice, and never gets it beside an SMS the plan already holds.
 *
 * Pure: the send activity reads the rows and asks this module; nothing here reads a clock.
 */

export interface SmsFallbackSettings {
  enabled: boolean;
  /** An e-mail delivered but not opened (nor clicked) this long after it was sent falls back; null: never. */
  unopenedAfterMs: number | null;
}

export const noSmsFallback: SmsFallbackSettings = { enabled: false, unopenedAfterMs: null };

/** The e-mail's ledger row, as far as the rule needs it. */
export interface EmailOutcome {
  status:
    | 'pending'
    | 'sending'
    | 'sent'
    | 'delivered'
    | 'failed'
    | 'skipped'
    | 'bounced'
    | 'complained'
    | 'unconfirmed'
    | 'unknown';
  skipReason: string | null;
  /** For `failed`: true while the workflow may still retry it. */
  retryable: boolean | null;
  sentAt: Date | null;
  openedAt: Date | null;
  clickedAt: Date | null;
}

export type SmsFallbackReason =
  'no_email_address' | 'no_email_consent' | 'email_suppressed' | 'email_failed' | 'email_bounced' | 'email_unopened';

/** The skips that say the e-mail cannot reach this customer at all (others, like quiet hours or the cap, apply to SMS too). */
const UNREACHABLE: Readonly<Record<string, SmsFallbackReason>> = {
  no_address: 'no_email_address',
  no_consent: 'no_email_consent',
  opted_out: 'no_email_consent',
  suppressed: 'email_suppressed',
};

export function smsFallbackReason(
  email: EmailOutcome,
  context: {
    settings: SmsFallbackSettings;
    /** The campaign may text (its channels include SMS). */
    campaignAllowsSms: boolean;
    /** The plan already holds an SMS for this customer and day, or the fallback was decided before. */
    hasSms: boolean;
    now: Date;
  },
): SmsFallbackReason | null {
  if (!context.settings.enabled || !context.campaignAllowsSms || context.hasSms) return null;
  switch (email.status) {
    case 'skipped':
      return email.skipReason === null ? null : (UNREACHABLE[email.skipReason] ?? null);
    case 'failed':
      // A retryable failure is still the e-mail's to retry; only a final one falls back.
      return email.retryable === true ? null : 'email_failed';
    case 'bounced':
      return 'email_bounced';
    case 'sent':
    case 'delivered':
    case 'unconfirmed': {
      const after = context.settings.unopenedAfterMs;
      if (after === null || email.sentAt === null || email.openedAt !== null || email.clickedAt !== null) return null;
      return context.now.getTime() - email.sentAt.getTime() >= after ? 'email_unopened' : null;
    }
    default:
      // Complained: they told us to stop. Pending, sending, unknown: undecided, or maybe received.
      return null;
  }
}
