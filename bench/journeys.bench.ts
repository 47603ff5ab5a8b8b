import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import autocannon from 'autocannon';
import { createApiKeys } from '../api/auth/api-keys.ts';
import { activityDeps } from '../activities/settings.ts';
import { journeyKinds } from '../domain/journeys/definitions.ts';
import { parseConfig } from '../platform/config.ts';
import type { Db } from '../platform/db.ts';
import { freePort } from '../platform/processes.ts';
import { ALL_DAY } from '../platform/testing/sendable-campaign.ts';
import { findTemporalCli } from '../temporal/cli.ts';
import { connectTemporalClient } from '../temporal/client.ts';
import { startDevServer } from '../temporal/dev-server.ts';
import { taskQueues } from '../temporal/task-queues.ts';
import { startWorkers } from '../temporal/worker.ts';
import { journeyEventSignal, journeyWorkflowTypes } from '../workflows/journey-messages.ts';
import type { JourneysApiInput } from './journeys-api-server.ts';
import type { Benchmark } from './types.ts';

/**
 * `npm run bench -- journeys [--customers 2000] [--rate 1000] [--duration 10] [--connections 50]`
 *
 * `POST /api/events` under load on loopback: the production API in a child process
 * (bench/journeys-api-server.ts) with a real Temporal dev server, autocannon here sending
 * `signup` events at `rate` a second for `duration` seconds, spread over `customers` customers
 * (several events each: bursts), one in 20 repeating an earlier eventId.
 * - Baseline, in the same run: the same endpoint and load with every journey switched off (the
 *   event is authenticated, validated, resolved and stored, and starts nothing).
 * - Journeys on: each event signal-with-starts the customer's welcome journey.
 * Then as fast as it goes (no rate), both ways. Afterwards, with workers started only then (so
 * they do not share the CPU with the load), every journey sends its day-0 message, and the
 * counts are checked: one journey run and one workflow per customer, one stored event per
 * eventId, one ledger row and one provider message per journey.
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
    },
    strict: true,
  });
  const whole = (name: string, value: string | undefined, fallback: number) => {
    const n = value === undefined ? fallback : Number(value);
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`--${name} must be a whole number ≥ 1`);
    return n;
  };
  return {
    customers: whole('customers', values.customers, 2_000),
    rate: whole('rate', values.rate, 1_000),
    duration: whole('duration', values.duration, 10),
    connections: whole('connections', values.connections, 50),
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
}

function startApi(input: JourneysApiInput): Promise<{ child: ChildProcess; url: string }> {
  const script = fileURLToPath(new URL('./journeys-api-server.ts', import.meta.url));
  const child = fork(script, [], { stdio: ['ignore', 'ignore', 2, 'ipc'], execArgv: process.execArgv });
  return new Promise((resolve, reject) => {
    child.once('message', (ready) => resolve({ child, url: (ready as { url: string }).url }));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the API process exited with ${code}`)));
    child.send(input);
  });
}

/** Events for autocannon: unique ids, customers in turn, one in 20 the one before it sent again. */
function eventStream(label: string, customers: number) {
  let n = 0;
  let previous = '';
  const sent = new Set<string>();
  return {
    sent,
    next(): string {
      n++;
      // A retry the endpoint must answer `duplicate` (or, while the first is in flight, store once).
      if (n % 20 === 0) return previous;
      const eventId = `${label}-${n}`;
      sent.add(eventId);
      previous = JSON.stringify({
        type: 'signup',
        eventId,
        customerId: `B-${((n * 7919) % customers) + 1}`,
        occurredAt: new Date().toISOString(),
        properties: { source: 'bench' },
      });
      return previous;
    },
  };
}

