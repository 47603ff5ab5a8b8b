import { fork as forkProcess, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import autocannon from 'autocannon';
import { createApiKeys } from '../api/auth/api-keys.ts';
import { JOURNEY_SWITCHES_TTL_MS } from '../api/data/journeys.ts';
import { journeyKinds } from '../domain/journeys/definitions.ts';
import type { Db } from '../platform/db.ts';
import { ALL_DAY } from '../platform/testing/sendable-campaign.ts';
import { taskQueues } from '../temporal/task-queues.ts';
import { journeyEventSignal, journeyWorkflowTypes } from '../workflows/journey-messages.ts';
import type { JourneysApiInput } from './journeys-api-server.ts';
import type { JourneysDispatcherInput } from './journeys-dispatcher.ts';
import { startBenchTemporal } from './dev-temporal.ts';
import { type Benchmark, wholeArg } from './types.ts';

/**
 * `npm run bench -- journeys [--customers 2000] [--rate 1000] [--duration 10] [--connections 50]
 *   [--batch 100] [--trickle 20]`
 *
 * The events API under load on loopback: the production API in a child process
 * (bench/journeys-api-server.ts), the production journey dispatcher on a worker in another
 * (bench/journeys-dispatcher.ts), a real Temporal dev server, and autocannon here sending `signup`
 * events for `customers` customers in turn (several each: bursts), one in 20 repeating the event
 * before it. Each load lasts `duration` seconds at `connections` connections.
 * - Baseline, same run: every journey switched off (an event is authenticated, validated,
 *   resolved and stored, and queues nothing): one event per request at `rate` events/s and as
 *   fast as it goes, and `batch` events per request (`POST /api/events/batch`) as fast as it goes.
 * - Journeys on, the dispatcher delivering meanwhile: first a trickle (`trickle` events/s, under
 *   what Temporal takes) for the accept → start lag of a queue that keeps up; then `rate` events/s
 *   one per request, then `rate` events/s in batches. The queue is drained to the end: the
 *   dispatch rate into Temporal and the lag (which, above that rate, is the queue's depth).
 * - Temporal's own ceiling, same run: signal-with-starts from a client alone.
 * Checks: every event sent stored once and delivered once (Temporal's history of a sample of
 * journeys holds one signal per stored event), one journey run, one workflow and one `started`
 * per customer.
 */

const NAMESPACE = 'journeys-bench';

function options(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      customers: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      batch: { type: 'string' },
      trickle: { type: 'string' },
    },
    strict: true,
  });
  return {
    customers: wholeArg('customers', values.customers, 2_000),
    rate: wholeArg('rate', values.rate, 1_000),
    duration: wholeArg('duration', values.duration, 10),
    connections: wholeArg('connections', values.connections, 50),
    batch: wholeArg('batch', values.batch, 100),
    trickle: wholeArg('trickle', values.trickle, 20),
  };
}

async function seedCustomers(db: Db, count: number): Promise<void> {
  await db.raw('truncate customers, customer_events, journey_runs, journey_settings cascade');
  await db.raw(
    `insert into customers (external_id, email, first_name, date_of_birth, age_verified, country, time_zone)
     select 'B-' || i, 'bench-' || i || '@example.com', 'Sam', '1980-01-01', true, 'US', 'America/Chicago'
     from generate_series(1, ?) as i`,
    [count],
  );
  await db.raw(
    `insert into consents (customer_id, channel, status, source, recorded_at)
     select id, 'email', 'opted_in', 'bench', now() - interval '1 day' from customers`,
  );
}

async function switchJourneys(db: Db, enabled: boolean): Promise<void> {
  await db('journey_settings')
    .insert(journeyKinds.map((journey) => ({ journey, enabled, settings: '{}' })))
    .onConflict('journey')
    .merge(['enabled']);
  // Switched in the database, not through the API: the API process reads them again after this long.
  await new Promise((r) => setTimeout(r, JOURNEY_SWITCHES_TTL_MS + 500));
}

