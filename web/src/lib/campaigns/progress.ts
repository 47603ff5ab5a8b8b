import type { ServerMessage } from '../../../../api/realtime/protocol.ts';
import type { CampaignStatus, LedgerCount, SendStatus } from './types.ts';

/**
 * A campaign's live state on its page, folded from what the API sent: the page's first load,
 * then the WebSocket's messages. Progress snapshots are complete, so the newest one wins;
 * `events` only add to the activity counters (what happened since the page opened).
 */
export interface LiveProgress {
  campaignId: string;
  status: CampaignStatus;
  day: number | null;
  ledger: LedgerCount[];
  lastError: string | null;
  /** When the server read the snapshot we show; an older snapshot arriving late is ignored. */
  at: string | null;
  /** Ledger moves and engagement events seen live since the page opened. */
  activity: { ledger: Record<string, number>; engagement: Record<string, number> };
}

export function initialProgress(c: {
  id: string;
  status: CampaignStatus;
  ledger: LedgerCount[];
  lastError: string | null;
  day?: number | null;
}): LiveProgress {
  return {
    campaignId: c.id,
    status: c.status,
    day: c.day ?? null,
    ledger: c.ledger,
    lastError: c.lastError,
    at: null,
    activity: { ledger: {}, engagement: {} },
  };
}

function add(into: Record<string, number>, more: Record<string, number>): Record<string, number> {
  const out = { ...into };
  for (const [k, n] of Object.entries(more)) out[k] = (out[k] ?? 0) + n;
  return out;
}

export function applyMessage(state: LiveProgress, msg: ServerMessage): LiveProgress {
  switch (msg.type) {
    case 'progress': {
      const p = msg.progress;
      if (p.campaignId !== state.campaignId) return state;
      if (state.at && p.at < state.at) return state;
      return {
        ...state,
        status: p.status as CampaignStatus,
        day: p.day,
        ledger: p.ledger,
        lastError: p.lastError,
        at: p.at,
      };
    }
    case 'campaign':
      return msg.campaignId === state.campaignId ? { ...state, status: msg.status as CampaignStatus } : state;
    case 'events':
      if (msg.campaignId !== state.campaignId) return state;
      return {
        ...state,
        activity: {
          ledger: add(state.activity.ledger, msg.ledger),
          engagement: add(state.activity.engagement, msg.engagement),
        },
      };
    default:
      return state;
  }
}

/** The order statuses are shown in: the way a message travels, then what went wrong. */
export const statusOrder: SendStatus[] = [
  'pending',
  'sending',
  'sent',
  'delivered',
  'unconfirmed',
  'skipped',
  'failed',
  'bounced',
  'complained',
  'unknown',
];
export const failureStatuses: ReadonlySet<SendStatus> = new Set(['failed', 'bounced', 'complained']);

/** Ledger rows by status, all channels together, in display order; statuses with no rows left out. */
export function countsByStatus(ledger: LedgerCount[]): { status: SendStatus; count: number }[] {
  const totals = new Map<SendStatus, number>();
  for (const l of ledger) totals.set(l.status, (totals.get(l.status) ?? 0) + l.count);
  return statusOrder.filter((s) => (totals.get(s) ?? 0) > 0).map((s) => ({ status: s, count: totals.get(s)! }));
}

/** Statuses a campaign can still change from: its page keeps listening while in one of them. */
const settled: ReadonlySet<CampaignStatus> = new Set(['completed', 'cancelled', 'failed']);
export const isFinished = (status: CampaignStatus) => settled.has(status);

/** What a manager may do to a campaign in this status (the workflow refuses the rest). */
export function commandsFor(status: CampaignStatus): { pause: boolean; resume: boolean; cancel: boolean } {
  return {
    pause: status === 'active' || status === 'scheduled',
    resume: status === 'paused',
    cancel: !isFinished(status),
  };
}

/** The share of planned messages whose outcome is known, for the progress bar (0–1). */
export function doneShare(ledger: LedgerCount[], planned: number): number {
  if (planned <= 0) return 0;
  const done = ledger.filter((l) => l.status !== 'pending' && l.status !== 'sending').reduce((s, l) => s + l.count, 0);
  return Math.min(1, done / planned);
}
