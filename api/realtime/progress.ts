import type { Db } from '../../platform/db.ts';
import type { CampaignProgressSnapshot, SendStatus } from './protocol.ts';

/**
 * Progress snapshots for many campaigns in two queries: the campaigns' status and the ledger
 * counts by channel and status (the counts GET /api/campaigns/:id/progress shows as `ledger`).
 * Unknown ids are left out.
 */
export async function campaignProgressSnapshots(db: Db, ids: string[]): Promise<Map<string, CampaignProgressSnapshot>> {
  const snapshots = new Map<string, CampaignProgressSnapshot>();
  if (ids.length === 0) return snapshots;
  const [campaigns, ledger] = await Promise.all([
    db('campaigns').whereIn('id', ids).select('id', 'status', 'last_error') as Promise<
      { id: string; status: string; last_error: string | null }[]
    >,
    db('sends')
      .whereIn('campaign_id', ids)
      .select('campaign_id', 'channel', 'status')
      .count({ n: '*' })
      .max({ day: 'day' })
      .groupBy('campaign_id', 'channel', 'status') as Promise<
      { campaign_id: string; channel: 'email' | 'sms'; status: SendStatus; n: number; day: number | null }[]
    >,
  ]);
  const at = new Date().toISOString();
  for (const c of campaigns) {
    snapshots.set(c.id, {
      campaignId: c.id,
      status: c.status,
      day: null,
      counts: {},
      ledger: [],
      lastError: c.last_error,
      at,
    });
  }
  for (const row of ledger) {
    const s = snapshots.get(row.campaign_id);
    if (!s) continue;
    const count = Number(row.n);
    s.ledger.push({ channel: row.channel, status: row.status, count });
    s.counts[row.status] = (s.counts[row.status] ?? 0) + count;
    if (row.day !== null && (s.day === null || row.day > s.day)) s.day = row.day;
  }
  return snapshots;
}
