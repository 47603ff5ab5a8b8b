import { z } from 'zod';

/**
 * The real-time protocol at `/ws`: JSON text frames both ways. The web app imports this file,
 * so it holds types and the client-message schema only — no server code.
 *
 * Topics:
 * - `campaign:<uuid>` — that campaign's progress snapshots and its ledger/engagement events;
 * - `campaigns` — status changes of every campaign (the campaign list);
 * - `engagement` — ledger and engagement events of every campaign (an activity feed).
 *
 * Progress is coalesced: at most a few snapshots per second per campaign, each one complete,
 * so a client that misses one loses nothing. Events in the same window are summed.
 */

export const REALTIME_PATH = '/ws';

/** Close codes a client acts on; 1001 (going away) means the server is shutting down. */
export const closeCodes = {
  goingAway: 1001,
  /** The access token expired: refresh it (POST /api/auth/refresh) and reconnect. */
  tokenExpired: 4001,
  /** The API key was revoked or expired while connected: do not reconnect with it. */
  credentialsRevoked: 4003,
} as const;

const campaignTopic = z.templateLiteral(['campaign:', z.uuid()]);
export const topicSchema = z.union([campaignTopic, z.literal('campaigns'), z.literal('engagement')]);
export type Topic = z.infer<typeof topicSchema>;

export const MAX_TOPICS_PER_CLIENT = 100;

export const clientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('subscribe'), topics: z.array(topicSchema).min(1).max(MAX_TOPICS_PER_CLIENT) }),
  z.strictObject({ type: z.literal('unsubscribe'), topics: z.array(topicSchema).min(1).max(MAX_TOPICS_PER_CLIENT) }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

/** Send statuses as in the ledger (`sends.status`). */
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

/** A campaign's state as Postgres has it, the same ledger counts GET /api/campaigns/:id/progress returns. */
export interface CampaignProgressSnapshot {
  campaignId: string;
  status: string;
  /** The latest campaign day (0-based) the ledger has sends for; null before the first send. */
  day: number | null;
  /** Ledger rows by status, all channels together. */
  counts: Partial<Record<SendStatus, number>>;
  /** Ledger rows by channel and status. */
  ledger: { channel: 'email' | 'sms'; status: SendStatus; count: number }[];
  lastError: string | null;
  /** When the server read this snapshot (ISO 8601). */
  at: string;
}

export type ServerMessage =
  /** Replies to subscribe/unsubscribe with the topics now subscribed. */
  | { type: 'subscribed'; topics: Topic[] }
  /** On topic `campaign:<id>`: sent once on subscribe, then whenever the ledger or status changes. */
  | { type: 'progress'; progress: CampaignProgressSnapshot }
  /** On topic `campaigns`: a campaign was created or changed status. */
  | { type: 'campaign'; campaignId: string; status: string }
  /**
   * On topics `campaign:<id>` and `engagement`: what happened since the last window.
   * `ledger`: rows that moved to a status (sent, delivered, failed, skipped, bounced, …);
   * `engagement`: provider events recorded (delivered, opened, clicked, unsubscribed, complained, …).
   */
  | { type: 'events'; campaignId: string; ledger: Record<string, number>; engagement: Record<string, number> }
  /** A client message was not understood; the connection stays open. */
  | { type: 'error'; error: string; detail?: string };
