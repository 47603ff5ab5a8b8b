import { describe, expect, it } from 'vitest';
import { emailDocument, smsSegments } from './outbox.ts';

describe('the outbox preview', () => {
  it('puts a no-script policy at the top of the e-mail, with or without its own head', () => {
    const full = emailDocument('<html><head><title>t</title></head><body><p>Hi</p></body></html>');
    expect(full.indexOf("default-src 'none'")).toBeLessThan(full.indexOf('<title>'));
    const fragment = emailDocument('<p>Hi</p>');
    expect(fragment).toMatch(
      /^<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy"/,
    );
    expect(fragment).toContain('<body><p>Hi</p></body>');
    expect(fragment).not.toMatch(/script-src/);
  });

  it('counts SMS segments the way phones do', () => {
    expect(smsSegments('a'.repeat(160))).toBe(1);
    expect(smsSegments('a'.repeat(161))).toBe(2);
    expect(smsSegments('🍷'.repeat(70))).toBe(1);
    expect(smsSegments('🍷'.repeat(71))).toBe(2);
  });
});
