import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Client } from '@temporalio/client';
import { chromium } from 'playwright-core';
import { createProviders } from '../activities/messaging/providers/index.ts';
import { plannerSummary } from '../activities/planning/planner.ts';
import { campaignTimings, unsubscribeSecret } from '../activities/settings.ts';
import { createApp } from '../api/app.ts';
import { hashPassword } from '../api/auth/passwords.ts';
import { listen } from '../api/server.ts';
import { createApiServices } from '../api/services.ts';
import { parseConfig } from '../platform/config.ts';
import type { Db } from '../platform/db.ts';
import { ensureWebBuild, webBuildDir } from '../platform/web-build.ts';
import { taskQueues } from '../temporal/task-queues.ts';
import { bulkLoadStore } from './datagen/bulk-load.ts';
import { generateLiquorStore } from './datagen/liquor-store.ts';
import { type Benchmark, wholeArg } from './types.ts';

/**
 * `npm run bench -- web-pages [--customers 100000] [--rounds 7] [--chromium /usr/bin/chromium]`
 *
 * Time to first render of the marketer app's dashboard and customers page: the production build
 * served by the production API (in this process) over a store of `customers` generated customers
 * with a score each, loaded cold in Chromium (a new browser context per visit, signed in). "First
 * render" is when the page's data is on screen: the dashboard's key figures, the customers table's
 * first row. In the same run, the login page (no data, no API call) is the baseline. Also the
 * JavaScript each route loads, gzipped, from the build's manifest.
 */

function options(args: string[]) {
  const { values } = parseArgs({
    args,
    options: { customers: { type: 'string' }, rounds: { type: 'string' }, chromium: { type: 'string' } },
    strict: true,
  });
  return {
    customers: wholeArg('customers', values.customers, 100_000),
    rounds: wholeArg('rounds', values.rounds, 7),
    chromium: values.chromium ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  };
}

/** Plausible scores in SQL from the generated orders (bench/scoring.bench.ts measures the real pipeline). */
async function scoreCustomers(db: Db, asOf: Date): Promise<void> {
  const [run] = await db('score_runs').insert({ trigger: 'manual', as_of: asOf, status: 'completed' }).returning('id');
  await db.raw(
    `
    with agg as (
      select customer_id, count(*)::int as n, sum(total) as spent, min(ordered_at) as first_at, max(ordered_at) as last_at,
             avg(case when extract(hour from ordered_at) >= 21 or extract(hour from ordered_at) < 3 then 1 else 0 end) as night,
             mode() within group (order by category) as category
      from orders group by customer_id),
    f as (
      select *, extract(epoch from (?::timestamptz - last_at)) / 86400 as idle, extract(epoch from (?::timestamptz - first_at)) / 86400 as tenure,
             ntile(5) over (order by last_at) as r, ntile(5) over (order by n) as fq, ntile(5) over (order by spent) as m
      from agg),
    p as (select *, greatest(0.01, least(0.99, exp(-idle / greatest(30, tenure / n * 2)))) as p_alive from f)
    insert into customer_scores (customer_id, run_id, segment_id, order_count, frequency, recency, tenure, total_spent,
      avg_order_value, mean_repeat_spend, first_order_at, last_order_at, rfm_r, rfm_f, rfm_m, p_alive, churn_risk, churn_band,
      expected_purchases, expected_spend, clv, night_share, is_night_buyer, primary_category)
    select p.customer_id, ?, g.id, n, n - 1, tenure - idle, tenure, spent, spent / n, spent / n, first_at, last_at, r, fq, m,
      p_alive, 1 - p_alive, case when p_alive > 0.7 then 'low' when p_alive > 0.4 then 'medium' else 'high' end,
      p_alive * 2, spent / n, p_alive * spent / greatest(1, tenure) * 365, night, night > 0.5, category
    from p
    left join lateral (
      select id from segments
      where r between (rules->'recency'->>0)::int and (rules->'recency'->>1)::int
        and fq between (rules->'frequency'->>0)::int and (rules->'frequency'->>1)::int
      order by sort_order limit 1) g on true`,
    [asOf, asOf, run.id],
  );
  await db.raw(
    'update segments g set customer_count = (select count(*) from customer_scores s where s.segment_id = g.id)',
  );
  await db.raw('analyze customers, customer_scores, orders, sends');
}

