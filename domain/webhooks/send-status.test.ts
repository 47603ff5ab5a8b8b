import { describe, expect, it } from 'vitest';
import type { EngagementEventType } from './events.ts';
import { mergeTracking, noTracking, trackingOf, type SendStatus, type SendTracking } from './send-status.ts';

const at = (minute: number) => new Date(Date.UTC(2026, 10, 27, 12, minute));
const event = (type: EngagementEventType, minute: number, properties: Record<string, string> = {}) => ({
  type,
  occurredAt: at(minute),
  properties,
});

function apply(start: SendTracking, events: ReturnType<typeof event>[]): SendTracking {
  return events.reduce((row, e) => {
    const delta = trackingOf(e);
    return delta ? mergeTracking(row, delta) : row;
  }, start);
}

const sent: SendTracking = { ...noTracking, status: 'sent' };

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('send status from engagement events', () => {
  it('leaves a row delivered and opened when the open arrives before the delivery', () => {
    const row = apply(sent, [event('opened', 10), event('delivered', 2)]);
    expect(row).toMatchObject({ status: 'delivered', deliveredAt: at(2), openedAt: at(10), clickedAt: null });
  });

  it('takes an open as evidence of delivery when no delivery event comes', () => {
    expect(apply(sent, [event('opened', 10)])).toMatchObject({ status: 'delivered', deliveredAt: at(10) });
  });

  it('never lets a late delivery overwrite a bounce or a complaint', () => {
    expect(apply(sent, [event('bounced', 3, { errorCode: '550' }), event('delivered', 1)]).status).toBe('bounced');
    expect(apply(sent, [event('complained', 30), event('delivered', 1), event('opened', 5)]).status).toBe('complained');
  });

  it('keeps the first of each timestamp: a second open does not move opened_at', () => {
    const row = apply(sent, [event('opened', 10), event('opened', 40), event('clicked', 12), event('clicked', 11)]);
    expect(row).toMatchObject({ openedAt: at(10), clickedAt: at(11) });
  });

  it('ends in the same state whatever order the events arrive in', () => {
    const events = [
      event('delivered', 2),
      event('opened', 10),
      event('clicked', 12),
      event('complained', 30),
      event('sent', 0),
    ];
    const results = permutations(events).map((order) => apply(sent, order));
    for (const result of results) expect(result).toEqual(results[0]);
    expect(results[0]).toMatchObject({
      status: 'complained',
      deliveredAt: at(2),
      openedAt: at(10),
      clickedAt: at(12),
    });
  });

  it('keeps the error that explains the status, and only that', () => {
    const failed = apply(sent, [event('failed', 5, { errorCode: '30003', errorMessage: 'Unreachable handset' })]);
    expect(failed).toMatchObject({
      status: 'failed',
      failedAt: at(5),
      errorCode: '30003',
      lastError: 'Unreachable handset',
    });
    // A later delivery report does not outrank the failure and brings no error of its own.
    expect(apply(failed, [event('delivered', 6)])).toMatchObject({ status: 'failed', errorCode: '30003' });
  });

  it('moves nothing for events that are not about the message reaching anyone', () => {
    for (const type of ['queued', 'deferred', 'inbound', 'other'] as const)
      expect(trackingOf(event(type, 1))).toBeNull();
  });

  it('only ever moves status forward', () => {
    const order: SendStatus[] = ['pending', 'sending', 'sent', 'delivered', 'bounced', 'complained', 'skipped'];
    for (const [i, from] of order.entries()) {
      for (const to of order.slice(0, i)) {
        const row = mergeTracking({ ...noTracking, status: from }, { ...noTracking, status: to });
        expect(row.status, `${from} then ${to}`).toBe(from);
      }
    }
  });

  it('never moves a skipped row: it was never sent', () => {
    expect(apply({ ...noTracking, status: 'skipped' }, [event('delivered', 1), event('bounced', 2)]).status).toBe(
      'skipped',
    );
  });
});
