import { api } from '$lib/client.ts';
import type { OutboxItem, OutboxMessage } from '$lib/outbox.ts';
import type { PageLoad } from './$types';

export const load = (async ({ url }) => {
  const channel = (url.searchParams.get('channel') ?? undefined) as 'email' | 'sms' | undefined;
  const to = url.searchParams.get('to') ?? undefined;
  const cursor = url.searchParams.get('cursor') ?? undefined;
  const id = url.searchParams.get('id');
  const [page, message] = await Promise.all([
    api.get<{ items: OutboxItem[]; nextCursor: string | null }>('/api/outbox', {
      query: { channel, to, cursor, limit: 30 },
    }),
    id ? api.get<OutboxMessage>(`/api/outbox/${id}`) : Promise.resolve(undefined),
  ]);
  const selected =
    message ?? (page.items[0] ? await api.get<OutboxMessage>(`/api/outbox/${page.items[0].id}`) : undefined);
  return { channel, to, cursor, page, selected };
}) satisfies PageLoad;
