import type { EngagementEvent } from './events.ts';

/**
 * What an event does to the customer's permission to be contacted, beyond the ledger row: the
 * address-level suppression list the send activity checks, and the consent history. Simulated
 * (sandbox) events never touch either: a made-up bounce must not block a real address.
 */

export type SuppressionReason = 'hard_bounce' | 'complaint' | 'unsubscribe' | 'sms_stop' | 'manual';

export interface ContactEffect {
  channel: 'email' | 'sms';
  /** A consent row for the customer(s) the event is about, when it differs from their latest. */
  consent: { status: 'opted_in' | 'opted_out'; source: string } | null;
  /** An active suppression of the address, unless one is active already. */
  suppress: SuppressionReason | null;
  /** Active suppressions of the address with these reasons are lifted. */
  lift: SuppressionReason[];
}

/** Twilio error 21610: the recipient has texted STOP to this sender. */
export const TWILIO_UNSUBSCRIBED_ERROR = '21610';

const effect = (fields: Partial<ContactEffect> & Pick<ContactEffect, 'channel'>): ContactEffect => ({
  consent: null,
  suppress: null,
  lift: [],
  ...fields,
});

export function contactEffectOf(
  event: Pick<EngagementEvent, 'type' | 'keyword' | 'simulated' | 'properties' | 'channel'>,
): ContactEffect | null {
  if (event.simulated) return null;
  switch (event.type) {
    case 'bounced':
      return effect({ channel: 'email', suppress: 'hard_bounce' });
    case 'complained':
      return effect({ channel: 'email', suppress: 'complaint' });
    case 'unsubscribed':
      return effect({
        channel: 'email',
        consent: { status: 'opted_out', source: 'mailgun_unsubscribe' },
        suppress: 'unsubscribe',
      });
    case 'inbound':
      if (event.keyword === 'opt_out') {
        return effect({ channel: 'sms', consent: { status: 'opted_out', source: 'sms_stop' }, suppress: 'sms_stop' });
      }
      if (event.keyword === 'opt_in') {
        // START reverses the customer's own opt-outs of texts, never a block by the store.
        return effect({
          channel: 'sms',
          consent: { status: 'opted_in', source: 'sms_start' },
          lift: ['sms_stop', 'unsubscribe'],
        });
      }
      return null;
    case 'failed':
    case 'undelivered':
      // The carrier says the number opted out (a STOP we never saw, e.g. sent before we were wired).
      if (event.channel === 'sms' && event.properties.errorCode === TWILIO_UNSUBSCRIBED_ERROR) {
        return effect({ channel: 'sms', consent: { status: 'opted_out', source: 'sms_stop' }, suppress: 'sms_stop' });
      }
      return null;
    default:
      return null;
  }
}
