import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { openSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import type { ClientBase } from 'pg';
import { createApiKeys } from '../api/auth/api-keys.ts';
import { AccessTokens } from '../api/auth/tokens.ts';
import { getCampaignProgress } from '../api/data/campaigns.ts';
import { listCustomers } from '../api/data/customers.ts';
import type { Db } from '../platform/db.ts';
import { apiNodeOptions } from '../api/server.ts';
import type { ApiServerInput, ApiServerReady } from './api-server.ts';
import { bulkLoadStore } from './datagen/bulk-load.ts';
import { generateLiquorStore } from './datagen/liquor-store.ts';
import { type Benchmark, wholeArg } from './types.ts';

/**
 * `npm run bench -- api [--customers 100000] [--sends 20000] [--connections 200] [--duration 10] [--auth api-key|token]
 *                       [--warmup 3] [--rounds 3] [--keep-data]`
 *
 * HTTP load on the read routes the marketer's screens poll, against the production app in a
 * child process (bench/api-server.ts), with autocannon here:
 * - `GET /api/campaigns/:id/progress` for a campaign with `sends` ledger rows (two channels,
 *   statuses as a week of sending leaves them);
 * - `GET /api/customers` filtered by segment and churn band, sorted by CLV, page 1, over
 *   `customers` generated customers with their orders and a score each;
 * - in the same run, a bare Express JSON endpoint in the same child process: the baseline.
 * Each target gets a warm-up, then `duration` seconds at `connections` connections, `rounds`
 * times in turn. Authenticated with a real API key (read scope). The API's RSS is sampled from
 * /proc every 100 ms. The child runs with a production API process's Node flags (apiNodeOptions);
 * `API_NODE_FLAGS='…'` replaces them (empty for V8's defaults).
 */

function auth(value: string | undefined): 'api-key' | 'token' {
  if (value === undefined || value === 'api-key' || value === 'token') return value ?? 'api-key';
  throw new RangeError('--auth must be api-key or token');
}

function options(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      customers: { type: 'string' },
      sends: { type: 'string' },
      connections: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      'keep-data': { type: 'boolean' },
      auth: { type: 'string' },
    },
    strict: true,
  });
  return {
    customers: wholeArg('customers', values.customers, 100_000),
    sends: wholeArg('sends', values.sends, 20_000),
    connections: wholeArg('connections', values.connections, 200),
    duration: wholeArg('duration', values.duration, 10),
    warmup: wholeArg('warmup', values.warmup, 3, 0),
    rounds: wholeArg('rounds', values.rounds, 3),
    /** Reuse customers already in DATABASE_URL's database instead of emptying and loading. */
    keepData: values['keep-data'] ?? false,
    /** `api-key` (a database lookup a request) or `token` (a signed access token, no lookup). */
    auth: auth(values.auth),
  };
}

