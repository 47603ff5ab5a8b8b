import { error } from '@sveltejs/kit';
import { ApiError } from '$lib/api.ts';
import { api } from '$lib/client.ts';
import type { CustomerScores } from '$lib/customers/explain.ts';
import type { CustomerJourney } from '$lib/customers/journeys.ts';
import type { PageLoad } from './$types';

export interface CustomerDetail {
  customer: Record<string, unknown> & {
    id: string;
    external_id: string;
    first_name: string | null;
    last_name: string | null;
    email: string | null;
    phone: string | null;
    country: string;
    region: string | null;
    date_of_birth: string | null;
    age_verified: boolean;
    created_at: string;
  };
  consents: {
    email?: Consent;
    sms?: Consent;
    history: Consent[];
  };
  orders: {
    id: string;
    external_id: string;
    ordered_at: string;
    total: string;
    currency: string;
    category: string | null;
    item_count: number;
    channel: string | null;
  }[];
  messages: {
    id: string;
    channel: 'email' | 'sms';
    status: string;
    skip_reason: string | null;
    sent_at: string | null;
    delivered_at: string | null;
    opened_at: string | null;
    clicked_at: string | null;
    campaign: string | null;
  }[];
  scores: CustomerScores | null;
}

interface Consent {
  id: string;
  channel: 'email' | 'sms';
  status: 'opted_in' | 'opted_out';
  source: string;
  recorded_at: string;
}

export const load = (async ({ params }) => {
  try {
    const path = `/api/customers/${encodeURIComponent(params.id)}`;
    const [detail, journeys] = await Promise.all([
      api.get<CustomerDetail>(path),
      api.get<{ items: CustomerJourney[] }>(`${path}/journeys`),
    ]);
    return { detail, journeys: journeys.items };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 400)) error(404, 'No such customer.');
    throw err;
  }
}) satisfies PageLoad;
