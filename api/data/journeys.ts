import {
  journeyKinds,
  journeys,
  journeySettings,
  type JourneyKind,
  type JourneySettings,
} from '../../domain/journeys/definitions.ts';
import type { Db } from '../../platform/db.ts';

/** What the events API and the journey pages read and write. */

export interface CustomerRef {
  customerId?: string;
  email?: string;
  phone?: string;
}

/** The customer an event names (by the store's id, e-mail or phone); more than one match is none. */
export async function resolveCustomer(db: Db, ref: CustomerRef): Promise<string | 'ambiguous' | null> {
  const q = db('customers').limit(2);
  if (ref.customerId !== undefined) q.where({ external_id: ref.customerId });
  else if (ref.email !== undefined) q.whereRaw('lower(email) = ?', [ref.email]);
  else q.where({ phone: ref.phone! });
  const ids = (await q.pluck('id')) as string[];
  if (ids.length > 1) return 'ambiguous';
  return ids[0] ?? null;
}

export interface StoredEvent {
  eventId: string;
  type: string;
  customerId: string;
  outcome: unknown;
}

export async function storedEvent(db: Db, eventId: string): Promise<StoredEvent | undefined> {
  const row = await db('customer_events')
    .where({ event_id: eventId })
    .first('event_id', 'type', 'customer_id', 'outcome');
  return row && { eventId: row.event_id, type: row.type, customerId: row.customer_id, outcome: row.outcome };
}

/** Stores an event once; false when its id was stored meanwhile (a concurrent repeat). */
export async function storeEvent(
  db: Db,
  e: { eventId: string; type: string; customerId: string; occurredAt: string; properties: unknown; outcome: unknown },
): Promise<boolean> {
  const rows = await db('customer_events')
    .insert({
      event_id: e.eventId,
      type: e.type,
      customer_id: e.customerId,
      occurred_at: e.occurredAt,
      properties: JSON.stringify(e.properties),
      outcome: JSON.stringify(e.outcome),
    })
    .onConflict('event_id')
    .ignore()
    .returning('id');
  return rows.length > 0;
}

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

/** Which journeys are on; one small read per event. */
export async function enabledJourneys(db: Db): Promise<Set<JourneyKind>> {
  const off = (await db('journey_settings').where({ enabled: false }).pluck('journey')) as string[];
  return new Set(journeyKinds.filter((k) => !off.includes(k)));
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
