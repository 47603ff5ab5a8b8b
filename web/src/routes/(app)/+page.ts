import { api } from '$lib/client.ts';
import type { Dashboard } from '$lib/types.ts';
import type { PageLoad } from './$types';

export const load = (async () => ({ dashboard: await api.get<Dashboard>('/api/dashboard') })) satisfies PageLoad;