function fork<T>(script: string, input: object): Promise<{ child: ChildProcess; ready: T }> {
  const child = forkProcess(fileURLToPath(new URL(script, import.meta.url)), [], {
    stdio: ['ignore', 'ignore', 2, 'ipc'],
    execArgv: process.execArgv,
  });
  return new Promise((resolve, reject) => {
    child.once('message', (ready) => resolve({ child, ready: ready as T }));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    child.send(input);
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.send('stop');
  await exited;
}

/** Events for autocannon: unique ids, customers in turn, one in 20 the one before it sent again. */
function eventStream(label: string, customers: number) {
  let n = 0;
  let previous: unknown = null;
  const sent = new Set<string>();
  const next = (): unknown => {
    n++;
    // A retry the endpoint must answer `duplicate` (or, in the same batch, store once).
    if (n % 20 === 0 && previous) return previous;
    const eventId = `${label}-${n}`;
    sent.add(eventId);
    previous = {
      type: 'signup',
      eventId,
      customerId: `B-${((n * 7919) % customers) + 1}`,
      occurredAt: new Date().toISOString(),
      properties: { source: 'bench' },
    };
    return previous;
  };
  return {
    sent,
    body: (batch: number | null) =>
      JSON.stringify(batch === null ? next() : { events: Array.from({ length: batch }, next) }),
  };
}

type LoadOptions = ReturnType<typeof options>;

/** One load: `rate` events a second (as fast as it goes without), one per request or `batch` per request. */
async function load(url: string, key: string, label: string, o: LoadOptions, how: { rate?: number; batch?: number }) {
  const events = eventStream(label, o.customers);
  const batch = how.batch ?? null;
  const outcomes: Record<string, number> = {};
  const count = (outcome: string, n = 1) => (outcomes[outcome] = (outcomes[outcome] ?? 0) + n);
  const r = await autocannon({
    url: `${url}/api/events${batch === null ? '' : '/batch'}`,
    connections: o.connections,
    duration: o.duration,
    ...(how.rate ? { overallRate: Math.max(1, Math.round(how.rate / (batch ?? 1))) } : {}),
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        setupRequest: (req) => ({ ...req, body: events.body(batch) }),
        onResponse: (status, body) => {
          if (status !== 202) return void count(`http_${status}`);
          if (batch === null) return void count((JSON.parse(body) as { outcome: string }).outcome);
          for (const item of (JSON.parse(body) as { results: { status: string; outcome?: string }[] }).results) {
            count(item.status === 'accepted' ? item.outcome! : item.status);
          }
        },
      },
    ],
  });
  const eventsAnswered = Object.entries(outcomes)
    .filter(([k]) => !k.startsWith('http_'))
    .reduce((sum, [, n]) => sum + n, 0);
  return {
    figures: {
      eventsPerSecond: Math.round(eventsAnswered / o.duration),
      requestsPerSecond: Math.round(r.requests.total / o.duration),
      eventsPerRequest: batch ?? 1,
      p50ms: r.latency.p50,
      p99ms: r.latency.p99,
      maxMs: r.latency.max,
      errors: r.errors,
      timeouts: r.timeouts,
      non2xx: r.non2xx,
      outcomes,
    },
    eventIds: events.sent,
  };
}

