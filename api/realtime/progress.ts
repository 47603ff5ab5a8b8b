import type { Db } from '../../platform/db.ts';
import { foldLedgerCounts, ledgerCountsNeedFolding } from '../data/campaigns.ts';
import type { CampaignProgressSnapshot, SendStatus } from './protocol.ts';

/**
 * Progress snapshots for many campaigns in two queries: the campaigns' status and the ledger
 * counts by channel and status (the counts GET /api/campaigns/:id/progress shows as `ledger`),
 * read from the few rows the database keeps as sends are written (`campaign_ledger_counts`), not
 * by counting the ledger: a sending campaign is read in every window. Unknown ids are left out.
 */
export async function campaignProgressSnapshots(db: Db, ids: string[]): Promise<Map<string, CampaignProgressSnapshot>> {
  const snapshots = new Map<string, CampaignProgressSnapshot>();
  if (ids.length === 0) return snapshots;
  const [campaigns, ledger] = await Promise.all([
    db('campaigns').whereIn('id', ids).select('id', 'status', 'last_error') as Promise<
      { id: string; status: string; last_error: string | null }[]
    >,
    db('campaign_ledger_counts')
      .whereIn('campaign_id', ids)
      .select('campaign_id', 'channel', 'status')
      .sum({ n: 'n' })
      .count({ rows: '*' })
      .max({ day: 'day' })
      .groupBy('campaign_id', 'channel', 'status') as Promise<
      {
        campaign_id: string;
        channel: 'email' | 'sms';
        status: SendStatus;
        n: string;
        rows: string;
        day: number | null;
      }[]
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
  const stored = new Map<string, { rows: number; groups: number }>();
  for (const row of ledger) {
    const s = snapshots.get(row.campaign_id);
    if (!s) continue;
    const piled = stored.get(row.campaign_id) ?? { rows: 0, groups: 0 };
    stored.set(row.campaign_id, { rows: piled.rows + Number(row.rows), groups: piled.groups + 1 });
    if (row.day !== null && (s.day === null || row.day > s.day)) s.day = row.day;
    const count = Number(row.n);
    if (count === 0) continue;
    s.ledger.push({ channel: row.channel, status: row.status, count });
    s.counts[row.status] = (s.counts[row.status] ?? 0) + count;
  }
  for (const s of snapshots.values())
    s.ledger.sort((a, b) => a.channel.localeCompare(b.channel) || a.status.localeCompare(b.status));
  for (const [id, { rows, groups }] of stored) {
    if (ledgerCountsNeedFolding(rows, groups)) await foldLedgerCounts(db, id);
  }
  return snapshots;
}
