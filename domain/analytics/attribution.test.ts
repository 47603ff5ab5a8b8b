import { describe, expect, it } from 'vitest';
import { attributeOrder, DEFAULT_ATTRIBUTION_WINDOWS, longestWindowMs, type Touch } from './attribution.ts';

const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso);
const touch = (sendId: string, campaignId: string, channel: Touch['channel'], type: string, iso: string): Touch => ({
  sendId,
  campaignId,
  channel,
  type,
  at: at(iso),
});

describe('last-touch attribution', () => {
  it('gives the order to the latest touch when two campaigns touched the customer', () => {
    const touches = [
      touch('s-a', 'campaign-a', 'email', 'clicked', '2026-06-01T10:00:00Z'),
      touch('s-b', 'campaign-b', 'sms', 'clicked', '2026-06-02T09:00:00Z'),
    ];
    expect(attributeOrder(at('2026-06-02T12:00:00Z'), touches)?.touch.campaignId).toBe('campaign-b');
    // Past the SMS click's day, campaign A's e-mail click still counts (5 days).
    expect(attributeOrder(at('2026-06-03T10:00:00Z'), touches)?.touch.campaignId).toBe('campaign-a');
  });

  it('never attributes an order placed before the message was touched', () => {
    const touches = [touch('s-a', 'campaign-a', 'email', 'opened', '2026-06-01T10:00:00Z')];
    expect(attributeOrder(at('2026-06-01T09:59:59.999Z'), touches)).toBeNull();
    expect(attributeOrder(at('2026-06-01T10:00:00Z'), touches)?.lagMs).toBe(0);
  });

  it('counts an order exactly at the end of the window and not a millisecond later', () => {
    const email = [touch('s-e', 'c', 'email', 'opened', '2026-06-01T00:00:00Z')];
    expect(attributeOrder(at('2026-06-06T00:00:00Z'), email)?.lagMs).toBe(120 * HOUR);
    expect(attributeOrder(at('2026-06-06T00:00:00.001Z'), email)).toBeNull();
    const smsDelivered = [touch('s-s', 'c', 'sms', 'delivered', '2026-06-01T00:00:00Z')];
    expect(attributeOrder(at('2026-06-01T12:00:00Z'), smsDelivered)).not.toBeNull();
    expect(attributeOrder(at('2026-06-01T12:00:00.001Z'), smsDelivered)).toBeNull();
    const smsClicked = [touch('s-s', 'c', 'sms', 'clicked', '2026-06-01T00:00:00Z')];
    expect(attributeOrder(at('2026-06-02T00:00:00Z'), smsClicked)).not.toBeNull();
    expect(attributeOrder(at('2026-06-02T00:00:00.001Z'), smsClicked)).toBeNull();
  });

  it('ignores what is not a touch: an e-mail delivery, a bounce', () => {
    const touches = [
      touch('s-1', 'c', 'email', 'delivered', '2026-06-01T00:00:00Z'),
      touch('s-2', 'c', 'sms', 'failed', '2026-06-01T00:00:00Z'),
    ];
    expect(attributeOrder(at('2026-06-01T01:00:00Z'), touches)).toBeNull();
  });

  it('breaks a tie on the instant by the stronger touch, whatever the order touches come in', () => {
    const opened = touch('s-2', 'c', 'email', 'opened', '2026-06-01T00:00:00Z');
    const clicked = touch('s-1', 'c', 'email', 'clicked', '2026-06-01T00:00:00Z');
    const order = at('2026-06-01T05:00:00Z');
    expect(attributeOrder(order, [opened, clicked])?.touch.sendId).toBe('s-1');
    expect(attributeOrder(order, [clicked, opened])?.touch.sendId).toBe('s-1');
  });

  it('uses windows configured per channel and touch type', () => {
    const windows = { sms: { clicked: 2 * HOUR } };
    const touches = [
      touch('s-1', 'c', 'sms', 'clicked', '2026-06-01T00:00:00Z'),
      touch('s-2', 'c', 'email', 'opened', '2026-06-01T01:00:00Z'),
    ];
    expect(attributeOrder(at('2026-06-01T02:00:00Z'), touches, windows)?.touch.sendId).toBe('s-1');
    expect(attributeOrder(at('2026-06-01T03:00:00Z'), touches, windows)).toBeNull();
    expect(longestWindowMs(DEFAULT_ATTRIBUTION_WINDOWS)).toBe(120 * HOUR);
  });
});
