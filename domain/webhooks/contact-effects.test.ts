import { describe, expect, it } from 'vitest';
import { contactEffectOf } from './contact-effects.ts';
import type { EngagementEventType } from './events.ts';
import type { SmsKeyword } from './keywords.ts';

const effect = (
  type: EngagementEventType,
  o: { keyword?: SmsKeyword; simulated?: boolean; errorCode?: string; channel?: 'email' | 'sms' } = {},
) =>
  contactEffectOf({
    type,
    keyword: o.keyword ?? null,
    simulated: o.simulated ?? false,
    properties: o.errorCode ? { errorCode: o.errorCode } : {},
    channel: o.channel ?? 'email',
  });

describe('contact effects of engagement events', () => {
  it('suppresses a hard bounce and a complaint, and only suppresses', () => {
    expect(effect('bounced')).toEqual({ channel: 'email', suppress: 'hard_bounce', consent: null, lift: [] });
    expect(effect('complained')).toEqual({ channel: 'email', suppress: 'complaint', consent: null, lift: [] });
  });

  it('records an e-mail unsubscribe as an opt-out and a suppression', () => {
    expect(effect('unsubscribed')).toMatchObject({
      consent: { status: 'opted_out', source: 'mailgun_unsubscribe' },
      suppress: 'unsubscribe',
    });
  });

  it('turns STOP into an SMS opt-out and START into an opt-in that lifts the STOP', () => {
    expect(effect('inbound', { keyword: 'opt_out', channel: 'sms' })).toEqual({
      channel: 'sms',
      consent: { status: 'opted_out', source: 'sms_stop' },
      suppress: 'sms_stop',
      lift: [],
    });
    expect(effect('inbound', { keyword: 'opt_in', channel: 'sms' })).toEqual({
      channel: 'sms',
      consent: { status: 'opted_in', source: 'sms_start' },
      suppress: null,
      lift: ['sms_stop', 'unsubscribe'],
    });
    expect(effect('inbound', { keyword: 'help', channel: 'sms' })).toBeNull();
    expect(effect('inbound', { channel: 'sms' })).toBeNull();
  });

  it("treats Twilio's 21610 failure as the number's opt-out", () => {
    expect(effect('failed', { channel: 'sms', errorCode: '21610' })).toMatchObject({ suppress: 'sms_stop' });
    expect(effect('undelivered', { channel: 'sms', errorCode: '30003' })).toBeNull();
  });

  it('lets no simulated event touch a real address', () => {
    for (const type of ['bounced', 'complained', 'unsubscribed'] as const) {
      expect(effect(type, { simulated: true })).toBeNull();
    }
  });

  it('does nothing to contacts for deliveries, opens, clicks and temporary failures', () => {
    for (const type of ['delivered', 'opened', 'clicked', 'deferred', 'queued', 'sent'] as const) {
      expect(effect(type)).toBeNull();
    }
  });
});
