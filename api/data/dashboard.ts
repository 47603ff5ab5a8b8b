import type { Db } from '../../platform/db.ts';

/**
 * The figures on the marketer's dashboard, read straight from the campaign, send, event and
 * segment tables. Rates are over the sends of the last `days` days; "today" is the store's day.
 */
export interface Dashboard {
  activeCampaigns: { id: string; name: string; status: string; startsOn: string; sends: number }[];
  sendsToday: number;
  period: { days: number; sent: number; delivered: number; opened: number; clicked: number; failed: number };
  rates: { delivery: number | null; open: number | null; click: number | null };
  revenueAttributed: { amount: number; orders: number };
  segments: { key: string; name: string; customers: number }[];
  recentFailures: {
    id: string;
    campaignId: string | null;
    campaign: string | null;
    channel: 'email' | 'sms';
    status: string;
    error: string | null;
    at: string;
  }[];
}

// Sends that reached the provider: a skipped or pending send is not part of any rate.
const reachedProvider = ['sent', 'delivered', 'failed', 'bounced', 'complained'];
const failedStatuses = ['failed', 'bounced', 'complained'];

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : null);

export async function getDashboard(db: Db, opts: { timeZone: string; days: number }): Promise<Dashboard> {
  const since = db.raw(`now() - make_interval(days => ?)`, [opts.days]);
  const [active, today, period, revenue, segments, failures] = await Promise.all([
    db('campaigns as k')
      .whereIn('k.status', ['scheduled', 'active', 'paused'])
      .select(
        'k.id',
        'k.name',
        'k.status',
        db.raw(`to_char(k.starts_on, 'YYYY-MM-DD') as "startsOn"`),
        db.raw('(select count(*)::int from sends d where d.campaign_id = k.id and d.sent_at is not null) as sends'),
      )
      .orderBy('k.starts_on', 'desc')
      .limit(20),
    db('sends')
      .where(
        'sent_at',
        '>=',
        db.raw(`date_trunc('day', now() at time zone ?) at time zone ?`, [opts.timeZone, opts.timeZone]),
      )
      .count<{ n: string }[]>({ n: '*' }),
    db('sends')
      .whereIn('status', reachedProvider)
      .andWhere((w) =>
        w.where('sent_at', '>=', since).orWhere((x) => x.whereNull('sent_at').andWhere('failed_at', '>=', since)),
      )
      .select(
        db.raw('count(*)::int as attempted'),
        db.raw('count(sent_at)::int as sent'),
        db.raw('count(delivered_at)::int as delivered'),
        db.raw('count(opened_at)::int as opened'),
        db.raw('count(clicked_at)::int as clicked'),
        db.raw('count(*) filter (where status = any(?))::int as failed', [failedStatuses]),
      )
      .first<{ attempted: number; sent: number; delivered: number; opened: number; clicked: number; failed: number }>(),
    db('analytics_events')
      .where({ type: 'converted' })
      .andWhere('occurred_at', '>=', since)
      .select(db.raw('coalesce(sum(revenue), 0)::float8 as amount'), db.raw('count(*)::int as orders'))
      .first<{ amount: number; orders: number }>(),
    db('segments').select('key', 'name', 'customer_count as customers').orderBy('sort_order'),
    db('sends as d')
      .leftJoin('campaigns as k', 'k.id', 'd.campaign_id')
      .whereIn('d.status', failedStatuses)
      .select(
        'd.id',
        'd.campaign_id as campaignId',
        'k.name as campaign',
        'd.channel',
        'd.status',
        'd.last_error as error',
        db.raw('coalesce(d.failed_at, d.updated_at) as at'),
      )
      .orderByRaw('coalesce(d.failed_at, d.updated_at) desc')
      .limit(10),
  ]);
  const p = period ?? { attempted: 0, sent: 0, delivered: 0, opened: 0, clicked: 0, failed: 0 };
  return {
    activeCampaigns: active as Dashboard['activeCampaigns'],
    sendsToday: Number(today[0]?.n ?? 0),
    period: {
      days: opts.days,
      sent: p.sent,
      delivered: p.delivered,
      opened: p.opened,
      clicked: p.clicked,
      failed: p.failed,
    },
    rates: {
      // Delivered out of everything handed to a provider; opens and clicks out of what arrived.
      delivery: ratio(p.delivered, p.attempted),
      open: ratio(p.opened, p.delivered),
      click: ratio(p.clicked, p.delivered),
    },
    revenueAttributed: { amount: revenue?.amount ?? 0, orders: revenue?.orders ?? 0 },
    segments: (segments as { key: string; name: string; customers: number | null }[]).map((s) => ({
      ...s,
      customers: Number(s.customers ?? 0),
    })),
    recentFailures: (failures as (Dashboard['recentFailures'][number] & { at: Date })[]).map((f) => ({
      ...f,
      at: new Date(f.at).toISOString(),
    })),
  };
}