async function load(url: string, key: string, label: string, o: ReturnType<typeof options>, rate?: number) {
  const events = eventStream(label, o.customers);
  const outcomes: Record<string, number> = {};
  const r = await autocannon({
    url: `${url}/api/events`,
    connections: o.connections,
    duration: o.duration,
    ...(rate ? { overallRate: rate } : {}),
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        setupRequest: (req) => ({ ...req, body: events.next() }),
        onResponse: (status, body) => {
          const outcome = status === 202 ? (JSON.parse(body) as { outcome: string }).outcome : `http_${status}`;
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        },
      },
    ],
  });
  return {
    figures: {
      perSecond: Math.round(r.requests.total / o.duration),
      p50ms: r.latency.p50,
      p99ms: r.latency.p99,
      maxMs: r.latency.max,
      requests: r.requests.total,
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

/**
 * Temporal's own ceiling on this machine: signal-with-starts straight from a client, `concurrency`
 * at a time for `seconds`, no HTTP and no database. On a queue no worker polls: they never run.
 */
async function signalWithStartCeiling(client: Client, seconds: number, concurrency: number) {
  let done = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      for (let i = 0; performance.now() < until; i++) {
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

const bench: Benchmark = async (ctx) => {
  const o = options(ctx.args);
  const db = await ctx.db();
  await seedCustomers(db, o.customers);
  const cli = findTemporalCli(process.env.TEMPORAL_CLI_PATH || undefined);
  if (!cli) throw new Error('No Temporal CLI found; run `npm run temporal:install`.');
  const server = await startDevServer({
    cliPath: cli.path,
    namespace: NAMESPACE,
    port: await freePort(),
    uiPort: false,
    log: ctx.log,
  });
  const temporal = await connectTemporalClient(server.address, NAMESPACE);
  const queues = taskQueues('journeys-bench');
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'error',
    AUTH_SECRET: 'bench-auth-secret-that-is-long-enough-for-hs256',
    UNSUBSCRIBE_SECRET: 'bench-unsubscribe-secret-long-enough-0123456789',
    STORE_TIME_ZONE: 'America/Chicago',
    SEND_HOURS: ALL_DAY,
    FREQUENCY_CAP: '100/1',
  };
  const connection = db.client.config.connection as { connectionString: string };
  const api = await startApi({
    databaseUrl: connection.connectionString,
    temporalAddress: server.address,
    namespace: NAMESPACE,
    queues,
    env,
  });
  try {
    const key = (await createApiKeys(db).create({ name: 'bench', role: 'manager', scopes: ['events'] })).key;

    // A short warm-up of each path (JIT, pools, the namespace's first workflows) with its own ids.
    await switchJourneys(db, false);
    await load(api.url, key, 'warm-off', { ...o, duration: 2 }, o.rate);
    const baseline = await load(api.url, key, 'off', o, o.rate);
    await settled(db);
    const baselineMax = await load(api.url, key, 'off-max', o);
    await settled(db);

    await switchJourneys(db, true);
    const journeys = await load(api.url, key, 'on', o, o.rate);
    await settled(db);
    const journeysMax = await load(api.url, key, 'on-max', o);
    await settled(db);
    const ceiling = await signalWithStartCeiling(temporal.client, o.duration, o.connections);

    // Everything stored once, one journey per customer that had an event while they were on.
    const eventIds = new Set([...journeys.eventIds, ...journeysMax.eventIds]);
    const stored = Number((await db('customer_events').whereLike('event_id', 'on-%').count({ n: '*' }).first())!.n);
    const customersWithEvents = Number(
      (await db('customer_events').whereLike('event_id', 'on-%').countDistinct({ n: 'customer_id' }).first())!.n,
    );
    const runs = Number((await db('journey_runs').count({ n: '*' }).first())!.n);
    // As stored with the events. Two copies of one event in flight at once both reach Temporal
    // (one starts, one signals) and one of them is stored: this may fall short of the runs.
    const startedAnswers = Number(
      (await db('customer_events')
        .whereLike('event_id', 'on-%')
        .whereRaw(`outcome @> '[{"outcome": "started"}]'`)
        .count({ n: '*' })
        .first())!.n,
    );
    const workflows = await until(
      async () =>
        (
          await temporal.client.workflow.count(
            `WorkflowType = "welcomeJourneyWorkflow" AND TaskQueue = "${queues.workflows}"`,
          )
        ).count,
      (n) => n >= runs,
      30_000,
    );

    // Now the workers: every journey sends its day-0 message, once.
    const cfg = parseConfig(env);
    const workers = await startWorkers({
      address: server.address,
      namespace: NAMESPACE,
      queues,
      deps: activityDeps(cfg, db, ctx.log),
      kinds: ['workflows', 'sends'],
    });
    const drainStarted = performance.now();
    const ledgerRows = await until(
      async () =>
        Number((await db('sends').where({ journey_step: 0 }).whereNotNull('sent_at').count({ n: '*' }).first())!.n),
      (n) => n >= runs,
      300_000,
    );
    const drainSeconds = (performance.now() - drainStarted) / 1000;
    await workers.shutdown();
    const rows = Number((await db('sends').whereNotNull('journey_run_id').count({ n: '*' }).first())!.n);
    const outbox = await db('outbox')
      .join('sends', 'sends.id', 'outbox.send_id')
      .whereNotNull('sends.journey_run_id')
      .select(db.raw('count(*)::int as n'), db.raw('count(distinct outbox.send_id)::int as distinct_sends'))
      .first();

    return {
      customers: o.customers,
      targetRate: o.rate,
      durationSeconds: o.duration,
      connections: o.connections,
      baselineJourneysOff: baseline.figures,
      journeysOn: journeys.figures,
      ratioAtRate: Math.round((journeys.figures.perSecond / baseline.figures.perSecond) * 100) / 100,
      maxBaselineJourneysOff: baselineMax.figures,
      maxJourneysOn: journeysMax.figures,
      ratioMax: Math.round((journeysMax.figures.perSecond / baselineMax.figures.perSecond) * 100) / 100,
      temporalSignalWithStartCeiling: ceiling,
      checks: {
        distinctEventIdsSent: eventIds.size,
        eventsStored: stored,
        customersWithEvents,
        journeyRuns: runs,
        startedAnswers,
        welcomeWorkflows: workflows,
        dayZeroSendsRecorded: ledgerRows,
        journeyLedgerRows: rows,
        outboxMessages: outbox.n,
        outboxDistinctSends: outbox.distinct_sends,
        drainSeconds: Math.round(drainSeconds * 10) / 10,
        nothingDuplicated:
          stored <= eventIds.size &&
          runs === customersWithEvents &&
          workflows === runs &&
          rows === runs &&
          outbox.n === outbox.distinct_sends,
      },
    };
  } finally {
    api.child.send('stop');
    await new Promise((r) => api.child.once('exit', r));
    await temporal.close();
    await server.stop();
  }
};

export default bench;
