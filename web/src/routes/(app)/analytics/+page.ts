import { api } from '$lib/client.ts';
import type { CampaignComparison, DailyPoint, FunnelRow, HoldoutResults } from '$lib/analytics.ts';
import type { PageLoad } from './$types';

const ranges = [7, 30, 90] as const;

export const load = (async ({ url }) => {
  const asked = Number(url.searchParams.get('days'));
  const days = (ranges as readonly number[]).includes(asked) ? asked : 30;
  const series = await api.get<{ from: string; to: string; days: DailyPoint[] }>('/api/analytics/timeseries');
  // The API answers the last 90 days of the store's calendar; the page shows the range asked for.
  const points = series.days.slice(-days);
  const { campaigns } = await api.get<{ campaigns: CampaignComparison[] }>('/api/analytics/campaigns');
  const chosen = url.searchParams.get('campaign') ?? campaigns[0]?.campaignId;
  const [funnel, holdout] = chosen
    ? await Promise.all([
        api.get<{ rows: FunnelRow[] }>('/api/analytics/funnel', { query: { campaignIds: chosen } }),
        api.get<HoldoutResults>(`/api/analytics/campaigns/${chosen}/holdout`).catch(() => undefined),
      ])
    : [undefined, undefined];
  return { ranges, days, points, campaigns, chosen, funnel: funnel?.rows[0], holdout };
}) satisfies PageLoad;
