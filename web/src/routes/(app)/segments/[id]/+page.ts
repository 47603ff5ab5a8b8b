import { error } from '@sveltejs/kit';
import { defaults } from 'sveltekit-superforms';
import { zod4 } from 'sveltekit-superforms/adapters';
import { api } from '$lib/client.ts';
import { segmentFormSchema, type SegmentForm } from '$lib/segments/form.ts';
import type { Segment } from '$lib/types.ts';
import type { PageLoad } from './$types';

export const load = (async ({ params }) => {
  const { items } = await api.get<{ items: Segment[] }>('/api/segments');
  const segment = items.find((s) => s.id === params.id);
  if (!segment) error(404, 'No such segment.');
  const initial = {
    name: segment.name,
    description: segment.description ?? '',
    playbook: segment.playbook as SegmentForm['playbook'],
  };
  return { segment, form: defaults(initial, zod4(segmentFormSchema)) };
}) satisfies PageLoad;
