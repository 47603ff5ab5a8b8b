import { eventEffect, type JourneyKind } from '../../domain/journeys/definitions.ts';
import type { Db } from '../../platform/db.ts';
import { enabledJourneys } from './journeys.ts';

/**
 * What the events API writes: accepting an event is storing it, with what it is to do to the
 * customer's journeys; the journey dispatcher (activities/journey-dispatch.ts) delivers it to
 * Temporal afterwards. A request of any size costs one customer lookup and one insert.
 */

export type CustomerField = 'customerId' | 'email' | 'phone';

/** An event as the API read it: validated, its customer reference normalised. */
export interface IncomingEvent {
  eventId: string;
  type: string;
  occurredAt: string;
  properties: Record<string, unknown>;
  ref: { field: CustomerField; value: string };
}

/** What an event does, or is to do, to one journey. `queued`: the dispatcher has yet to deliver it. */
export interface JourneyOutcome {
  journey: JourneyKind;
  outcome: 'queued' | 'started' | 'signalled' | 'ignored';
  workflowId?: string;
  reason?: string;
}

export type AcceptedEvent =
  | {
      status: 'accepted' | 'duplicate';
      eventId: string;
      customerId: string;
      outcome: 'queued' | 'started' | 'signalled' | 'ignored' | 'duplicate';
      journeys: JourneyOutcome[];
    }
  | { status: 'unknown' | 'ambiguous'; eventId: string; ref: IncomingEvent['ref'] };

const column: Record<CustomerField, string> = { customerId: 'external_id', email: 'lower(email)', phone: 'phone' };

/**
 * The customers the events name, in one query, by `refKey`: a reference matching two customers
 * is `ambiguous`, one matching none is missing.
 */
export async function resolveCustomers(
  db: Db,
  refs: IncomingEvent['ref'][],
): Promise<Map<string, string | 'ambiguous'>> {
  const parts: string[] = [];
  const bindings: unknown[] = [];
  for (const field of ['customerId', 'email', 'phone'] as const) {
    const values = [...new Set(refs.filter((r) => r.field === field).map((r) => r.value))];
    if (values.length === 0) continue;
    parts.push(
      `select ?::text as field, ${column[field]} as value, (array_agg(id))[1:2] as ids
       from customers where ${column[field]} = any(?::text[]) group by ${column[field]}`,
    );
    bindings.push(field, values);
  }
  const found = new Map<string, string | 'ambiguous'>();
  if (parts.length === 0) return found;
  const { rows } = await db.raw<{ rows: { field: string; value: string; ids: string[] }[] }>(
    parts.join(' union all '),
    bindings as never,
  );
  for (const r of rows) {
    found.set(refKey({ field: r.field as CustomerField, value: r.value }), r.ids.length > 1 ? 'ambiguous' : r.ids[0]!);
  }
  return found;
}

export function refKey(ref: IncomingEvent['ref']): string {
  return `${ref.field}\u0000${ref.value}`;
}

/** At acceptance: the journeys an event of `type` starts or tells, queued unless switched off. */
export function plannedJourneys(type: string, enabled: ReadonlySet<JourneyKind>): JourneyOutcome[] {
  const effect = eventEffect(type);
  return [
    ...effect.starts.map((journey): JourneyOutcome =>
      enabled.has(journey) ? { journey, outcome: 'queued' } : { journey, outcome: 'ignored', reason: 'switched off' },
    ),
    // A running journey hears of the event even when new ones are switched off: a purchase still ends it.
    ...effect.signals.map((journey): JourneyOutcome => ({ journey, outcome: 'queued' })),
  ];
}

/** The answer's summary of what an event did or is to do. */
export function overallOutcome(journeys: JourneyOutcome[]): 'queued' | 'started' | 'signalled' | 'ignored' {
  for (const o of ['queued', 'started', 'signalled'] as const) if (journeys.some((j) => j.outcome === o)) return o;
  return 'ignored';
}

/**
 * Stores the events whose customer is known, in one insert: idempotent by `eventId` (a repeat,
 * in the request or from before, answers `duplicate` with what the first one did). An event
 * with nothing to deliver is stored as dispatched, so that the dispatcher never sees it.
 */