/** Waits until the API has finished the requests still in flight when the load stopped. */
async function settled(db: Db): Promise<void> {
  let last = -1;
  for (;;) {
    const n = Number((await db('customer_events').count({ n: '*' }).first())!.n);
    if (n === last) return;
    last = n;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** Until every event whose id starts with one of `prefixes` is delivered; how long that took. */
async function drained(db: Db, prefixes: string[], timeoutMs: number): Promise<{ waiting: number; seconds: number }> {
  const started = performance.now();
  const waiting = await until(
    async () =>
      Number(
        (await db('customer_events')
          .whereNull('dispatched_at')
          .where((q) => {
            for (const p of prefixes) q.orWhereLike('event_id', `${p}-%`);
          })
          .count({ n: '*' })
          .first())!.n,
      ),
    (n) => n === 0,
    timeoutMs,
  );
  return { waiting, seconds: Math.round((performance.now() - started) / 100) / 10 };
}

/** Accept → delivered, of the events whose id starts with one of `prefixes`, and the rate they were delivered at. */
async function dispatchFigures(db: Db, prefixes: string[]) {
  const { rows } = await db.raw<{
    rows: { n: number; p50: number; p95: number; p99: number; max: number; window: number }[];
  }>(
    `select count(*)::int as n,
            percentile_cont(0.5) within group (order by lag) as p50,
            percentile_cont(0.95) within group (order by lag) as p95,
            percentile_cont(0.99) within group (order by lag) as p99,
            max(lag) as max,
            extract(epoch from max(dispatched_at) - min(dispatched_at))::float8 as window
     from (select dispatched_at, extract(epoch from dispatched_at - received_at)::float8 * 1000 as lag
           from customer_events where dispatched_at is not null and event_id like any(?)) e`,
    [prefixes.map((p) => `${p}-%`)],
  );
  const r = rows[0]!;
  const ms = (v: number) => Math.round(v);
  return {
    delivered: r.n,
    perSecond: r.window > 0 ? Math.round(r.n / r.window) : null,
    lagMs: { p50: ms(r.p50), p95: ms(r.p95), p99: ms(r.p99), max: ms(r.max) },
  };
}

/**
 * Temporal's own ceiling on this machine: signal-with-starts straight from a client, `concurrency`
 * at a time for `seconds`, no HTTP and no database. On a queue no worker polls: they never run.
 */
async function signalWithStartCeiling(client: Client, seconds: number, concurrency: number) {
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      for (let i = 0; performance.now() < deadline; i++) {
        await client.workflow.signalWithStart(journeyWorkflowTypes.welcome, {
          workflowId: `journey-ceiling-${lane}-${i % 200}`,
          taskQueue: 'journeys-bench-nobody-polls',
          args: [{ customerId: `ceiling-${lane}-${i % 200}`, trigger: 'event' }],
          signal: journeyEventSignal,
          signalArgs: [{ type: 'signup', eventId: `c-${lane}-${i}`, occurredAt: new Date().toISOString() }],
        });
        done++;
      }
    }),
  );
  return { perSecond: Math.round(done / seconds), calls: done, concurrency };
}

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Signals in the history of a customer's welcome journey: one per event delivered to it. */
async function signalsTo(client: Client, workflowId: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes).length;
}

