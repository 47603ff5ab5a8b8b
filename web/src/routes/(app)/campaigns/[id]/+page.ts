import { api } from '$lib/client.ts';
import type {
  Campaign,
  CampaignSend,
  ProgressResponse,
  SendStatus,
  SystemInfo,
  TimelineDay,
} from '$lib/campaigns/types.ts';
import type { PageLoad } from './$types';

const failures = 'failed,bounced,complained';

/** Reloaded (`invalidate('app:campaign')`) as live progress arrives, so the tables follow the ledger. */
export const load = (async ({ params, url, depends }) => {
  depends('app:campaign');
  const status = (url.searchParams.get('status') ?? undefined) as SendStatus | undefined;
  const after = url.searchParams.get('after') ?? undefined;
  const base = `/api/campaigns/${params.id}`;
  const [campaign, progress, timeline, sends, failed, system] = await Promise.all([
    api.get<Campaign>(base),
    api.get<ProgressResponse>(`${base}/progress`),
    api.get<{ days: TimelineDay[] }>(`${base}/timeline`),
    api.get<{ items: CampaignSend[]; nextAfter: string | null }>(`${base}/sends`, {
      query: { status, after, limit: 50 },
    }),
    api.get<{ items: CampaignSend[] }>(`${base}/sends`, { query: { status: failures, limit: 20 } }),
    api.get<SystemInfo>('/api/system'),
  ]);
  return { campaign, progress, timeline: timeline.days, sends, failures: failed.items, system, status, after };
}) satisfies PageLoad;
