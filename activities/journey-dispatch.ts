import { setTimeout as sleep } from 'node:timers/promises';
import { Context, heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { eventEffect, type JourneyKind } from '../domain/journeys/definitions.ts';
import type { Db } from '../platform/db.ts';
import { signalJourney, signalWithStartJourney } from '../temporal/journey-starts.ts';

/**
 * The journey dispatcher: delivers the events the API accepted (stored in `customer_events`, not
 * yet `dispatched_at`) to their journeys in Temporal, so that accepting an event costs an insert
 * and not a round trip to Temporal.
 *
 * A batch is claimed `FOR UPDATE SKIP LOCKED` inside a transaction that lasts as long as its
 * delivery: a dispatcher that dies mid-batch leaves its rows to the next one (the transaction
 * rolls back), and two dispatchers never deliver the same event at once. Delivery is
 * effectively once: a journey starts once per customer and kind (its workflow id) and its start
 * is announced once (`journey_runs`); only a crash after delivery and before the commit delivers
 * again, which signals the running journey a second time with the same event (harmless: the
 * journey keeps a flag, not a count). A customer's events are delivered in the order received,
 * different customers' concurrently. Temporal down: the batch's events are held back with a
 * growing delay (`dispatch_after`) and tried again, never dropped.
 */

export interface DispatchTarget {
  /** Journeys run on the workflows queue; their messages go out on the sends queue. */
  workflowsTaskQueue: string;
  sendsTaskQueue?: string;
}

export interface DispatchOptions {
  batchSize?: number;
  /** Customers delivered to at once: about what the Temporal frontend takes before it queues. */
  concurrency?: number;
  /**
   * Called after each event delivered or held back: the activity heartbeats then, so that a batch
   * slowed by Temporal is not taken for a dead worker and run a second time alongside.
   */
  onProgress?: () => void;
}

export interface DispatchedBatch {
  claimed: number;
  dispatched: number;
  failed: number;
  /** Accept → delivered, per event delivered (ms). */
  lagMs: number[];
}

interface Outcome {
  journey: JourneyKind;
  outcome: 'queued' | 'started' | 'signalled' | 'ignored';
  workflowId?: string;
  reason?: string;
}

interface Claimed {
  id: string;
  event_id: string;
  type: string;
  customer_id: string;
  occurred_at: Date;
  outcome: Outcome[];
  dispatch_attempts: number;
  received_at: Date;
}

const MAX_BACKOFF_MS = 60_000;

/** Delivers one batch of waiting events; what it claimed, delivered and held back. */
export async function dispatchJourneyEventBatch(
  db: Db,
  client: Client,
  target: DispatchTarget,
  opts: DispatchOptions = {},
): Promise<DispatchedBatch> {
  const batchSize = opts.batchSize ?? 200;
  const concurrency = opts.concurrency ?? 32;
  return db.transaction(async (trx) => {
    const { rows } = await trx.raw<{ rows: Claimed[] }>(
      `select id, event_id, type, customer_id, occurred_at, outcome, dispatch_attempts, received_at
       from customer_events
       where dispatched_at is null and (dispatch_after is null or dispatch_after <= now())
       order by seq
       limit ?
       for update skip locked`,
      [batchSize],
    );
    if (rows.length === 0) return { claimed: 0, dispatched: 0, failed: 0, lagMs: [] };

    const byCustomer = new Map<string, Claimed[]>();
    for (const r of rows) byCustomer.set(r.customer_id, [...(byCustomer.get(r.customer_id) ?? []), r]);
    const done: { id: string; outcome: Outcome[] }[] = [];
    const held: { id: string; outcome: Outcome[]; error: string | null; attempt: boolean; delay: number }[] = [];
    const delayAfter = (attempts: number) => Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** attempts) / 1000;

    /** False when Temporal refused a delivery: the event is held back. */
    const deliver = async (r: Claimed): Promise<boolean> => {
      const effect = eventEffect(r.type);
      const event = { type: r.type, eventId: r.event_id, occurredAt: r.occurred_at.toISOString() };
      const errors: unknown[] = [];
      // Each journey's delivery is kept as it succeeds: a retry delivers only what is left.
      const outcome = await Promise.all(
        r.outcome.map(async (o): Promise<Outcome> => {
          if (o.outcome !== 'queued') return o;
          try {
            if (effect.starts.includes(o.journey)) {
              const s = await signalWithStartJourney(client, db, {
                journey: o.journey,
                customerId: r.customer_id,
                trigger: 'event',
                event,
                taskQueue: target.workflowsTaskQueue,
                ...(target.sendsTaskQueue ? { sendsTaskQueue: target.sendsTaskQueue } : {}),
              });
              return { journey: o.journey, outcome: s.outcome, workflowId: s.workflowId };
            }
            return (await signalJourney(client, o.journey, r.customer_id, event))
              ? { journey: o.journey, outcome: 'signalled' }
              : { journey: o.journey, outcome: 'ignored', reason: 'not running' };
          } catch (err) {
            errors.push(err);
            return o;
          }
        }),
      );
      opts.onProgress?.();
      if (errors.length === 0) {
        done.push({ id: r.id, outcome });
        return true;
      }
      const error = String((errors[0] as Error).message ?? errors[0]).slice(0, 500);
      held.push({ id: r.id, outcome, error, attempt: true, delay: delayAfter(r.dispatch_attempts) });
      return false;
    };

    const chains = [...byCustomer.values()];
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, chains.length) }, async () => {
        while (next < chains.length) {
          const chain = chains[next++]!;
          for (const [i, r] of chain.entries()) {
            if (!(await deliver(r))) {
              // The customer's later events wait as long: a purchase is never told before its cart.
              for (const later of chain.slice(i + 1)) {
                const delay = delayAfter(r.dispatch_attempts);
                held.push({ id: later.id, outcome: later.outcome, error: null, attempt: false, delay });
              }
              break;
            }
          }
        }
      }),
    );

    let lagMs: number[] = [];
    if (done.length > 0) {
      const updated = await trx.raw<{ rows: { lag_ms: number }[] }>(
        `update customer_events e set dispatched_at = now(), outcome = v.outcome, dispatch_error = null
         from jsonb_to_recordset(?::jsonb) as v(id uuid, outcome jsonb)
         where e.id = v.id
         returning (extract(epoch from now() - e.received_at) * 1000)::float8 as lag_ms`,
        [JSON.stringify(done)],
      );
      lagMs = updated.rows.map((r) => r.lag_ms);
    }
    if (held.length > 0) {
      await trx.raw(
        `update customer_events e
         set outcome = v.outcome,
             dispatch_attempts = e.dispatch_attempts + case when v.attempt then 1 else 0 end,
             dispatch_error = coalesce(v.error, e.dispatch_error),
             dispatch_after = now() + make_interval(secs => v.delay)
         from jsonb_to_recordset(?::jsonb) as v(id uuid, outcome jsonb, error text, attempt boolean, delay float8)
         where e.id = v.id`,
        [JSON.stringify(held)],
      );
    }
    return { claimed: rows.length, dispatched: done.length, failed: held.length, lagMs };
  });
}