const bench: Benchmark = async (ctx) => {
  const o = options(ctx.args);
  const db = await ctx.db();
  await seedCustomers(db, o.customers);
  const { server, temporal, stop: stopTemporal } = await startBenchTemporal(ctx.log, NAMESPACE);
  const journeyQueues = taskQueues('journeys-bench');
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'error',
    AUTH_SECRET: 'bench-auth-secret-that-is-long-enough-for-hs256',
    UNSUBSCRIBE_SECRET: 'bench-unsubscribe-secret-long-enough-0123456789',
    STORE_TIME_ZONE: 'America/Chicago',
    SEND_HOURS: ALL_DAY,
    FREQUENCY_CAP: '100/1',
  };
  const databaseUrl = (db.client.config.connection as { connectionString: string }).connectionString;
  const children: ChildProcess[] = [];
  try {
    const api = await fork<{ url: string }>('./journeys-api-server.ts', {
      databaseUrl,
      temporalAddress: server.address,
      namespace: NAMESPACE,
      queues: journeyQueues,
      env,
    } satisfies JourneysApiInput);
    children.push(api.child);
    const dispatcher = await fork('./journeys-dispatcher.ts', {
      databaseUrl,
      temporalAddress: server.address,
      namespace: NAMESPACE,
      dispatcherQueues: taskQueues('journeys-bench-dispatcher'),
      journeyQueues,
      env,
    } satisfies JourneysDispatcherInput);
    children.push(dispatcher.child);
    const url = api.ready.url;
    const key = (await createApiKeys(db).create({ name: 'bench', role: 'manager', scopes: ['events'] })).key;
    const loadAvg = () => os.loadavg().map((l) => Math.round(l * 10) / 10);
    const loadAverage: Record<string, number[]> = { start: loadAvg() };

    // Baseline: journeys off. A short warm-up first (JIT, pools) with ids of its own.
    await switchJourneys(db, false);
    await load(url, key, 'warm-off', { ...o, duration: 2 }, { rate: o.rate });
    await load(url, key, 'warm-off-batch', { ...o, duration: 2 }, { batch: o.batch });
    const baseline = await load(url, key, 'off', o, { rate: o.rate });
    await settled(db);
    const baselineMax = await load(url, key, 'off-max', o, {});
    await settled(db);
    const baselineBatchMax = await load(url, key, 'off-batch-max', o, { batch: o.batch });
    await settled(db);
    loadAverage.baseline = loadAvg();

    // Journeys on, the dispatcher delivering meanwhile.
    await switchJourneys(db, true);
    const trickle = await load(url, key, 'trickle', o, { rate: o.trickle, batch: undefined });
    await settled(db);
    const trickleDrain = await drained(db, ['trickle'], 120_000);
    const trickleDispatch = await dispatchFigures(db, ['trickle']);
    const single = await load(url, key, 'on', o, { rate: o.rate });
    await settled(db);
    loadAverage.singleAtRate = loadAvg();
    const batched = await load(url, key, 'on-batch', o, { rate: o.rate, batch: o.batch });
    await settled(db);
    loadAverage.batchedAtRate = loadAvg();
    const drain = await drained(db, ['on', 'on-batch'], 30 * 60_000);
    const dispatch = await dispatchFigures(db, ['on', 'on-batch']);
    loadAverage.drained = loadAvg();
    await stop(dispatcher.child);

    const ceiling = await signalWithStartCeiling(temporal.client, o.duration, o.connections);

    // Checks over every event sent while journeys were on.
    const on = ['trickle', 'on', 'on-batch'];
    const onEvents = () =>
      db('customer_events').where((q) => {
        for (const p of on) q.orWhereLike('event_id', `${p}-%`);
      });
    const sent = new Set([...trickle.eventIds, ...single.eventIds, ...batched.eventIds]);
    const stored = Number((await onEvents().count({ n: '*' }).first())!.n);
    const undelivered = Number((await onEvents().whereNull('dispatched_at').count({ n: '*' }).first())!.n);
    const customersWithEvents = Number((await onEvents().countDistinct({ n: 'customer_id' }).first())!.n);
    const runs = Number((await db('journey_runs').count({ n: '*' }).first())!.n);
    const started = Number(
      (await onEvents().whereRaw(`outcome @> '[{"outcome": "started"}]'`).count({ n: '*' }).first())!.n,
    );
    const workflows = (
      await temporal.client.workflow.count(
        `WorkflowType = "welcomeJourneyWorkflow" AND TaskQueue = "${journeyQueues.workflows}"`,
      )
    ).count;
    // Delivered once: a sample of journeys, each with as many signals as its customer has events.
    const sample = (await onEvents()
      .select('customer_id')
      .count({ n: '*' })
      .groupBy('customer_id')
      .orderByRaw('random()')
      .limit(50)) as { customer_id: string; n: string }[];
    let sampleSignalsMatch = 0;
    for (const c of sample) {
      if ((await signalsTo(temporal.client, `journey-welcome-${c.customer_id}`)) === Number(c.n)) sampleSignalsMatch++;
    }
    loadAverage.end = loadAvg();

    return {
      customers: o.customers,
      targetRate: o.rate,
      durationSeconds: o.duration,
      connections: o.connections,
      eventsPerBatch: o.batch,
      loadAverage,
      baselineJourneysOff: { atRate: baseline.figures, max: baselineMax.figures, batchedMax: baselineBatchMax.figures },
      journeysOn: {
        trickle: { accepted: trickle.figures, drainSeconds: trickleDrain.seconds, dispatch: trickleDispatch },
        atRate: single.figures,
        batchedAtRate: batched.figures,
        ratioAtRate: Math.round((single.figures.eventsPerSecond / baseline.figures.eventsPerSecond) * 100) / 100,
        drainSecondsAfterLoads: drain.seconds,
        dispatch,
      },
      temporalSignalWithStartCeiling: ceiling,
      checks: {
        distinctEventIdsSent: sent.size,
        eventsStored: stored,
        eventsUndelivered: undelivered,
        customersWithEvents,
        journeyRuns: runs,
        startedOutcomes: started,
        welcomeWorkflows: workflows,
        sampledJourneys: sample.length,
        sampledJourneysWithOneSignalPerEvent: sampleSignalsMatch,
        nothingLostOrDuplicated:
          stored === sent.size &&
          undelivered === 0 &&
          runs === customersWithEvents &&
          started === runs &&
          workflows === runs &&
          sampleSignalsMatch === sample.length,
      },
    };
  } finally {
    for (const child of children.reverse()) await stop(child);
    await stopTemporal();
  }
};

export default bench;
