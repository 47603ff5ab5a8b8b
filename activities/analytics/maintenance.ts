import { longestWindowMs, type AttributionWindows } from '../../domain/analytics/attribution.ts';
import type { Db } from '../../platform/db.ts';
import type { Logger } from '../../platform/logger.ts';
import { attributeOrders } from './attribution.ts';

/**
 * The daily analytics maintenance, run by a Temporal Schedule:
 *
 * - monthly partitions of `analytics_events` for this month and the next `monthsAhead`, so
 *   events land in their month and not in the default partition;
 * - retention: month partitions that end before the cut-off are dropped whole (a catalogue
 *   change, no row deletes), and any rows of that age left in the default partition deleted,
 *   as are the stage marks of sends that old; the daily rollups are kept;
 * - late attribution: orders of the last longest window that are not attributed yet, for the
 *   touches whose webhooks came in after the order.
 */

export interface AnalyticsSettings {
  retentionDays: number;
  attributionWindows: AttributionWindows;
  monthsAhead?: number;
}

export interface MaintenanceResult {
  partitionsEnsured: string[];
  partitionsDropped: string[];
  defaultRowsDeleted: number;
  /** Per-send stage marks of sends older than the retention (a late event for them counts again). */
  sendStagesPruned: number;
  ordersAttributed: number;
}

const DAY = 86_400_000;

const monthStart = (d: Date, plusMonths = 0) =>
  new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + plusMonths, 1)).toISOString().slice(0, 10);

/** Monthly partitions, with the instant each one ends (its upper bound). */
export async function eventPartitions(db: Db): Promise<{ name: string; endsAt: Date }[]> {
  const { rows } = await db.raw<{ rows: { name: string }[] }>(
    `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
     where i.inhparent = 'analytics_events'::regclass and c.relname ~ '^analytics_events_p[0-9]{6}$'
     order by c.relname`,
  );
  return rows.map(({ name }) => {
    const y = Number(name.slice(-6, -2));
    const m = Number(name.slice(-2));
    return { name, endsAt: new Date(Date.UTC(y, m, 1)) };
  });
}

export async function maintainAnalytics(
  db: Db,
  settings: AnalyticsSettings,
  now = new Date(),
  log?: Logger,
): Promise<MaintenanceResult> {
  const partitionsEnsured: string[] = [];
  for (let i = 0; i <= (settings.monthsAhead ?? 3); i++) {
    const { rows } = await db.raw<{ rows: { name: string }[] }>('select analytics_ensure_partition(?::date) as name', [
      monthStart(now, i),
    ]);
    partitionsEnsured.push(rows[0]!.name);
  }

  const cutoff = new Date(now.getTime() - settings.retentionDays * DAY);
  const partitionsDropped: string[] = [];
  for (const p of await eventPartitions(db)) {
    if (p.endsAt.getTime() > cutoff.getTime()) continue;
    // Detach first: a plain drop would lock the parent for as long as the drop takes.
    await db.raw(`alter table analytics_events detach partition ${p.name}`);
    await db.raw(`drop table ${p.name}`);
    partitionsDropped.push(p.name);
  }
  const defaultRowsDeleted = await db('analytics_events_default').where('occurred_at', '<', cutoff).delete();
  const { rowCount: sendStagesPruned } = await db.raw<{ rowCount: number }>(
    `delete from analytics_send_stages st
     where not exists (select 1 from sends s where s.id = st.send_id and s.created_at >= ?)`,
    [cutoff],
  );

  const since = new Date(now.getTime() - longestWindowMs(settings.attributionWindows) - DAY);
  const { attributed } = await attributeOrders(db, settings.attributionWindows, { orderedSince: since });
  const result = {
    partitionsEnsured,
    partitionsDropped,
    defaultRowsDeleted,
    sendStagesPruned,
    ordersAttributed: attributed,
  };
  log?.info(result, 'analytics maintenance done');
  return result;
}

export function createAnalyticsActivities(deps: { db: Db; log: Logger; analytics: AnalyticsSettings }) {
  return {
    async maintainAnalytics(): Promise<MaintenanceResult> {
      return maintainAnalytics(deps.db, deps.analytics, new Date(), deps.log);
    },
  };
}
