import type { Knex } from 'knex';
import type { Db } from '../../platform/db.ts';

export const customerSorts = ['clv', 'churn_risk', 'total_spent', 'last_order_at', 'external_id'] as const;
export type CustomerSort = (typeof customerSorts)[number];

export interface CustomerListQuery {
  segment?: string;
  churnBand?: 'low' | 'medium' | 'high';
  clvMin?: number;
  clvMax?: number;
  nightBuyer?: boolean;
  category?: string;
  q?: string;
  sort: CustomerSort;
  order: 'asc' | 'desc';
  limit: number;
  cursor?: string;
}

const sortColumn: Record<CustomerSort, string> = {
  clv: 's.clv',
  churn_risk: 's.churn_risk',
  total_spent: 's.total_spent',
  last_order_at: 's.last_order_at',
  external_id: 'c.external_id',
};

interface Cursor {
  v: string | number | null;
  id: string;
}

export class BadCursor extends Error {
  override name = 'BadCursor';
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(raw: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString()) as Cursor;
    if (typeof c.id !== 'string' || !/^[0-9a-f-]{36}$/.test(c.id)) throw new Error();
    return c;
  } catch {
    throw new BadCursor('The cursor is not one this API returned.');
  }
}

const searchExpr =
  "(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '') || ' ' || coalesce(c.email, '') || ' ' || " +
  "coalesce(c.phone, '') || ' ' || c.external_id)";

function applyFilters(b: Knex.QueryBuilder, q: CustomerListQuery): void {
  // By id, not by the joined key: a known id lets PostgreSQL read the segment's customers in the
  // list's order from customer_scores' index instead of sorting them all.
  if (q.segment) b.where('s.segment_id', b.client.raw('(select id from segments where key = ?)', [q.segment]));
  if (q.churnBand) b.where('s.churn_band', q.churnBand);
  if (q.clvMin !== undefined) b.where('s.clv', '>=', q.clvMin);
  if (q.clvMax !== undefined) b.where('s.clv', '<=', q.clvMax);
  if (q.nightBuyer !== undefined) b.where('s.is_night_buyer', q.nightBuyer);
  if (q.category) b.where('s.primary_category', q.category);
  if (q.q) b.whereRaw(`${searchExpr} ilike ?`, [`%${q.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`]);
}

/**
 * Keyset pagination (never OFFSET): each page continues after the last row of the previous one
 * on (sort value, id), so page 1,000 costs what page 1 costs. Unscored customers sort last.
 */
export async function listCustomers(db: Db, q: CustomerListQuery) {
  const col = sortColumn[q.sort];
  const dir = q.order;
  const nulls = 'nulls last';
  const b = db('customers as c')
    .leftJoin('customer_scores as s', 's.customer_id', 'c.id')
    .leftJoin('segments as g', 'g.id', 's.segment_id')
    .select(
      'c.id',
      'c.external_id as externalId',
      'c.first_name as firstName',
      'c.last_name as lastName',
      'c.email',
      'c.phone',
      'g.key as segment',
      'g.name as segmentName',
      's.rfm_r as r',
      's.rfm_f as f',
      's.rfm_m as m',
      's.churn_risk as churnRisk',
      's.churn_band as churnBand',
      's.clv',
      's.total_spent as totalSpent',
      's.order_count as orderCount',
      's.last_order_at as lastOrderAt',
      's.is_night_buyer as nightBuyer',
      's.primary_category as primaryCategory',
      db.raw(`${col} as sort_value`),
    );
  applyFilters(b, q);
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    const cmp = dir === 'asc' ? '>' : '<';
    if (c.v === null) {
      b.whereNull(col).andWhere('c.id', cmp, c.id);
    } else {
      b.where((w) =>
        w
          .whereRaw(`${col} ${cmp} ?`, [c.v])
          .orWhere((x) => x.whereRaw(`${col} = ?`, [c.v]).andWhere('c.id', cmp, c.id))
          .orWhereNull(col),
      );
    }
  }
  b.orderByRaw(`${col} ${dir} ${nulls}, c.id ${dir}`).limit(q.limit + 1);
  const rows = (await b) as (Record<string, unknown> & { id: string; sort_value: string | number | Date | null })[];
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  const nextCursor =
    rows.length > q.limit && last
      ? encodeCursor({
          v: last.sort_value instanceof Date ? last.sort_value.toISOString() : last.sort_value,
          id: last.id,
        })
      : null;
  return { items: page.map(({ sort_value: _, ...row }) => row), nextCursor };
}

export async function countCustomers(db: Db, q: CustomerListQuery): Promise<number> {
  const b = db('customers as c')
    .leftJoin('customer_scores as s', 's.customer_id', 'c.id')
    .leftJoin('segments as g', 'g.id', 's.segment_id')
    .count({ n: '*' });
  applyFilters(b, q);
  const [row] = await b;
  return Number(row!.n);
}

export async function getCustomer(db: Db, id: string) {
  const customer = await db('customers').where({ id }).first();
  if (!customer) return undefined;
  const [scores, consents, orders, messages, fits] = await Promise.all([
    db('customer_scores as s')
      .leftJoin('segments as g', 'g.id', 's.segment_id')
      .where('s.customer_id', id)
      .select('s.*', 'g.key as segment_key', 'g.name as segment_name')
      .first(),
    db('consents').where({ customer_id: id }).orderBy('recorded_at', 'desc').limit(50),
    db('orders').where({ customer_id: id }).orderBy('ordered_at', 'desc').limit(100),
    db('sends as d')
      .leftJoin('campaigns as k', 'k.id', 'd.campaign_id')
      .where('d.customer_id', id)
      .select(
        'd.id',
        'd.channel',
        'd.status',
        'd.skip_reason',
        'd.sent_at',
        'd.delivered_at',
        'd.opened_at',
        'd.clicked_at',
        'k.name as campaign',
      )
      .orderBy('d.created_at', 'desc')
      .limit(100),
    scoresFits(db),
  ]);
  const latestConsent = (channel: string) => consents.find((c) => c.channel === channel);
  return {
    customer,
    scores,
    fits,
    consents: { email: latestConsent('email'), sms: latestConsent('sms'), history: consents },
    orders,
    messages,
  };
}

/** The model parameters the latest completed scoring run used, for explanations. */
async function scoresFits(db: Db) {
  return db('model_fits as f')
    .join('score_runs as r', 'r.id', 'f.run_id')
    .where({ 'f.used': true, 'r.status': 'completed' })
    .distinctOn('f.model')
    .select('f.model', 'f.params', 'f.log_likelihood', 'f.sample_size', 'f.time_unit', 'f.fitted_at')
    .orderBy([{ column: 'f.model' }, { column: 'f.fitted_at', order: 'desc' }]);
}
