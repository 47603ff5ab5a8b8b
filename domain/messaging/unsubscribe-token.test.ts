import { describe, expect, it } from 'vitest';
import { signUnsubscribeToken, verifyUnsubscribeToken, type UnsubscribeClaims } from './unsubscribe-token.ts';

const secret = 'a-secret-of-at-least-thirty-two-characters';
const otherSecret = 'another-secret-of-thirty-two-characters!';
const claims: UnsubscribeClaims = {
  customerId: '3f0c3c1e-8a55-4c57-9a43-2f1d7f0f5e21',
  channel: 'email',
  campaignId: '9b2e0a55-0d1c-4e8f-8f5e-6a0a3f1c2b7d',
  issuedAt: new Date('2026-06-15T17:00:00Z'),
};

/** Flips one character of a base64url string to another valid character. */
function flip(text: string, index: number): string {
  const c = text[index]!;
  return text.slice(0, index) + (c === 'A' ? 'B' : 'A') + text.slice(index + 1);
}

describe('unsubscribe tokens', () => {
  it('carry who, which channel, which campaign and when, and are safe in a URL', () => {
    const token = signUnsubscribeToken(claims, secret);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(verifyUnsubscribeToken(token, secret)).toEqual({ ok: true, ...claims });
  });

  it('may name no campaign', () => {
    const token = signUnsubscribeToken({ ...claims, channel: 'sms', campaignId: null }, secret);
    expect(verifyUnsubscribeToken(token, secret)).toMatchObject({ ok: true, channel: 'sms', campaignId: null });
  });

  it('fail with the wrong secret', () => {
    const token = signUnsubscribeToken(claims, secret);
    expect(verifyUnsubscribeToken(token, otherSecret)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('verify with a previous secret during rotation', () => {
    const token = signUnsubscribeToken(claims, otherSecret);
    expect(verifyUnsubscribeToken(token, [secret, otherSecret])).toMatchObject({ ok: true });
  });

  it('fail when the payload is changed to another customer', () => {
    const token = signUnsubscribeToken(claims, secret);
    const [, signature] = token.split('.');
    const forged = Buffer.from(`u1.00000000-0000-0000-0000-000000000000.email.${claims.campaignId}.1781542800`);
    expect(verifyUnsubscribeToken(`${forged.toString('base64url')}.${signature}`, secret)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('fail when any character of the payload or signature is changed', () => {
    const token = signUnsubscribeToken(claims, secret);
    const dot = token.indexOf('.');
    for (const index of [0, 5, dot - 2, dot - 1, dot + 1, dot + 20, token.length - 2, token.length - 1]) {
      const result = verifyUnsubscribeToken(flip(token, index), secret);
      expect(result.ok, `changed at ${index}`).toBe(false);
    }
  });

  it.each([
    ['empty', ''],
    ['no signature', 'abc'],
    ['a short signature', 'abc.def'],
    ['a signature that is not base64url', `abc.${'*'.repeat(43)}`],
    ['absurdly long', `${'a'.repeat(600)}.${'b'.repeat(43)}`],
  ])('are malformed when %s', (_name, token) => {
    expect(verifyUnsubscribeToken(token, secret)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('expire only when the caller asks for a maximum age', () => {
    const token = signUnsubscribeToken(claims, secret);
    const later = new Date('2027-06-15T17:00:00Z');
    expect(verifyUnsubscribeToken(token, secret, { now: later })).toMatchObject({ ok: true });
    expect(verifyUnsubscribeToken(token, secret, { now: later, maxAgeMs: 30 * 86_400_000 })).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('refuse to sign an id that could break the format', () => {
    expect(() => signUnsubscribeToken({ ...claims, customerId: 'a.b' }, secret)).toThrow(RangeError);
  });
});
