import { api } from '$lib/client.ts';
import type { ImportSummary } from '$lib/types.ts';
import type { ImportReport } from './report.ts';
import type { PageLoad } from './$types';

export const load = (async ({ url }) => {
  const reportId = url.searchParams.get('report');
  const [imports, report] = await Promise.all([
    api.get<{ items: ImportSummary[] }>('/api/imports', { query: { limit: 20 } }),
    reportId && /^[0-9a-f-]{36}$/.test(reportId)
      ? api.get<ImportReport>(`/api/imports/${reportId}`, { query: { rejections: 500 } })
      : Promise.resolve(null),
  ]);
  return { imports: imports.items, report };
}) satisfies PageLoad;
