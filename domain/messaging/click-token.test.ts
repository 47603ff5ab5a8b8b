import { describe, expect, it } from 'vitest';
import { CLICK_PATH, clickLinkKey, signClickToken, trackedLink, verifyClickToken } from './click-token.ts';

const key = clickLinkKey('unsubscribe-secret-for-tests-0123456789abcdef');
const claims = {
  sendId: '6f1c2f2e-1d2b-4c1e-9a43-0a4b5e6f7a8b',
  url: 'https://shop.example/bourbon?utm_source=email#top',
};

describe('click tokens', () => {
  it('carry the send and the target and verify with the same key', () => {
    expect(verifyClickToken(signClickToken(claims, key), key)).toEqual({ ok: true, ...claims });
  });

  it('refuse a changed target, a changed send or another key', () => {
    const [version, sendId, url, signature] = signClickToken(claims, key).split('.') as [
      string,
      string,
      string,
      string,
    ];
    const evil = Buffer.from('https://evil.example/').toString('base64url');
    expect(verifyClickToken([version, sendId, evil, signature].join('.'), key)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(verifyClickToken([version, 'someone-else', url, signature].join('.'), key).ok).toBe(false);
    expect(verifyClickToken(signClickToken(claims, key), clickLinkKey('another-secret-0123456789abcdef0123')).ok).toBe(
      false,
    );
  });

  it('refuse malformed and non-canonical tokens', () => {
    const token = signClickToken(claims, key);
    for (const bad of ['', 'abc', `${token}.x`, token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), `${token}=`]) {
      expect(verifyClickToken(bad, key).ok, bad).toBe(false);
    }
    expect(verifyClickToken('x'.repeat(5000), key)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('only track web links: never a javascript: or data: URL', () => {
    expect(() => signClickToken({ ...claims, url: 'javascript:alert(1)' }, key)).toThrow(RangeError);
    expect(() => signClickToken({ ...claims, url: 'data:text/html,hi' }, key)).toThrow(RangeError);
  });

  it('are a link under the public URL', () => {
    const link = trackedLink('https://marketing.shop.example/', claims, key);
    expect(link.startsWith(`https://marketing.shop.example${CLICK_PATH}`)).toBe(true);
  });

  it('are not unsubscribe tokens: a key derived for clicks differs from the secret', () => {
    expect(key).not.toBe('unsubscribe-secret-for-tests-0123456789abcdef');
  });
});