/** Gzipped JavaScript each route loads on a first visit: the entry, the layouts and the page, with their imports. */
function javascriptPerRoute(): Record<string, number> {
  const kit = path.join(webBuildDir, '..', '.svelte-kit');
  const client = path.join(kit, 'output', 'client');
  const manifest = JSON.parse(readFileSync(path.join(client, '.vite', 'manifest.json'), 'utf8')) as Record<
    string,
    { file: string; imports?: string[] }
  >;
  const appJs = readFileSync(path.join(kit, 'generated', 'client-optimized', 'app.js'), 'utf8');
  const start = appJs.indexOf('{', appJs.indexOf('export const dictionary'));
  const dictionary = JSON.parse(appJs.slice(start, appJs.indexOf('};', start) + 1)) as Record<
    string,
    [number, number[]?]
  >;
  const closure = (key: string, seen: Set<string>) => {
    if (!manifest[key] || seen.has(key)) return;
    seen.add(key);
    for (const i of manifest[key].imports ?? []) closure(i, seen);
  };
  const node = (n: number) => `.svelte-kit/generated/client-optimized/nodes/${n}.js`;
  const out: Record<string, number> = {};
  for (const [route, [page, layouts = []]] of Object.entries(dictionary)) {
    const files = new Set<string>();
    for (const k of [
      '../node_modules/@sveltejs/kit/src/runtime/client/entry.js',
      node(0),
      ...layouts.map(node),
      node(page),
    ])
      closure(k, files);
    const bytes = [...files]
      .map((k) => manifest[k]!.file)
      .filter((f) => f.endsWith('.js'))
      .reduce((sum, f) => sum + gzipSync(readFileSync(path.join(client, f))).length, 0);
    out[route.replace('/(app)', '') || '/'] = Math.round(bytes / 102.4) / 10;
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const webPages: Benchmark = async (ctx) => {
  const opts = options(ctx.args);
  ensureWebBuild((line) => ctx.log.info(line));
  const db = await ctx.db();
  await db.raw('truncate customers, orders, score_runs, campaigns cascade');
  const asOf = new Date(Date.UTC(2026, 10, 27));
  await bulkLoadStore(db, generateLiquorStore({ seed: 42, customerCount: opts.customers, asOf }));
  await scoreCustomers(db, asOf);
  const password = 'bench-password-not-secret';
  await db('users')
    .insert({ email: 'bench@store.example', password_hash: await hashPassword(password), role: 'admin' })
    .onConflict(db.raw('(lower(email))'))
    .merge();

  const cfg = parseConfig({
    DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'lma-web-bench-')),
    AUTH_SECRET: 'bench-secret-that-is-long-enough-for-hs256-signing',
    LOG_LEVEL: 'warn',
  });
  const noTemporal = new Proxy({} as Client, {
    get() {
      throw new Error('the benchmark API has no Temporal server');
    },
  });
  const api = await listen(
    createApp({
      db,
      log: ctx.log,
      temporalReady: async () => true,
      workflows: { client: noTemporal, queues: taskQueues('web-bench') },
      config: cfg,
      campaignTimings: campaignTimings(cfg),
      unsubscribeSecret: unsubscribeSecret(cfg),
      system: { planner: plannerSummary(cfg), providers: createProviders(cfg, { db }).summary },
      webBuildDir,
      loginAttemptsPerMinute: 10_000,
      ...createApiServices(db, cfg),
    }),
    0,
    '127.0.0.1',
  );
  const browser = await chromium.launch({ executablePath: opts.chromium, args: ['--no-sandbox'] });
  // Each page's "rendered" moment: its data-bearing element in the DOM, in ms since navigation start.
  const pages = [
    { name: 'login (baseline)', path: '/login', selector: '#email', signedIn: false },
    { name: 'dashboard', path: '/', selector: 'section[aria-label="Key figures"]', signedIn: true },
    { name: 'customers', path: '/customers', selector: 'table tbody tr a', signedIn: true },
  ];
  type Visit = { name: string; path: string; selector: string; signedIn: boolean };
  async function openPage(p: Visit) {
    const context = await browser.newContext();
    if (p.signedIn) {
      const res = await context.request.post(`${api.url}/api/auth/login`, {
        data: { email: 'bench@store.example', password },
      });
      if (!res.ok()) throw new Error(`login failed: ${res.status()}`);
    }
    const page = await context.newPage();
    // A string, run in the page before its own scripts: this file is typed for Node, not the DOM.
    await page.addInitScript({
      content: `(() => {
        const check = () => {
          if (document.querySelector(${JSON.stringify(p.selector)})) window.__rendered = performance.now();
          else requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
      })();`,
    });
    return { context, page };
  }
  async function visit(page: Awaited<ReturnType<typeof openPage>>['page'], p: Visit): Promise<number> {
    await page.goto(api.url + p.path);
    const rendered = () => (globalThis as { __rendered?: number }).__rendered;
    await page.waitForFunction(rendered, null, { timeout: 30_000 });
    return Math.round(Number(await page.evaluate(rendered)));
  }
  // Cold: a new browser context per visit (empty cache, as a first visit). Warm: the same
  // context reloading the page (the hashed assets come from the browser cache; the data does not).
  const cold: Record<string, number[]> = Object.fromEntries(pages.map((p) => [p.name, []]));
  const warm: Record<string, number[]> = Object.fromEntries(pages.map((p) => [p.name, []]));
  try {
    for (let round = 0; round <= opts.rounds; round++) {
      for (const p of pages) {
        const { context, page } = await openPage(p);
        const ms = await visit(page, p);
        // Round 0 warms the server (query plans, connection pool); it is not counted.
        if (round > 0) cold[p.name]!.push(ms);
        await context.close();
      }
    }
    for (const p of pages) {
      const { context, page } = await openPage(p);
      for (let round = 0; round <= opts.rounds; round++) {
        const ms = await visit(page, p);
        if (round > 0) warm[p.name]!.push(ms);
      }
      await context.close();
    }
  } finally {
    await browser.close();
    await api.close(1_000);
  }
  const summary = (times: Record<string, number[]>) =>
    Object.fromEntries(
      Object.entries(times).map(([name, xs]) => [name, { median: median(xs), max: Math.max(...xs), runs: xs }]),
    );
  return {
    customers: opts.customers,
    rounds: opts.rounds,
    firstRenderMs: { cold: summary(cold), warm: summary(warm) },
    javascriptKbGzipped: javascriptPerRoute(),
  };
};

export default webPages;
