import { randomBytes, randomUUID } from 'node:crypto';
import { signMailgun } from '../../domain/webhooks/mailgun.ts';

/**
 * Provider webhook requests as the providers send them, for tests and the webhook benchmark:
 * Mailgun's signed JSON (its documented event-data shape, trimmed) and Twilio's form bodies.
 */

export interface MailgunEventFields {
  event: string;
  id?: string;
  /** Seconds since the epoch, as Mailgun sends it. */
  timestamp?: number;
  sendId?: string | null;
  messageId?: string;
  recipient?: string;
  severity?: 'temporary' | 'permanent';
  reason?: string;
  url?: string;
  deliveryStatus?: { code?: number; description?: string; message?: string };
}

export function mailgunEventData(f: MailgunEventFields): Record<string, unknown> {
  const timestamp = f.timestamp ?? Date.now() / 1000;
  return {
    event: f.event,
    id: f.id ?? randomBytes(16).toString('base64url'),
    timestamp,
    'log-level': f.event === 'failed' ? (f.severity === 'permanent' ? 'error' : 'warn') : 'info',
    recipient: f.recipient ?? 'pat.shopper@example.com',
    'recipient-domain': (f.recipient ?? 'pat.shopper@example.com').split('@')[1],
    tags: ['campaign'],
    envelope: {
      sender: 'marketing@mg.store.example',
      transport: 'smtp',
      targets: f.recipient ?? 'pat.shopper@example.com',
    },
    message: {
      headers: {
        'message-id': f.messageId ?? `${randomUUID()}@mg.store.example`,
        to: f.recipient ?? 'pat.shopper@example.com',
        from: '"Bottle Shop" <marketing@mg.store.example>',
        subject: 'Your weekend bourbon pick',
      },
      attachments: [],
      size: 18_432,
    },
    flags: { 'is-routed': false, 'is-authenticated': true, 'is-system-test': false, 'is-test-mode': false },
    'user-variables': f.sendId === null ? {} : { send_id: f.sendId ?? randomUUID(), campaign_id: randomUUID() },
    ...(f.severity ? { severity: f.severity } : {}),
    ...(f.reason ? { reason: f.reason } : {}),
    ...(f.url ? { url: f.url, ip: '203.0.113.7', 'client-info': { 'client-type': 'browser' } } : {}),
    ...(f.deliveryStatus ? { 'delivery-status': f.deliveryStatus } : {}),
  };
}

export interface MailgunSignatureFields {
  signingKey: string;
  /** Seconds since the epoch; default now. */
  timestamp?: number;
  token?: string;
}

/** A webhook body signed the way Mailgun signs it: HMAC-SHA256(timestamp + token). */
export function signedMailgunBody(eventData: Record<string, unknown>, s: MailgunSignatureFields) {
  const timestamp = String(Math.floor(s.timestamp ?? Date.now() / 1000));
  const token = s.token ?? randomBytes(25).toString('hex');
  return {
    signature: { timestamp, token, signature: signMailgun(timestamp, token, s.signingKey) },
    'event-data': eventData,
  };
}

/** A Twilio SID: two letters and 32 hex digits. */
export function twilioSid(prefix = 'SM'): string {
  return `${prefix}${randomBytes(16).toString('hex')}`;
}
