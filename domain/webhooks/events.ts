import type { SmsKeyword } from './keywords.ts';

/**
 * One provider event in our own words, whichever provider reported it: Mailgun and Twilio
 * webhooks, the sandbox's simulated events and our own click redirect all become this, and
 * all go through one ingestion path.
 */

export type EventSource = 'mailgun' | 'twilio' | 'sandbox' | 'click';

export type EngagementEventType =
  /** Accepted by the provider, not yet handed on. */
  | 'queued'
  | 'sent'
  | 'delivered'
  | 'opened'
  | 'clicked'
  /** A temporary failure: the provider keeps trying. Recorded only. */
  | 'deferred'
  /** A permanent e-mail failure. */
  | 'bounced'
  | 'failed'
  | 'undelivered'
  | 'complained'
  | 'unsubscribed'
  /** A text message from a customer to our number. */
  | 'inbound'
  /** An event type we do not act on; stored and counted all the same. */
  | 'other';

export type Channel = 'email' | 'sms';

export type EventProperties = Record<string, string | number | boolean | null>;

export interface EngagementEvent {
  source: EventSource;
  /** Deterministic per provider event, so that a provider's retry is recognised as the same event. */
  eventKey: string;
  type: EngagementEventType;
  /** Null when only the ledger row knows it (a click through our redirect). */
  channel: Channel | null;
  occurredAt: Date;
  /** The ledger row id attached at send time (Mailgun's `v:send_id`, the sandbox outbox, a click link). */
  sendId: string | null;
  /** The provider's id of the message, for providers that only hand that back (Twilio). */
  providerMessageId: string | null;
  /** Which provider's id `providerMessageId` is: the ledger's `sends.provider`. */
  messageProvider: 'mailgun' | 'twilio' | 'sandbox' | null;
  /** The customer's address the event is about: a lower-cased e-mail address or an E.164 number. */
  address: string | null;
  /** What an inbound text asks for. */
  keyword: SmsKeyword | null;
  /** Made up by the sandbox: it moves the ledger and analytics, never a real address's suppression. */
  simulated: boolean;
  /** Small facts for `analytics_events.properties`: url, severity, reason, error code… */
  properties: EventProperties;
  /** What the provider sent, kept in the receipt. */
  payload: unknown;
  /**
   * A single-use token of the signed request (Mailgun's `signature.token`), recorded with the
   * receipt so that the same signed request is refused when it comes again.
   */
  replayGuard: { token: string; expiresAt: Date } | null;
}

/** An event with the fields most sources leave empty already empty. */
export function engagementEvent(
  fields: Pick<EngagementEvent, 'source' | 'eventKey' | 'type' | 'channel' | 'occurredAt' | 'payload'> &
    Partial<EngagementEvent>,
): EngagementEvent {
  return {
    sendId: null,
    providerMessageId: null,
    messageProvider: null,
    address: null,
    keyword: null,
    simulated: false,
    properties: {},
    replayGuard: null,
    ...fields,
  };
}

/** Drops unset values, so analytics properties only say what the provider said. */
export function definedProperties(
  values: Record<string, string | number | boolean | null | undefined>,
): EventProperties {
  const out: EventProperties = {};
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== null) out[key] = value;
  return out;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ledger ids are UUIDs; anything else in a send id field is someone else's variable. */
export function ledgerId(value: unknown): string | null {
  return typeof value === 'string' && uuid.test(value) ? value.toLowerCase() : null;
}
