import { api } from '$lib/client.ts';
import type { Segment } from '$lib/types.ts';
import type { PageLoad } from './$types';

export const load = (async () => ({
  segments: (await api.get<{ items: Segment[] }>('/api/segments')).items,
})) satisfies PageLoad;
