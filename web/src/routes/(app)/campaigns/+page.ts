import { api } from '$lib/client.ts';
import { campaignStatuses, type CampaignStatus, type CampaignSummary } from '$lib/campaigns/types.ts';
import type { PageLoad } from './$types';

export const load = (async ({ url }) => {
  const raw = url.searchParams.get('status');
  const status = campaignStatuses.includes(raw as CampaignStatus) ? (raw as CampaignStatus) : undefined;
  const { items } = await api.get<{ items: CampaignSummary[] }>('/api/campaigns', { query: { status, limit: 200 } });
  return { status, campaigns: items };
}) satisfies PageLoad;