export interface DispatchRunInput extends DispatchTarget {
  /** The activity returns after this long, so that its workflow's history stays short. */
  runForMs?: number;
  /** How long to wait when the queue is empty before looking again. */
  idleMs?: number;
}

export interface DispatchTotals {
  batches: number;
  dispatched: number;
  failed: number;
  maxLagMs: number;
}

export function createJourneyDispatchActivities({ db, stopping }: { db: Db; stopping?: AbortSignal }) {
  return {
    /**
     * Delivers waiting events until its time is up or the worker shuts down, looking again every
     * `idleMs` when there is nothing to deliver. It polls rather than LISTENs: a NOTIFY on each
     * accepted event would take PostgreSQL's global notify lock at every commit of the API's
     * inserts, and an idle look is one probe of a partial index holding only waiting events.
     */
    async dispatchJourneyEvents(input: DispatchRunInput): Promise<DispatchTotals> {
      const ctx = Context.current();
      // Its own cancellation, or the worker's shutdown: either ends the run (the workflow runs it again elsewhere).
      const stop = stopping ? AbortSignal.any([ctx.cancellationSignal, stopping]) : ctx.cancellationSignal;
      const until = Date.now() + (input.runForMs ?? 5 * 60_000);
      const idleMs = input.idleMs ?? 200;
      const totals: DispatchTotals = { batches: 0, dispatched: 0, failed: 0, maxLagMs: 0 };
      while (Date.now() < until && !stop.aborted) {
        const batch = await dispatchJourneyEventBatch(db, ctx.client, input, { onProgress: () => heartbeat(totals) });
        if (batch.claimed > 0) {
          totals.batches++;
          totals.dispatched += batch.dispatched;
          totals.failed += batch.failed;
          const lag = Math.max(0, ...batch.lagMs);
          totals.maxLagMs = Math.max(totals.maxLagMs, lag);
          ctx.log.info('journey events dispatched', {
            dispatched: batch.dispatched,
            heldBack: batch.failed,
            maxLagMs: Math.round(lag),
          });
        }
        heartbeat(totals);
        // A full batch means more are waiting; otherwise wait for new ones (or for held-back ones to come due).
        if (batch.claimed === 0 || batch.failed > 0) {
          await sleep(idleMs, undefined, { signal: stop }).catch(() => undefined);
        }
      }
      return totals;
    },
  };
}
