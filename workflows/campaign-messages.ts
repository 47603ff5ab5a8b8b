import type { Duration } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ActionEdit, SendCounts } from '../activities/campaigns.ts';
import type { CampaignStatus as Status } from '../domain/campaigns/lifecycle.ts';

/**
 * The campaign workflow's messages and their types, apart from the workflow itself so that the
 * API can import them without importing workflow code.
 */

export interface CampaignTimings {
  /** Pause between attempts of a failed send (the product spec: 5 minutes). */
  retryDelay: Duration;
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** How long a sent message may go without delivery evidence before it is `unconfirmed`. */
  deliveryWait: Duration;
  /** Engagement window after the last send, before results are recorded. */
  engagementWindow: Duration;
  /**
   * E-mails that cannot reach their customer (no address or consent, suppressed, failed for
   * good, bounced) are replaced by one text, under the same rules (domain/campaigns/sms-fallback.ts).
   */
  smsFallback?: boolean;
  /** E-mails not opened this long after sending fall back too (before the next day's sends); null: never. */
  smsFallbackUnopenedAfter?: Duration | null;
  /** The longest pause between two looks at a day's delivery outcomes while waiting for them. */
  deliveryPollMax?: Duration;
}

export const defaultCampaignTimings: Required<CampaignTimings> = {
  retryDelay: '5 minutes',
  maxAttempts: 3,
  deliveryWait: '6 hours',
  engagementWindow: '3 days',
  // Off unless the campaign is started with it (the API passes the store's setting): campaigns
  // started before fallbacks existed keep doing what they were started to do.
  smsFallback: false,
  smsFallbackUnopenedAfter: null,
  deliveryPollMax: '2 hours',
};

export interface CampaignWorkflowInput {
  campaignId: string;
  queues: { sends: string; planning: string };
  timings?: Partial<CampaignTimings>;
  /** Carried across continue-as-new. */
  resume?: CarriedState;
}

export interface CarriedState {
  status: Status;
  nextDay: number;
  counts: SendCounts;
  lastError?: string;
  /** Its days ended with their own delivery waits (DAY_DELIVERY_WAITS). */
  dayWaits?: boolean;
}

export interface CampaignProgress {
  campaignId: string;
  status: Status;
  /** Day of the campaign being sent or next to send (0-based), or null before start. */
  day: number | null;
  counts: SendCounts;
  nextSendAt: string | null;
  lastError: string | null;
}

export const progressQuery = defineQuery<CampaignProgress>('progress');
export const generateUpdate = defineUpdate<CampaignProgress>('generate');
export const editActionsUpdate = defineUpdate<{ applied: number }, [ActionEdit[]]>('editActions');
export const approveUpdate = defineUpdate<CampaignProgress, [{ approvedBy: string | null }]>('approve');
export const startUpdate = defineUpdate<CampaignProgress>('start');
export const pauseUpdate = defineUpdate<CampaignProgress>('pause');
export const resumeUpdate = defineUpdate<CampaignProgress>('resume');
export const cancelUpdate = defineUpdate<CampaignProgress>('cancel');
