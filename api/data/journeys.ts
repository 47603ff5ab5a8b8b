import {
  journeyKinds,
  journeys,
  journeySettings,
  type JourneyKind,
  type JourneySettings,
} from '../../domain/journeys/definitions.ts';
import type { Db } from '../../platform/db.ts';

/** What the events API and the journey pages read and write. */

export type JourneySettingsView = Record<
  JourneyKind,
  JourneySettings & { description: string; exitsOnPurchase: boolean }
>;

export async function allJourneySettings(db: Db): Promise<JourneySettingsView> {
  const rows = (await db('journey_settings').select('journey', 'enabled', 'settings')) as {
    journey: string;
    enabled: boolean;
    settings: unknown;
  }[];
  const byKind = new Map(rows.map((r) => [r.journey, r]));
  return Object.fromEntries(
    journeyKinds.map((kind) => [
      kind,
      {
        ...journeySettings(kind, byKind.get(kind)),
        description: journeys[kind].description,
        exitsOnPurchase: journeys[kind].exitsOnPurchase,
      },
    ]),
  ) as JourneySettingsView;
}

/**
 * How long a process trusts the journey switches it read. Saving settings forgets them at once in
 * the process that saved; another API process may go on for this long with the old ones, and a
 * journey started in that time ends on its own (`switched_off`) when it reads its settings.
 */
export const JOURNEY_SWITCHES_TTL_MS = 2_000;
const switches = new WeakMap<Db, { until: number; enabled: Promise<Set<JourneyKind>> }>();

/** Which journeys are on: read once per `JOURNEY_SWITCHES_TTL_MS`, not once per event. */
export function enabledJourneys(db: Db): Promise<Set<JourneyKind>> {
  const cached = switches.get(db);
  if (cached && cached.until > Date.now()) return cached.enabled;
  const enabled = (async () => {
    const off = (await db('journey_settings').where({ enabled: false }).pluck('journey')) as string[];
    return new Set(journeyKinds.filter((k) => !off.includes(k)));
  })();
  switches.set(db, { until: Date.now() + JOURNEY_SWITCHES_TTL_MS, enabled });
  enabled.catch(() => switches.delete(db));
  return enabled;
}

export async function saveJourneySettings(
  db: Db,
  changes: Partial<Record<JourneyKind, JourneySettings>>,
  userId: string | null,
): Promise<void> {
  const rows = Object.entries(changes).map(([journey, s]) => ({
    journey,
    enabled: s.enabled,
    settings: JSON.stringify({ steps: s.steps }),
    updated_by: userId,
    updated_at: db.fn.now(),
  }));
  if (rows.length === 0) return;
  await db('journey_settings').insert(rows).onConflict('journey').merge();
  switches.delete(db);
}

/** The customer page's journeys: each run with the messages it sent (or skipped, and why). */
export async function customerJourneys(db: Db, customerId: string) {
  const runs = (await db('journey_runs')
    .where({ customer_id: customerId })
    .orderBy('started_at', 'desc')
    .limit(100)
    .select('id', 'journey', 'workflow_id', 'trigger', 'status', 'exit_reason', 'started_at', 'finished_at')) as {
    id: string;
    journey: string;
    workflow_id: string;
    trigger: string;
    status: string;
    exit_reason: string | null;
    started_at: Date;
    finished_at: Date | null;
  }[];
  const sends = runs.length
    ? ((await db('sends')
        .whereIn(
          'journey_run_id',
          runs.map((r) => r.id),
        )
        .orderBy('journey_step')
        .select(
          'id',
          'journey_run_id',
          'journey_step',
          'channel',
          'status',
          'skip_reason',
          'sent_at',
          'delivered_at',
          'opened_at',
          'clicked_at',
        )) as Record<string, unknown>[])
    : [];
  return runs.map((r) => ({
    id: r.id,
    journey: r.journey,
    workflowId: r.workflow_id,
    trigger: r.trigger,
    status: r.status,
    exitReason: r.exit_reason,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    sends: sends
      .filter((s) => s.journey_run_id === r.id)
      .map((s) => ({
        id: s.id,
        step: s.journey_step,
        channel: s.channel,
        status: s.status,
        skipReason: s.skip_reason,
        sentAt: s.sent_at,
        deliveredAt: s.delivered_at,
        openedAt: s.opened_at,
        clickedAt: s.clicked_at,
      })),
  }));
}
