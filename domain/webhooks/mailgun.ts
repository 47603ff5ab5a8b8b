import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import {
  definedProperties,
  engagementEvent,
  ledgerId,
  type EngagementEvent,
  type EngagementEventType,
} from './events.ts';

/**
 * Mailgun's JSON webhooks: `{ signature: { timestamp, token, signature }, 'event-data': {…} }`.
 * The signature is HMAC-SHA256 of timestamp + token with the webhook signing key; a request is
 * only believed when it verifies, is fresh, and its token has not been used before (the store
 * records tokens with the receipt).
 */

export const MAILGUN_DEFAULT_MAX_AGE_MS = 5 * 60_000;

export const mailgunEnvelope = z.object({
  signature: z.object({
    // Mailgun sends seconds as a string; accept a number too.
    timestamp: z.union([z.string().regex(/^\d{1,12}$/), z.number().int().nonnegative()]).transform(String),
    token: z.string().min(16).max(200),
    signature: z.string().regex(/^[0-9a-f]{64}$/i, 'a hex SHA-256 HMAC'),
  }),
  // Checked field by field once the signature holds (mailgunEventData); here only its shape.
  'event-data': z
    .custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'an object')
    .meta({ override: { type: 'object', description: "Mailgun's event: checked field by field once signed." } }),
});

export type MailgunEnvelope = z.infer<typeof mailgunEnvelope>;
export type MailgunSignature = MailgunEnvelope['signature'];

const eventData = z.object({
  event: z.string().min(1).max(64),
  id: z.string().min(1).max(200),
  // Seconds; up to the end of year 9999, which a JavaScript date and PostgreSQL can both hold.
  timestamp: z.number().nonnegative().max(253_402_300_799),
  severity: z.string().max(32).optional(),
  reason: z.string().max(200).optional(),
  recipient: z.string().max(320).optional(),
  url: z.string().max(4096).optional(),
  message: z.object({ headers: z.object({ 'message-id': z.string().max(500).optional() }).optional() }).optional(),
  'user-variables': z.record(z.string(), z.unknown()).optional(),
  'delivery-status': z
    .object({
      code: z.union([z.number(), z.string()]).optional(),
      description: z.string().optional(),
      message: z.string().optional(),
    })
    .optional(),
});

export type MailgunEventData = z.infer<typeof eventData>;
export const mailgunEventData = eventData;

export type SignatureCheck = { ok: true } | { ok: false; reason: 'bad_signature' | 'stale' };

export function signMailgun(timestamp: string, token: string, signingKey: string): string {
  return createHmac('sha256', signingKey)
    .update(timestamp + token)
    .digest('hex');
}

/** Constant-time check of the signature, then of its age (either way round from now). */
export function verifyMailgunSignature(
  signature: MailgunSignature,
  signingKey: string,
  options: { now: Date; maxAgeMs?: number },
): SignatureCheck {
  const expected = Buffer.from(signMailgun(signature.timestamp, signature.token, signingKey), 'hex');
  const given = Buffer.from(signature.signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'bad_signature' };
  const ageMs = Math.abs(options.now.getTime() - Number(signature.timestamp) * 1000);
  if (ageMs > (options.maxAgeMs ?? MAILGUN_DEFAULT_MAX_AGE_MS)) return { ok: false, reason: 'stale' };
  return { ok: true };
}

function typeOf(data: MailgunEventData): EngagementEventType {
  switch (data.event) {
    case 'accepted':
      return 'queued';
    case 'delivered':
    case 'opened':
    case 'clicked':
    case 'complained':
    case 'unsubscribed':
      return data.event;
    case 'failed':
      // Mailgun retries temporary failures itself; only a permanent one is a bounce.
      return data.severity === 'permanent' ? 'bounced' : 'deferred';
    default:
      return 'other';
  }
}

const stripBrackets = (id: string) => id.trim().replace(/^<|>$/g, '');

/**
 * Our event from a verified envelope's event data. `expiresAt` of the replay guard is when the
 * signature stops being fresh, after which its token can be forgotten.
 */
export function mailgunEvent(
  data: MailgunEventData,
  raw: unknown,
  signature: MailgunSignature,
  maxAgeMs = MAILGUN_DEFAULT_MAX_AGE_MS,
): EngagementEvent {
  const messageId = data.message?.headers?.['message-id'];
  const status = data['delivery-status'];
  const failure = data.event === 'failed';
  return engagementEvent({
    source: 'mailgun',
    eventKey: data.id,
    type: typeOf(data),
    channel: 'email',
    occurredAt: new Date(Math.round(data.timestamp * 1000)),
    sendId: ledgerId(data['user-variables']?.send_id),
    providerMessageId: messageId ? stripBrackets(messageId) : null,
    messageProvider: 'mailgun',
    address: data.recipient ? data.recipient.trim().toLowerCase() : null,
    properties: definedProperties({
      providerEvent: data.event,
      severity: data.severity,
      reason: data.reason,
      url: data.url,
      errorCode: failure && status?.code !== undefined ? String(status.code) : undefined,
      errorMessage: failure ? (status?.description || status?.message)?.slice(0, 500) : undefined,
    }),
    payload: raw,
    replayGuard: {
      token: signature.token,
      expiresAt: new Date(Number(signature.timestamp) * 1000 + maxAgeMs),
    },
  });
}
