import { api } from '$lib/client.ts';
import { customersApiQuery, filtersFromUrl } from '$lib/customers/filters.ts';
import type { CustomerPage, Segment } from '$lib/types.ts';
import type { PageLoad } from './$types';

export const load = (async ({ url }) => {
  const filters = filtersFromUrl(url.searchParams);
  const [page, segments] = await Promise.all([
    api.get<CustomerPage>('/api/customers', { query: customersApiQuery(filters) }),
    api.get<{ items: Segment[] }>('/api/segments'),
  ]);
  return { filters, page, segments: segments.items };
}) satisfies PageLoad;
