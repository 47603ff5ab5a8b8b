import type { EngagementEvent } from './events.ts';

/**
 * What engagement events do to a send ledger row. Status only moves forward: each status has a
 * rank and the higher one wins, so a late `delivered` never overwrites `bounced` or
 * `complained`. Each timestamp keeps the earliest evidence, and an open, a click or a
 * complaint is evidence of delivery. Merging is therefore order-free: events that arrive out
 * of order, in different batches or from two API processes at once leave the same row.
 * The store writes the same merge in SQL from `STATUS_RANK`.
 */

export type SendStatus =
  | 'pending'
  | 'sending'
  | 'sent'
  | 'delivered'
  | 'failed'
  | 'skipped'
  | 'bounced'
  | 'complained'
  | 'unconfirmed'
  | 'unknown';

/** Higher wins. A skipped row was never sent, so no event can move it. */
export const STATUS_RANK: Readonly<Record<SendStatus, number>> = {
  pending: 0,
  sending: 1,
  sent: 2,
  unconfirmed: 2,
  unknown: 2,
  delivered: 3,
  failed: 4,
  bounced: 4,
  complained: 5,
  skipped: 6,
};

/** A ledger row's tracking columns, or what some events say about them (null: nothing). */
export interface SendTracking {
  status: SendStatus | null;
  deliveredAt: Date | null;
  openedAt: Date | null;
  clickedAt: Date | null;
  failedAt: Date | null;
  /** The provider's reason for a failure, kept with the status that it explains. */
  errorCode: string | null;
  lastError: string | null;
}

export const noTracking: SendTracking = {
  status: null,
  deliveredAt: null,
  openedAt: null,
  clickedAt: null,
  failedAt: null,
  errorCode: null,
  lastError: null,
};

const rank = (status: SendStatus | null) => (status === null ? -1 : STATUS_RANK[status]);

function earliest(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.getTime() <= b.getTime() ? a : b;
}

/** What one event says about its send; null when it changes nothing on the row. */
export function trackingOf(event: Pick<EngagementEvent, 'type' | 'occurredAt' | 'properties'>): SendTracking | null {
  const at = event.occurredAt;
  const failure = () => ({
    failedAt: at,
    errorCode: typeof event.properties.errorCode === 'string' ? event.properties.errorCode : null,
    lastError: typeof event.properties.errorMessage === 'string' ? event.properties.errorMessage : null,
  });
  switch (event.type) {
    case 'sent':
      return { ...noTracking, status: 'sent' };
    case 'delivered':
      return { ...noTracking, status: 'delivered', deliveredAt: at };
    case 'opened':
      return { ...noTracking, status: 'delivered', deliveredAt: at, openedAt: at };
    case 'clicked':
      return { ...noTracking, status: 'delivered', deliveredAt: at, clickedAt: at };
    case 'unsubscribed':
      return { ...noTracking, status: 'delivered', deliveredAt: at };
    case 'complained':
      return { ...noTracking, status: 'complained', deliveredAt: at };
    case 'bounced':
      return { ...noTracking, status: 'bounced', ...failure() };
    case 'failed':
    case 'undelivered':
      return { ...noTracking, status: 'failed', ...failure() };
    case 'queued':
    case 'deferred':
    case 'inbound':
    case 'other':
      return null;
  }
}

/** Both at once: the higher status (with its error), and the earliest of each timestamp. */
export function mergeTracking(a: SendTracking, b: SendTracking): SendTracking {
  const bWins = rank(b.status) > rank(a.status);
  return {
    status: bWins ? b.status : a.status,
    deliveredAt: earliest(a.deliveredAt, b.deliveredAt),
    openedAt: earliest(a.openedAt, b.openedAt),
    clickedAt: earliest(a.clickedAt, b.clickedAt),
    failedAt: earliest(a.failedAt, b.failedAt),
    errorCode: bWins && b.errorCode !== null ? b.errorCode : a.errorCode,
    lastError: bWins && b.lastError !== null ? b.lastError : a.lastError,
  };
}
