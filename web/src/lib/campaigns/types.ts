import type { CampaignProgressSnapshot, SendStatus } from '../../../../api/realtime/protocol.ts';

/** The campaign API's shapes (api/routes/campaigns.ts, api/data/campaigns.ts). */

export type { CampaignProgressSnapshot, SendStatus };
export type Channel = 'email' | 'sms';

export const campaignStatuses = [
  'draft',
  'planning',
  'awaiting_approval',
  'scheduled',
  'active',
  'paused',
  'completed',
  'cancelled',
  'failed',
] as const;
export type CampaignStatus = (typeof campaignStatuses)[number];

export const campaignTypes = ['win_back', 'new_arrival', 'holiday', 're_engagement', 'custom'] as const;
export type CampaignType = (typeof campaignTypes)[number];

export interface CampaignSummary {
  id: string;
  name: string;
  type: CampaignType;
  status: CampaignStatus;
  startsOn: string;
  audienceSize: number;
  createdAt: string;
}

export interface PlanRecord {
  planner: 'llm' | 'deterministic';
  model?: string;
  repairs?: number;
  fallbackReason?: string;
  validationErrorCount?: number;
  latencyMs?: number;
  skipped?: { total: number };
}

export interface LedgerCount {
  channel: Channel;
  status: SendStatus;
  count: number;
}

export interface Campaign {
  id: string;
  name: string;
  type: CampaignType;
  goal: string;
  status: CampaignStatus;
  targetSegments: { key: string; name: string }[];
  channels: Channel[];
  startsOn: string;
  windowDays: number;
  audienceSize: number;
  timeZone: string;
  workflowId: string | null;
  planRecord: PlanRecord | null;
  actions: number;
  ledger: LedgerCount[];
  results: Record<string, unknown> | null;
  lastError: string | null;
  approvedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
}

export interface PlanOffer {
  key: string;
  label: string;
  kind: string;
  discountPct?: number;
}

export interface PlanAction {
  id: string;
  customerId: string;
  firstName: string | null;
  lastName: string | null;
  segment: string | null;
  day: number;
  scheduledOn: string;
  windowStart: string;
  windowEnd: string;
  channels: Channel[];
  offer: PlanOffer;
  brief: string;
  rationale: string;
  priority: string | number | null;
  status: string;
}

export interface WorkflowProgress {
  campaignId: string;
  status: CampaignStatus;
  day: number | null;
  counts: Record<string, number>;
  nextSendAt: string | null;
  lastError: string | null;
}

export interface ProgressResponse {
  status: CampaignStatus;
  live: WorkflowProgress | null;
  ledger: LedgerCount[];
  results: Record<string, unknown> | null;
}

export interface SystemInfo {
  planner: { planner: 'llm'; model: string } | { planner: 'deterministic'; reason: string };
  providers: Record<string, unknown>;
  temporalUi?: { url: string | null; namespace: string };
}

export interface CampaignSend {
  id: string;
  customerId: string;
  firstName: string | null;
  lastName: string | null;
  channel: Channel;
  day: number | null;
  status: SendStatus;
  attempts: number;
  skipReason: string | null;
  lastError: string | null;
  fallbackOf: string | null;
  sentAt: string | null;
  deliveredAt: string | null;
  openedAt: string | null;
  clickedAt: string | null;
  updatedAt: string;
}

export interface TimelineDay {
  day: number;
  date: string | null;
  opensAt: string | null;
  planned: number;
  sends: Partial<Record<SendStatus, number>>;
}