export async function acceptEvents(db: Db, events: IncomingEvent[]): Promise<AcceptedEvent[]> {
  if (events.length === 0) return [];
  const [customers, enabled] = await Promise.all([
    resolveCustomers(
      db,
      events.map((e) => e.ref),
    ),
    enabledJourneys(db),
  ]);
  const rows = new Map<string, { customerId: string; journeys: JourneyOutcome[] }>();
  for (const e of events) {
    const customerId = customers.get(refKey(e.ref));
    if (customerId === undefined || customerId === 'ambiguous' || rows.has(e.eventId)) continue;
    rows.set(e.eventId, { customerId, journeys: plannedJourneys(e.type, enabled) });
  }
  const byId = new Map(events.map((e) => [e.eventId, e]));
  const fresh = new Set<string>();
  if (rows.size > 0) {
    const inserted = (await db('customer_events')
      .insert(
        [...rows].map(([eventId, r]) => {
          const e = byId.get(eventId)!;
          return {
            event_id: eventId,
            type: e.type,
            customer_id: r.customerId,
            occurred_at: e.occurredAt,
            properties: JSON.stringify(e.properties),
            outcome: JSON.stringify(r.journeys),
            dispatched_at: r.journeys.some((j) => j.outcome === 'queued') ? null : db.fn.now(),
          };
        }),
      )
      .onConflict('event_id')
      .ignore()
      .returning('event_id')) as { event_id: string }[];
    for (const r of inserted) fresh.add(r.event_id);
  }
  const repeats = [...rows.keys()].filter((id) => !fresh.has(id));
  const stored = new Map<string, { customerId: string; journeys: JourneyOutcome[] }>();
  if (repeats.length > 0) {
    const found = (await db('customer_events')
      .whereIn('event_id', repeats)
      .select('event_id', 'customer_id', 'outcome')) as { event_id: string; customer_id: string; outcome: unknown }[];
    for (const r of found) {
      stored.set(r.event_id, { customerId: r.customer_id, journeys: r.outcome as JourneyOutcome[] });
    }
  }

  const answered = new Set<string>();
  return events.map((e): AcceptedEvent => {
    const customerId = customers.get(refKey(e.ref));
    if (customerId === undefined || customerId === 'ambiguous') {
      return { status: customerId ?? 'unknown', eventId: e.eventId, ref: e.ref };
    }
    const first = fresh.has(e.eventId) && !answered.has(e.eventId);
    answered.add(e.eventId);
    if (first) {
      const journeys = rows.get(e.eventId)!.journeys;
      return { status: 'accepted', eventId: e.eventId, customerId, outcome: overallOutcome(journeys), journeys };
    }
    const earlier = stored.get(e.eventId) ?? rows.get(e.eventId)!;
    return {
      status: 'duplicate',
      eventId: e.eventId,
      customerId: earlier.customerId,
      outcome: 'duplicate',
      journeys: earlier.journeys,
    };
  });
}

export interface EventStatus {
  eventId: string;
  type: string;
  customerId: string;
  occurredAt: Date;
  receivedAt: Date;
  dispatchedAt: Date | null;
  /** Accepted → delivered to its journeys (ms); while it waits, how long it has waited. */
  lagMs: number;
  journeys: JourneyOutcome[];
  attempts: number;
  nextAttemptAt: Date | null;
  error: string | null;
}

/** What became of an accepted event: delivered or waiting, and how long it took or has taken. */
export async function eventStatus(db: Db, eventId: string): Promise<EventStatus | undefined> {
  const row = (await db('customer_events')
    .where({ event_id: eventId })
    .first(
      'event_id',
      'type',
      'customer_id',
      'occurred_at',
      'received_at',
      'dispatched_at',
      'outcome',
      'dispatch_attempts',
      'dispatch_after',
      'dispatch_error',
      db.raw('(extract(epoch from coalesce(dispatched_at, now()) - received_at) * 1000)::float8 as lag_ms'),
    )) as
    | {
        event_id: string;
        type: string;
        customer_id: string;
        occurred_at: Date;
        received_at: Date;
        dispatched_at: Date | null;
        outcome: JourneyOutcome[];
        dispatch_attempts: number;
        dispatch_after: Date | null;
        dispatch_error: string | null;
        lag_ms: number;
      }
    | undefined;
  return (
    row && {
      eventId: row.event_id,
      type: row.type,
      customerId: row.customer_id,
      occurredAt: row.occurred_at,
      receivedAt: row.received_at,
      dispatchedAt: row.dispatched_at,
      lagMs: Math.round(row.lag_ms),
      journeys: row.outcome,
      attempts: row.dispatch_attempts,
      nextAttemptAt: row.dispatched_at ? null : row.dispatch_after,
      error: row.dispatched_at ? null : row.dispatch_error,
    }
  );
}
