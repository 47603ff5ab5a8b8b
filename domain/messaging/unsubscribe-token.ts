import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The token in every unsubscribe and preferences link: who, which channel, from which
 * campaign, and when it was issued, signed with HMAC-SHA256 so that nobody can unsubscribe
 * someone else by editing a link. No expiry by default: an unsubscribe link in an old e-mail
 * must still work (CAN-SPAM asks for at least 30 days; people keep e-mails for years).
 */

export interface UnsubscribeClaims {
  customerId: string;
  channel: 'email' | 'sms';
  campaignId: string | null;
  issuedAt: Date;
}

export type UnsubscribeTokenCheck =
  ({ ok: true } & UnsubscribeClaims) | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

const VERSION = 'u1';
const SIGNATURE_BYTES = 32;
// Ids travel inside the token; anything else than these characters is someone's experiment.
const idPattern = /^[A-Za-z0-9_-]{1,64}$/;

function signature(payload: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

export function signUnsubscribeToken(claims: UnsubscribeClaims, secret: string): string {
  if (!idPattern.test(claims.customerId)) throw new RangeError('customerId is not an id');
  if (claims.campaignId !== null && !idPattern.test(claims.campaignId)) throw new RangeError('campaignId is not an id');
  const issuedAt = Math.floor(claims.issuedAt.getTime() / 1000);
  const payload = [VERSION, claims.customerId, claims.channel, claims.campaignId ?? '', issuedAt].join('.');
  return `${Buffer.from(payload).toString('base64url')}.${signature(payload, secret).toString('base64url')}`;
}

/**
 * Checks a token against the current secret and any previous ones (secret rotation), in
 * constant time per secret.
 */
export function verifyUnsubscribeToken(
  token: string,
  secrets: string | readonly string[],
  options: { now?: Date; maxAgeMs?: number } = {},
): UnsubscribeTokenCheck {
  const dot = token.indexOf('.');
  if (dot < 1 || token.length > 512) return { ok: false, reason: 'malformed' };
  const encodedPayload = token.slice(0, dot);
  const encodedSignature = token.slice(dot + 1);
  const given = Buffer.from(encodedSignature, 'base64url');
  const payload = Buffer.from(encodedPayload, 'base64url').toString();
  // base64url decoding skips stray characters and ignores the last character's spare bits:
  // only the one canonical spelling of a token is accepted.
  if (
    given.length !== SIGNATURE_BYTES ||
    given.toString('base64url') !== encodedSignature ||
    Buffer.from(payload).toString('base64url') !== encodedPayload
  ) {
    return { ok: false, reason: 'malformed' };
  }

  const signedWithAny = (typeof secrets === 'string' ? [secrets] : secrets).some((secret) =>
    timingSafeEqual(signature(payload, secret), given),
  );
  if (!signedWithAny) return { ok: false, reason: 'bad_signature' };

  const [version, customerId, channel, campaignId, issuedAt, ...rest] = payload.split('.');
  if (
    version !== VERSION ||
    rest.length > 0 ||
    !customerId ||
    (channel !== 'email' && channel !== 'sms') ||
    !/^\d+$/.test(issuedAt ?? '')
  ) {
    return { ok: false, reason: 'malformed' };
  }
  const issued = new Date(Number(issuedAt) * 1000);
  if (options.maxAgeMs !== undefined && options.now && options.now.getTime() - issued.getTime() > options.maxAgeMs) {
    return { ok: false, reason: 'expired' };
  }
  return { ok: true, customerId, channel, campaignId: campaignId || null, issuedAt: issued };
}
