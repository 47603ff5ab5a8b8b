import type { Db } from '../../platform/db.ts';

export interface NewCampaign {
  name: string;
  type: string;
  goal: string;
  targetSegments: string[];
  channels: ('email' | 'sms')[];
  startsOn: string;
  windowDays: number;
  audienceSize: number;
  /** Share of the audience kept uncontacted to measure lift; unset = the default (10 %). */
  holdoutShare?: number;
  timeZone: string;
  createdBy: string | null;
  idempotencyKey: string | null;
}

export class UnknownSegments extends Error {
  override name = 'UnknownSegments';
}

/**
 * Stores a draft. With an idempotency key, a repeat of the same request returns the campaign the
 * first one created (`created: false`) instead of a second campaign.
 */
export async function createCampaign(db: Db, c: NewCampaign): Promise<{ id: string; created: boolean }> {
  return db.transaction(async (trx) => {
    if (c.idempotencyKey) {
      // Serialises concurrent requests with the same key.
      await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`campaign:${c.idempotencyKey}`]);
      const existing = await trx('campaigns').where({ idempotency_key: c.idempotencyKey }).first('id');
      if (existing) return { id: existing.id as string, created: false };
    }
    const segments = c.targetSegments.length
      ? await trx('segments').whereIn('key', c.targetSegments).select('id', 'key')
      : [];
    const missing = c.targetSegments.filter((k) => !segments.some((s) => s.key === k));
    if (missing.length) throw new UnknownSegments(`Unknown segments: ${missing.join(', ')}`);
    const [row] = await trx('campaigns')
      .insert({
        name: c.name,
        type: c.type,
        goal: c.goal,
        target_segment_ids: segments.map((s) => s.id),
        channels: c.channels,
        starts_on: c.startsOn,
        window_days: c.windowDays,
        audience_size: c.audienceSize,
        holdout_share: c.holdoutShare,
        time_zone: c.timeZone,
        created_by: c.createdBy,
        idempotency_key: c.idempotencyKey,
      })
      .returning('id');
    return { id: row.id as string, created: true };
  });
}

/** Rows a campaign's ledger counts may grow to, beyond one per channel and status, before a read folds them. */
const LEDGER_MOVES_BEFORE_FOLDING = 200;

/**
 * A campaign's sends by channel and status, from the counts the database keeps as sends are
 * written (migration 20261127003200): a few rows to add up rather than the whole ledger to count.
 */
export async function ledgerCounts(db: Db, campaignId: string) {
  const rows = (await db('campaign_ledger_counts')
    .where({ campaign_id: campaignId })
    .select('channel', 'status')
    .sum({ n: 'n' })
    .count({ moves: '*' })
    .groupBy('channel', 'status')
    .orderBy(['channel', 'status'])) as { channel: string; status: string; n: string; moves: string }[];
  const stored = rows.reduce((total, r) => total + Number(r.moves), 0);
  if (ledgerCountsNeedFolding(stored, rows.length)) await foldLedgerCounts(db, campaignId);
  return rows
    .filter((r) => Number(r.n) !== 0)
    .map((r) => ({ channel: r.channel, status: r.status, count: Number(r.n) }));
}

/**
 * Replaces a campaign's count rows by one per channel and status, each keeping the latest day. Deleting
 * and re-adding happen in one statement and touch only the rows this statement sees: writers
 * appending meanwhile, and another fold of the same campaign, leave the totals right.
 */
export async function foldLedgerCounts(db: Db, campaignId: string): Promise<void> {
  await db.raw(
    `with gone as (delete from campaign_ledger_counts where campaign_id = ? returning channel, status, n, day)
     insert into campaign_ledger_counts (campaign_id, channel, status, n, day)
     select ?, channel, status, sum(n), (select max(day) from gone) from gone group by channel, status
     having sum(n) <> 0`,
    [campaignId, campaignId],
  );
}

/** Whether a campaign's count rows have piled up enough to fold: `rows` stored over `groups` channel × status pairs. */
export const ledgerCountsNeedFolding = (rows: number, groups: number) => rows > groups + LEDGER_MOVES_BEFORE_FOLDING;

/** What a campaign's progress screen polls: its status and results, and the ledger's counts. */
export async function getCampaignProgress(db: Db, id: string) {
  const [campaign, ledger] = await Promise.all([
    db('campaigns').where({ id }).first('status', 'results'),
    ledgerCounts(db, id),
  ]);
  if (!campaign) return undefined;
  return { status: campaign.status as string, ledger, results: campaign.results as unknown };
}

