import { describe, expect, it } from 'vitest';
import { applyMessage, commandsFor, countsByStatus, doneShare, initialProgress } from './progress.ts';

const id = '6f1c1f5e-1111-4c1a-9a5b-0a1b2c3d4e5f';
const start = initialProgress({ id, status: 'scheduled', ledger: [], lastError: null });

describe("a campaign's live progress", () => {
  it('takes the newest complete snapshot and ignores a late older one', () => {
    const newer = applyMessage(start, {
      type: 'progress',
      progress: {
        campaignId: id,
        status: 'active',
        day: 1,
        counts: { sent: 3 },
        ledger: [{ channel: 'email', status: 'sent', count: 3 }],
        lastError: null,
        at: '2026-11-27T10:00:02.000Z',
      },
    });
    const late = applyMessage(newer, {
      type: 'progress',
      progress: {
        campaignId: id,
        status: 'scheduled',
        day: 0,
        counts: {},
        ledger: [],
        lastError: null,
        at: '2026-11-27T10:00:01.000Z',
      },
    });
    expect(late).toMatchObject({ status: 'active', day: 1, ledger: [{ status: 'sent', count: 3 }] });
  });

  it('adds up events and status changes of this campaign only', () => {
    let s = applyMessage(start, { type: 'events', campaignId: id, ledger: { sent: 2 }, engagement: { opened: 1 } });
    s = applyMessage(s, { type: 'events', campaignId: id, ledger: { sent: 1, failed: 1 }, engagement: {} });
    s = applyMessage(s, { type: 'events', campaignId: 'another', ledger: { sent: 9 }, engagement: {} });
    s = applyMessage(s, { type: 'campaign', campaignId: id, status: 'paused' });
    s = applyMessage(s, { type: 'subscribed', topics: [] });
    expect(s.activity).toEqual({ ledger: { sent: 3, failed: 1 }, engagement: { opened: 1 } });
    expect(s.status).toBe('paused');
  });

  it('sums the ledger by status in the order a message travels, and the share done', () => {
    const ledger = [
      { channel: 'sms' as const, status: 'failed' as const, count: 1 },
      { channel: 'email' as const, status: 'delivered' as const, count: 5 },
      { channel: 'sms' as const, status: 'delivered' as const, count: 2 },
      { channel: 'email' as const, status: 'pending' as const, count: 2 },
    ];
    expect(countsByStatus(ledger)).toEqual([
      { status: 'pending', count: 2 },
      { status: 'delivered', count: 7 },
      { status: 'failed', count: 1 },
    ]);
    expect(doneShare(ledger, 10)).toBe(0.8);
    expect(doneShare([], 0)).toBe(0);
  });

  it('offers the commands the campaign can take in its status', () => {
    expect(commandsFor('active')).toEqual({ pause: true, resume: false, cancel: true });
    expect(commandsFor('paused')).toEqual({ pause: false, resume: true, cancel: true });
    expect(commandsFor('completed')).toEqual({ pause: false, resume: false, cancel: false });
  });
});
