import { describe, expect, it } from 'vitest';
import { smsFallbackReason, type EmailOutcome, type SmsFallbackSettings } from './sms-fallback.ts';

const now = new Date('2026-11-28T18:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);
const on: SmsFallbackSettings = { enabled: true, unopenedAfterMs: 24 * 3_600_000 };
const email = (o: Partial<EmailOutcome>): EmailOutcome => ({
  status: 'sent',
  skipReason: null,
  retryable: null,
  sentAt: hoursAgo(1),
  openedAt: null,
  clickedAt: null,
  ...o,
});
const ask = (e: Partial<EmailOutcome>, ctx: Partial<Parameters<typeof smsFallbackReason>[1]> = {}) =>
  smsFallbackReason(email(e), { settings: on, campaignAllowsSms: true, hasSms: false, now, ...ctx });

describe('e-mail to SMS fallback', () => {
  it.each([
    [{ status: 'skipped', skipReason: 'no_address' }, 'no_email_address'],
    [{ status: 'skipped', skipReason: 'no_consent' }, 'no_email_consent'],
    [{ status: 'skipped', skipReason: 'opted_out' }, 'no_email_consent'],
    [{ status: 'skipped', skipReason: 'suppressed' }, 'email_suppressed'],
    [{ status: 'failed', retryable: false }, 'email_failed'],
    [{ status: 'bounced' }, 'email_bounced'],
    [{ status: 'delivered', sentAt: hoursAgo(24) }, 'email_unopened'],
    [{ status: 'unconfirmed', sentAt: hoursAgo(30) }, 'email_unopened'],
  ] as const)('falls back when the e-mail is %o', (outcome, reason) => {
    expect(ask(outcome)).toBe(reason);
  });

  it.each([
    // Rules that bind the SMS just as much, or a customer we must not reach at all.
    [{ status: 'skipped', skipReason: 'under_age' }],
    [{ status: 'skipped', skipReason: 'age_unknown' }],
    [{ status: 'skipped', skipReason: 'quiet_hours' }],
    [{ status: 'skipped', skipReason: 'frequency_cap' }],
    [{ status: 'skipped', skipReason: 'sending_paused' }],
    [{ status: 'skipped', skipReason: 'campaign_cancelled' }],
    // Still the e-mail's: a retry is coming, or it may well have arrived.
    [{ status: 'failed', retryable: true }],
    [{ status: 'sending' }],
    [{ status: 'unknown' }],
    [{ status: 'pending' }],
    // Complaints are a stop, not a reason to try another channel.
    [{ status: 'complained' }],
    // Engaged, or not yet long enough.
    [{ status: 'delivered', sentAt: hoursAgo(48), openedAt: hoursAgo(40) }],
    [{ status: 'delivered', sentAt: hoursAgo(48), clickedAt: hoursAgo(40) }],
    [{ status: 'delivered', sentAt: hoursAgo(23) }],
  ] as const)('does not fall back when the e-mail is %o', (outcome) => {
    expect(ask(outcome)).toBeNull();
  });

  it('never adds a second SMS, and only where the campaign may text and the store wants it', () => {
    const bounced = { status: 'bounced' } as const;
    expect(ask(bounced, { hasSms: true })).toBeNull();
    expect(ask(bounced, { campaignAllowsSms: false })).toBeNull();
    expect(ask(bounced, { settings: { ...on, enabled: false } })).toBeNull();
  });

  it('leaves unopened e-mails alone unless the store asks for it', () => {
    expect(
      ask({ status: 'delivered', sentAt: hoursAgo(100) }, { settings: { ...on, unopenedAfterMs: null } }),
    ).toBeNull();
    expect(ask({ status: 'bounced' }, { settings: { ...on, unopenedAfterMs: null } })).toBe('email_bounced');
  });
});