/** Customers and orders from the generator, then one score each worked out in SQL from the orders. */
async function loadStore(db: Db, customers: number) {
  await db.raw('truncate customers, orders, score_runs, campaigns cascade');
  const asOf = new Date(Date.UTC(2026, 10, 27));
  const loaded = await bulkLoadStore(db, generateLiquorStore({ seed: 42, customerCount: customers, asOf }));
  const [run] = await db('score_runs').insert({ trigger: 'manual', as_of: asOf, status: 'completed' }).returning('id');
  // Not the scoring pipeline (bench/scoring.bench.ts measures that): plausible scores with the
  // real segments' RFM rules, so that filters select what they would in a store.
  await db.raw(
    `
    with agg as (
      select customer_id, count(*)::int as n, sum(total) as spent, min(ordered_at) as first_at,
             max(ordered_at) as last_at, count(distinct ordered_at::date)::int as days,
             avg(case when extract(hour from ordered_at) >= 21 or extract(hour from ordered_at) < 3
                 then 1 else 0 end) as night,
             mode() within group (order by category) as category
      from orders group by customer_id),
    f as (
      select *, extract(epoch from (?::timestamptz - last_at)) / 86400 as idle_days,
             extract(epoch from (?::timestamptz - first_at)) / 86400 as tenure_days,
             ntile(5) over (order by last_at) as r, ntile(5) over (order by days, n) as fq,
             ntile(5) over (order by spent) as m
      from agg),
    p as (select *, greatest(0.01, least(0.99, exp(-idle_days / greatest(30, tenure_days / n * 2)))) as p_alive from f)
    insert into customer_scores (customer_id, run_id, segment_id, order_count, frequency, recency, tenure,
      total_spent, avg_order_value, mean_repeat_spend, first_order_at, last_order_at, rfm_r, rfm_f, rfm_m,
      p_alive, churn_risk, churn_band, expected_purchases, expected_spend, clv, night_share, is_night_buyer,
      primary_category)
    select p.customer_id, ?, g.id, n, days - 1, tenure_days - idle_days, tenure_days, spent, spent / n, spent / n,
      first_at, last_at, r, fq, m, p_alive, 1 - p_alive,
      case when p_alive > 0.7 then 'low' when p_alive > 0.4 then 'medium' else 'high' end,
      p_alive * n / greatest(1, tenure_days) * 365, spent / n, p_alive * spent / greatest(1, tenure_days) * 365,
      night, night > 0.5, category
    from p
    left join lateral (
      select id from segments
      where r between (rules->'recency'->>0)::int and (rules->'recency'->>1)::int
        and fq between (rules->'frequency'->>0)::int and (rules->'frequency'->>1)::int
      order by sort_order limit 1) g on true`,
    [asOf, asOf, run.id],
  );
  return loaded;
}

/** A campaign a week into sending: each recipient on e-mail and SMS, statuses as sending leaves them. */
async function insertCampaignWithSends(db: Db, sends: number): Promise<string> {
  const [campaign] = await db('campaigns')
    .insert({
      name: 'Weekend bourbon',
      type: 'custom',
      status: 'active',
      starts_on: '2026-11-20',
      time_zone: 'America/Chicago',
      channels: ['email', 'sms'],
    })
    .returning('id');
  await db.raw(
    `
    insert into sends (id, campaign_id, customer_id, channel, day, status, provider, attempts)
    select gen_random_uuid(), ?, c.id, ch.channel, (row_number() over ()) % 7,
      case when x < 0.62 then 'delivered' when x < 0.72 then 'sent' when x < 0.80 then 'skipped'
           when x < 0.86 then 'pending' when x < 0.93 then 'failed' when x < 0.97 then 'bounced' else 'complained' end,
      case ch.channel when 'email' then 'mailgun' else 'twilio' end, 1
    from (select id from customers order by id limit ?) c
    cross join (values ('email'), ('sms')) as ch(channel)
    cross join lateral (select (abs(hashtext(c.id::text || ch.channel)) % 1000) / 1000.0 as x) r`,
    [campaign.id, Math.ceil(sends / 2)],
  );
  return campaign.id as string;
}

/**
 * The statements a data function sends, each with PostgreSQL's plan and timing: what the routes
 * run per request, apart from authentication.
 */