export async function getCampaign(db: Db, id: string) {
  const c = await db('campaigns').where({ id }).first();
  if (!c) return undefined;
  const [segments, ledger, actionCount] = await Promise.all([
    db('segments').whereIn('id', c.target_segment_ids).select('key', 'name'),
    ledgerCounts(db, id),
    db('actions').where({ campaign_id: id }).count({ n: '*' }),
  ]);
  return {
    id: c.id,
    name: c.name,
    type: c.type,
    goal: c.goal,
    status: c.status,
    targetSegments: segments,
    channels: c.channels,
    startsOn: c.starts_on,
    windowDays: c.window_days,
    audienceSize: c.audience_size,
    timeZone: c.time_zone,
    workflowId: c.workflow_id,
    planRecord: c.plan_record,
    actions: Number(actionCount[0]!.n),
    ledger,
    results: c.results,
    lastError: c.last_error,
    approvedAt: c.approved_at,
    startedAt: c.started_at,
    finishedAt: c.finished_at,
    createdAt: c.created_at,
  };
}

export async function listCampaigns(db: Db, q: { status?: string; limit: number }) {
  return db('campaigns')
    .modify((b) => {
      if (q.status) b.where({ status: q.status });
    })
    .select(
      'id',
      'name',
      'type',
      'status',
      'starts_on as startsOn',
      'audience_size as audienceSize',
      'created_at as createdAt',
    )
    .orderBy('created_at', 'desc')
    .limit(q.limit);
}

export async function listActions(db: Db, campaignId: string, q: { day?: number; limit: number; after?: string }) {
  return db('actions as a')
    .join('customers as c', 'c.id', 'a.customer_id')
    .leftJoin('customer_scores as s', 's.customer_id', 'a.customer_id')
    .leftJoin('segments as g', 'g.id', 's.segment_id')
    .where('a.campaign_id', campaignId)
    .modify((b) => {
      if (q.day !== undefined) b.where('a.day', q.day);
      if (q.after) b.where('a.id', '>', q.after);
    })
    .select(
      'a.id',
      'a.customer_id as customerId',
      'c.first_name as firstName',
      'c.last_name as lastName',
      'g.key as segment',
      'a.day',
      'a.scheduled_on as scheduledOn',
      'a.window_start as windowStart',
      'a.window_end as windowEnd',
      'a.channels',
      'a.offer',
      'a.brief',
      'a.rationale',
      'a.priority_score as priority',
      'a.status',
    )
    .orderBy('a.id')
    .limit(q.limit);
}

export async function listCampaignSends(
  db: Db,
  campaignId: string,
  q: { status?: string[]; day?: number; after?: string; limit: number },
) {
  return db('sends as s')
    .join('customers as c', 'c.id', 's.customer_id')
    .where('s.campaign_id', campaignId)
    .modify((b) => {
      if (q.status) b.whereIn('s.status', q.status);
      if (q.day !== undefined) b.where('s.day', q.day);
      if (q.after) b.where('s.id', '>', q.after);
    })
    .select(
      's.id',
      's.customer_id as customerId',
      'c.first_name as firstName',
      'c.last_name as lastName',
      's.channel',
      's.day',
      's.status',
      's.attempts',
      's.skip_reason as skipReason',
      's.last_error as lastError',
      's.fallback_of as fallbackOf',
      's.sent_at as sentAt',
      's.delivered_at as deliveredAt',
      's.opened_at as openedAt',
      's.clicked_at as clickedAt',
      's.updated_at as updatedAt',
    )
    .orderBy('s.id')
    .limit(q.limit);
}

/** Per campaign day: the actions planned and their sends by status (all channels). */
export async function campaignTimeline(db: Db, campaignId: string) {
  const [planned, sent] = await Promise.all([
    db('actions')
      .where({ campaign_id: campaignId })
      .select('day', db.raw("to_char(min(scheduled_on), 'YYYY-MM-DD') as date"), db.raw('min(send_at) as "opensAt"'))
      .count({ n: '*' })
      .groupBy('day') as Promise<{ day: number; date: string; opensAt: Date | null; n: string | number }[]>,
    db('sends')
      .where({ campaign_id: campaignId })
      .whereNotNull('day')
      .select('day', 'status')
      .count({ n: '*' })
      .groupBy('day', 'status') as Promise<{ day: number; status: string; n: string | number }[]>,
  ]);
  const days = new Map<
    number,
    { day: number; date: string | null; opensAt: Date | null; planned: number; sends: Record<string, number> }
  >();
  const dayOf = (day: number) => {
    let d = days.get(day);
    if (!d) days.set(day, (d = { day, date: null, opensAt: null, planned: 0, sends: {} }));
    return d;
  };
  for (const p of planned) Object.assign(dayOf(p.day), { date: p.date, opensAt: p.opensAt, planned: Number(p.n) });
  for (const s of sent) dayOf(s.day).sends[s.status] = Number(s.n);
  return [...days.values()].sort((a, b) => a.day - b.day);
}
