import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Tracked links: `/r/<token>` where the token carries the ledger row and the target URL,
 * signed with HMAC-SHA256 so that nobody can make our domain redirect to a site of their
 * choosing (an open redirect) or count clicks for someone else's message. The key is derived
 * from the unsubscribe secret for this one purpose, so one secret serves both kinds of link
 * and a token of one kind never verifies as the other.
 */

export const CLICK_PATH = '/r/';

export interface ClickClaims {
  sendId: string;
  url: string;
}

export type ClickTokenCheck = ({ ok: true } & ClickClaims) | { ok: false; reason: 'malformed' | 'bad_signature' };

const VERSION = 'c1';
// 128 bits of HMAC: links in texts are paid for by the character.
const SIGNATURE_BYTES = 16;
const MAX_TOKEN_LENGTH = 4096;
const idPattern = /^[A-Za-z0-9_-]{1,64}$/;

export function clickLinkKey(unsubscribeSecret: string): string {
  return createHmac('sha256', unsubscribeSecret).update('lma click links v1').digest('base64url');
}

function isWebUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function signature(payload: string, key: string): Buffer {
  return createHmac('sha256', key).update(payload).digest().subarray(0, SIGNATURE_BYTES);
}

export function signClickToken(claims: ClickClaims, key: string): string {
  if (!idPattern.test(claims.sendId)) throw new RangeError('sendId is not an id');
  if (!isWebUrl(claims.url)) throw new RangeError('only http and https links can be tracked');
  const payload = `${VERSION}.${claims.sendId}.${Buffer.from(claims.url).toString('base64url')}`;
  return `${payload}.${signature(payload, key).toString('base64url')}`;
}

export function verifyClickToken(token: string, key: string): ClickTokenCheck {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 4) return { ok: false, reason: 'malformed' };
  const [version, sendId, encodedUrl, encodedSignature] = parts as [string, string, string, string];
  const given = Buffer.from(encodedSignature, 'base64url');
  // Only the one canonical base64url spelling is accepted (decoding skips stray characters).
  if (given.length !== SIGNATURE_BYTES || given.toString('base64url') !== encodedSignature) {
    return { ok: false, reason: 'malformed' };
  }
  if (!timingSafeEqual(signature(`${version}.${sendId}.${encodedUrl}`, key), given)) {
    return { ok: false, reason: 'bad_signature' };
  }
  const url = Buffer.from(encodedUrl, 'base64url').toString();
  if (version !== VERSION || !idPattern.test(sendId) || !isWebUrl(url)) return { ok: false, reason: 'malformed' };
  return { ok: true, sendId, url };
}

/** The tracked form of `url` for one ledger row. */
export function trackedLink(publicUrl: string, claims: ClickClaims, key: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${CLICK_PATH}${signClickToken(claims, key)}`;
}
