import { api } from '$lib/client.ts';
import { can } from '$lib/permissions.ts';
import type { ApiKeySummary, ComplianceSettings, SystemInfo, UserSummary } from '$lib/settings.ts';
import type { PageLoad } from './$types';

export const load = (async ({ parent }) => {
  const { user } = await parent();
  const admin = can(user.role, 'manageUsers');
  const [system, compliance, users, apiKeys] = await Promise.all([
    api.get<SystemInfo>('/api/system'),
    api.get<ComplianceSettings>('/api/settings/compliance'),
    admin ? api.get<{ items: UserSummary[] }>('/api/users').then((r) => r.items) : Promise.resolve(null),
    can(user.role, 'manageApiKeys')
      ? api.get<{ items: ApiKeySummary[] }>('/api/api-keys').then((r) => r.items)
      : Promise.resolve(null),
  ]);
  return { system, compliance, users, apiKeys };
}) satisfies PageLoad;