async function explained(db: Db, run: () => Promise<unknown>) {
  const statements: { sql: string; bindings: unknown[] }[] = [];
  const listener = (q: { sql: string; bindings?: unknown[] }) =>
    statements.push({ sql: q.sql, bindings: q.bindings ?? [] });
  db.on('query', listener);
  try {
    await run();
  } finally {
    db.off('query', listener);
  }
  // The captured text has PostgreSQL's own placeholders ($1…), so it goes to the driver as it is.
  const connection = (await db.client.acquireConnection()) as ClientBase;
  const plans = [];
  try {
    for (const { sql, bindings } of statements) {
      const { rows } = await connection.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${sql}`, bindings);
      plans.push({ sql, plan: rows.map((r) => r['QUERY PLAN']) });
    }
  } finally {
    await db.client.releaseConnection(connection);
  }
  return plans;
}

/** CPU time the child has used so far (user + system), in microseconds, from the kernel. */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // USER_HZ is 100 on Linux
}

/** The child's resident set, from the kernel. */
function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : 0;
}

const apiNodeFlags = process.env.API_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [...apiNodeOptions];

function startApi(input: ApiServerInput): Promise<{ child: ChildProcess; ready: ApiServerReady }> {
  const script = fileURLToPath(new URL('./api-server.ts', import.meta.url));
  // The API's log lines are formatted as in production and thrown away.
  // API_CPU_PROF=<dir> writes a CPU profile of the API process when it exits; API_HEAP_PROF=<dir>
  // a sampling profile of what it allocated. API_STDOUT=<file> keeps its standard output (log lines,
  // and `--trace-gc` given in API_NODE_FLAGS).
  const profile = [
    ...apiNodeFlags,
    ...(process.env.API_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.API_CPU_PROF}`] : []),
    ...(process.env.API_HEAP_PROF ? ['--heap-prof', `--heap-prof-dir=${process.env.API_HEAP_PROF}`] : []),
  ];
  const child = fork(script, [], {
    stdio: ['ignore', process.env.API_STDOUT ? openSync(process.env.API_STDOUT, 'w') : 'ignore', 2, 'ipc'],
    execArgv: [...process.execArgv, ...profile],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (ready) => resolve({ child, ready: ready as ApiServerReady }));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the API process exited with code ${code}`)));
    child.send(input);
  });
}

/**
 * The API process's own account: `memory` in MiB, or `gc`, its garbage-collection pauses by kind
 * since the last time it was asked.
 */
function ask(child: ChildProcess, what: 'memory' | 'gc'): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as Record<string, unknown>));
    child.send(what);
  });
}

interface Load {
  name: string;
  url: string;
  headers: Record<string, string>;
}

async function measure(load: Load, o: ReturnType<typeof options>, child: ChildProcess) {
  const pid = child.pid!;
  if (o.warmup > 0) {
    await autocannon({ url: load.url, headers: load.headers, connections: o.connections, duration: o.warmup });
  }
  await ask(child, 'gc');
  let peak = rssMiB(pid);
  const cpuBefore = cpuMicros(pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 100);
  const r = await autocannon({
    url: load.url,
    headers: load.headers,
    connections: o.connections,
    duration: o.duration,
  });
  clearInterval(sampler);
  const cpu = cpuMicros(pid) - cpuBefore;
  return {
    perSecond: Math.round(r.requests.average),
    // The API process's CPU time per answered request: what a request costs, whatever else the
    // machine's cores were doing meanwhile.
    apiCpuMicrosPerRequest: Math.round(cpu / Math.max(1, r.requests.total)),
    p50ms: r.latency.p50,
    p99ms: r.latency.p99,
    maxMs: r.latency.max,
    requests: r.requests.total,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    rssPeakMiB: Math.max(peak, rssMiB(pid)),
    gcPauses: (await ask(child, 'gc')) as Record<string, { count: number; ms: number }>,
  };
}

type Measured = Awaited<ReturnType<typeof measure>>;

function spread(runs: Measured[], pick: (m: Measured) => number) {
  const values = runs.map(pick).sort((a, b) => a - b);
  return { min: values[0], median: values[Math.floor(values.length / 2)], max: values.at(-1) };
}

const benchmark: Benchmark = async (ctx) => {
  const o = options(ctx.args);
  const loadAtStart = os.loadavg().map((l) => Math.round(l * 100) / 100);
  const db = await ctx.db();

  const setupStarted = performance.now();
  ctx.log.info('loading the store');
  const loaded = o.keepData ? undefined : await loadStore(db, o.customers);
  ctx.log.info('loading the campaign');
  if (o.keepData) await db.raw('delete from campaigns');
  const campaignId = await insertCampaignWithSends(db, o.sends);
  await db.raw('vacuum analyze');
  const setupSeconds = Math.round((performance.now() - setupStarted) / 100) / 10;
  const counts = (
    await db.raw(
      `select (select count(*) from customers)::int as customers, (select count(*) from orders)::int as orders,
            (select count(*) from customer_scores)::int as scored, (select count(*) from sends)::int as sends`,
    )
  ).rows[0];
  const segment = 'at_risk';
  const filtered = (
    await db.raw(
      `select count(*)::int as n from customer_scores s join segments g on g.id = s.segment_id
     where g.key = ? and s.churn_band = 'high'`,
      [segment],
    )
  ).rows[0].n as number;

  const customerQuery = { segment, churnBand: 'high', sort: 'clv', order: 'desc', limit: 50 } as const;
  const plans = {
    customers: await explained(db, () => listCustomers(db, customerQuery)),
    progress: await explained(db, () => getCampaignProgress(db, campaignId)),
  };

  ctx.log.info('starting the API');
  const key = await createApiKeys(db).create({ name: 'api benchmark', role: 'user', scopes: ['read'] });
  const connection = db.client.config.connection as { connectionString: string };
  const authSecret = randomBytes(32).toString('base64url');
  const bearer =
    o.auth === 'api-key'
      ? key.key
      : await new AccessTokens(authSecret, 60).issue({
          userId: randomUUID(),
          role: 'user',
          email: 'bench@store.example',
        });
  const { child, ready } = await startApi({
    databaseUrl: connection.connectionString,
    env: {
      AUTH_SECRET: authSecret,
      LOG_LEVEL: process.env.API_LOG_LEVEL ?? 'info',
      ...(process.env.DATABASE_POOL_MAX ? { DATABASE_POOL_MAX: process.env.DATABASE_POOL_MAX } : {}),
    },
  });
  const pid = child.pid!;
  const auth = { authorization: `Bearer ${bearer}` };
  const loads: Load[] = [
    { name: 'bare', url: `${ready.bareUrl}/bare`, headers: {} },
    { name: 'progress', url: `${ready.apiUrl}/api/campaigns/${campaignId}/progress`, headers: auth },
    {
      name: 'customers',
      url: `${ready.apiUrl}/api/customers?segment=${segment}&churnBand=high&sort=clv&order=desc&limit=50`,
      headers: auth,
    },
  ];

  try {
    const idleRssMiB = rssMiB(pid);
    const idleMemory = await ask(child, 'memory');
    const runs: Record<string, Measured[]> = { bare: [], progress: [], customers: [] };
    for (let round = 0; round < o.rounds; round++) {
      for (const load of loads) {
        ctx.log.info({ round, load: load.name }, 'measuring');
        runs[load.name]!.push(await measure(load, o, child));
      }
    }
    const median = (name: string) => spread(runs[name]!, (m) => m.perSecond).median!;
    const summary = (name: string) => {
      const ratio = median(name) / median('bare');
      const p99 = spread(runs[name]!, (m) => m.p99ms);
      const rss = Math.max(...runs[name]!.map((m) => m.rssPeakMiB));
      return {
        perSecond: spread(runs[name]!, (m) => m.perSecond),
        apiCpuMicrosPerRequest: spread(runs[name]!, (m) => m.apiCpuMicrosPerRequest),
        p50ms: spread(runs[name]!, (m) => m.p50ms),
        p99ms: p99,
        rssPeakMiB: rss,
        vsBare: Math.round(ratio * 100) / 100,
        targets: { halfOfBare: ratio >= 0.5, p99Under50ms: p99.max! < 50, rssUnder300MiB: rss < 300 },
      };
    };
    return {
      settings: o,
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100),
      setup: { seconds: setupSeconds, loaded, ...counts, filteredCustomers: filtered, segment },
      apiLogLevel: process.env.API_LOG_LEVEL ?? 'info',
      apiNodeFlags,
      idleRssMiB,
      idleMemory,
      memoryAfterLoad: await ask(child, 'memory'),
      runs,
      plans,
      summary: { bare: summary('bare'), progress: summary('progress'), customers: summary('customers') },
    };
  } finally {
    child.removeAllListeners('exit');
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.send('close');
    });
  }
};

export default benchmark;
