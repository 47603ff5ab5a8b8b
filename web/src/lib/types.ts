/** The API's response shapes the pages read (see api/routes/* for the source of truth). */

export interface Dashboard {
  activeCampaigns: { id: string; name: string; status: string; startsOn: string; sends: number }[];
  sendsToday: number;
  period: { days: number; sent: number; delivered: number; opened: number; clicked: number; failed: number };
  rates: { delivery: number | null; open: number | null; click: number | null };
  revenueAttributed: { amount: number; orders: number };
  segments: { key: string; name: string; customers: number }[];
  recentFailures: {
    id: string;
    campaignId: string | null;
    campaign: string | null;
    channel: 'email' | 'sms';
    status: string;
    error: string | null;
    at: string;
  }[];
}

export interface CustomerRow {
  id: string;
  externalId: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  phone: string | null;
  segment: string | null;
  segmentName: string | null;
  r: number | null;
  f: number | null;
  m: number | null;
  churnRisk: number | null;
  churnBand: 'low' | 'medium' | 'high' | null;
  clv: string | number | null;
  totalSpent: string | number | null;
  orderCount: number | null;
  lastOrderAt: string | null;
  nightBuyer: boolean | null;
  primaryCategory: string | null;
}

export interface CustomerPage {
  items: CustomerRow[];
  nextCursor: string | null;
  total?: number;
}

export interface Segment {
  id: string;
  key: string;
  name: string;
  description: string | null;
  rules: unknown;
  playbook: Playbook;
  isSystem: boolean;
  customerCount: number;
  lastComputedAt: string | null;
  updatedAt: string;
}

export interface Offer {
  key: string;
  label: string;
  kind: string;
  discountPct?: number;
  [k: string]: unknown;
}

export interface Playbook {
  [k: string]: unknown;
}

export interface ImportSummary {
  id: string;
  kind: 'customers' | 'orders';
  source: string;
  filename: string | null;
  status: 'running' | 'completed' | 'failed';
  rowsTotal: number;
  rowsAccepted: number;
  rowsRejected: number;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}
