import { eventEffect, type JourneyKind } from '../../domain/journeys/definitions.ts';
import type { Db } from '../../platform/db.ts';
import { enabledJourneys } from './journeys.ts';

/**
 * What the events API writes: accepting an event is storing it, with what it is to do to the
 * customer's journeys; the journey dispatcher (activities/journey-dispatch.ts) delivers it to
 * Temporal afterwards. A request of any size costs one statement (looking its customers up and
 * inserting), the journey switches being cached.
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
 * The one statement that accepts events: each event's customer is looked up by its reference
 * (two matches are `ambiguous`, none unknown), the events of known customers are inserted in
 * the request's order (the first of a repeated id), and the rows that already held an id come
 * back from the statement's snapshot, from before the insert.
 */
const ACCEPT = `
with input as (
  select * from jsonb_to_recordset(?::jsonb) as i(
    ord int, event_id text, type text, occurred_at timestamptz, properties jsonb,
    field text, value text, outcome jsonb, queued boolean)
),
resolved as (
  select i.*, array(
      select id from customers where i.field = 'customerId' and external_id = i.value
      union all
      select id from customers where i.field = 'email' and lower(email) = i.value
      union all
      select id from customers where i.field = 'phone' and phone = i.value
      limit 2) as ids
  from input i
),
inserted as (
  insert into customer_events (event_id, type, customer_id, occurred_at, properties, outcome, dispatched_at)
  select r.event_id, r.type, r.ids[1], r.occurred_at, r.properties, r.outcome,
         case when r.queued then null else now() end
  from resolved r
  where cardinality(r.ids) = 1
    and not exists (select 1 from resolved p
                    where p.event_id = r.event_id and p.ord < r.ord and cardinality(p.ids) = 1)
  order by r.ord
  on conflict (event_id) do nothing
  returning event_id
)
select r.ord, r.ids, r.event_id in (select event_id from inserted) as fresh,
       e.customer_id as earlier_customer_id, e.outcome as earlier_outcome
from resolved r
left join lateral (select customer_id, outcome from customer_events where event_id = r.event_id) e on true
order by r.ord`;

/**
 * Stores the events whose customer is known, in one statement whatever their number: idempotent
 * by `eventId` (a repeat, in the request or from before, answers `duplicate` with what the first
 * one did). An event with nothing to deliver is stored as dispatched, so that the dispatcher never
 * sees it.
 */
export async function acceptEvents(db: Db, events: IncomingEvent[]): Promise<AcceptedEvent[]> {
  if (events.length === 0) return [];
  const enabled = await enabledJourneys(db);
  const planned = events.map((e) => plannedJourneys(e.type, enabled));
  const input = events.map((e, ord) => ({
    ord,
    event_id: e.eventId,
    type: e.type,
    occurred_at: e.occurredAt,
    properties: e.properties,
    field: e.ref.field,
    value: e.ref.value,
    outcome: planned[ord],
    queued: planned[ord]!.some((j) => j.outcome === 'queued'),
  }));
  const { rows } = await db.raw<{
    rows: {
      ord: number;
      ids: string[];
      fresh: boolean;
      earlier_customer_id: string | null;
      earlier_outcome: JourneyOutcome[] | null;
    }[];
  }>(ACCEPT, [JSON.stringify(input)]);

  // Stored by a concurrent request after this statement's snapshot: read now that it is committed.
  const concurrent = rows.filter((r) => r.ids.length === 1 && !r.fresh && r.earlier_customer_id === null);
  const stored = new Map<string, { customerId: string; journeys: JourneyOutcome[] }>();
  if (concurrent.length > 0) {
    const found = (await db('customer_events')
      .whereIn(
        'event_id',
        concurrent.map((r) => events[r.ord]!.eventId),
      )
      .select('event_id', 'customer_id', 'outcome')) as {
      event_id: string;
      customer_id: string;
      outcome: JourneyOutcome[];
    }[];
    for (const r of found) stored.set(r.event_id, { customerId: r.customer_id, journeys: r.outcome });
  }

  const accepted = new Map<string, { customerId: string; journeys: JourneyOutcome[] }>();
  return rows.map((r): AcceptedEvent => {
    const e = events[r.ord]!;
    if (r.ids.length !== 1)
      return { status: r.ids.length === 0 ? 'unknown' : 'ambiguous', eventId: e.eventId, ref: e.ref };
    if (r.fresh && !accepted.has(e.eventId)) {
      const journeys = planned[r.ord]!;
      accepted.set(e.eventId, { customerId: r.ids[0]!, journeys });
      return {
        status: 'accepted',
        eventId: e.eventId,
        customerId: r.ids[0]!,
        outcome: overallOutcome(journeys),
        journeys,
      };
    }
    const earlier =
      accepted.get(e.eventId) ??
      (r.earlier_customer_id !== null
        ? { customerId: r.earlier_customer_id, journeys: r.earlier_outcome! }
        : stored.get(e.eventId)!);
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
