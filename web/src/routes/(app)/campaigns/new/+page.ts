import { defaults } from 'sveltekit-superforms';
import { zod4 } from 'sveltekit-superforms/adapters';
import { api } from '$lib/client.ts';
import type { Campaign, PlanAction, SystemInfo } from '$lib/campaigns/types.ts';
import { campaignFormSchema, tomorrow } from '$lib/campaigns/wizard.ts';
import type { Segment } from '$lib/types.ts';
import type { PageLoad } from './$types';

const PAGE = 100;

/** The wizard resumes where the campaign is: `?id=` once the draft exists, `&after=` pages the plan. */
export const load = (async ({ url }) => {
  const id = url.searchParams.get('id');
  const after = url.searchParams.get('after') ?? undefined;
  const [segments, system, campaign] = await Promise.all([
    api.get<{ items: Segment[] }>('/api/segments'),
    api.get<SystemInfo>('/api/system'),
    id ? api.get<Campaign>(`/api/campaigns/${id}`) : Promise.resolve(undefined),
  ]);
  const actions =
    campaign?.status === 'awaiting_approval'
      ? await api.get<{ items: PlanAction[]; nextAfter: string | null }>(`/api/campaigns/${campaign.id}/actions`, {
          query: { after, limit: PAGE },
        })
      : undefined;
  const form = defaults(
    {
      name: '',
      type: 'win_back' as const,
      goal: '',
      targetSegments: [],
      channels: ['email' as const],
      startsOn: tomorrow(),
      windowDays: 7,
      audienceSize: 300,
    },
    zod4(campaignFormSchema),
  );
  return {
    form,
    segments: segments.items,
    system,
    campaign,
    actions: actions?.items ?? [],
    nextAfter: actions && actions.items.length === PAGE ? actions.nextAfter : null,
    after,
  };
}) satisfies PageLoad;
