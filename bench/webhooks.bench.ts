import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import express from 'express';
import { createEngagementIngestion, noEventsYet, type EngagementIngestion } from '../activities/webhooks/ingestion.ts';
import { insertCampaign, insertSends } from '../activities/webhooks/testing.ts';
import { listen, type ApiServer } from '../api/server.ts';
import type { Db } from '../platform/db.ts';
import { startWebhookApi } from '../platform/testing/webhook-api.ts';
import type { DriverFigures, DriverInput } from './webhooks-driver.ts';
import { type Benchmark, wholeArg } from './types.ts';

/**
 * `npm run bench -- webhooks [--events 50000] [--concurrency 200] [--sends 10000]
 *                            [--linger-ms 0] [--in-flight 2] [--max-batch 500] [--parallel-at 100]`
 *
 * The sustained rate of signed Mailgun webhook ingestion over loopback: the production app
 * (createApp, every middleware) verifying each signature and answering only once the event's
 * receipt, ledger change and analytics row are committed. A driver in another process keeps
 * `concurrency` requests in flight on keep-alive connections. Measured in the same run with the
 * same bodies: a bare Express JSON endpoint (parse and answer), and the production app with an
 * ingestion that writes nothing (to split HTTP + verification from the database). Afterwards
 * every event must be accounted for: one 200 and one receipt per event, one analytics row per
 * event. One event in 100 names a message we do not know.
 */

function options(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      events: { type: 'string' },
      concurrency: { type: 'string' },
      sends: { type: 'string' },
      'linger-ms': { type: 'string' },
      'in-flight': { type: 'string' },
      'max-batch': { type: 'string' },
      'parallel-at': { type: 'string' },
    },
    strict: true,
  });
  return {
    events: wholeArg('events', values.events, 50_000),
    concurrency: wholeArg('concurrency', values.concurrency, 200),
    sends: wholeArg('sends', values.sends, 10_000),
    lingerMs: wholeArg('linger-ms', values['linger-ms'], 0, 0),
    maxInFlight: wholeArg('in-flight', values['in-flight'], 2),
    maxBatch: wholeArg('max-batch', values['max-batch'], 500),
    // The ingestion's own default when not given.
    parallelAt: values['parallel-at'] === undefined ? undefined : wholeArg('parallel-at', values['parallel-at'], 1),
  };
}

function runDriver(input: DriverInput): Promise<DriverFigures> {
  const driver = fileURLToPath(new URL('./webhooks-driver.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = fork(driver, [], { stdio: ['ignore', 2, 2, 'ipc'] });
    let figures: DriverFigures | undefined;
    child.on('message', (m) => (figures = m as DriverFigures));
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      figures ? resolve(figures) : reject(new Error(`the driver exited with ${signal ?? `code ${code}`}`)),
    );
    child.send(input);
  });
}

/** Busy and total CPU time of the whole machine so far, from the kernel's counters. */
function machineCpu(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    busy += times.user + times.nice + times.sys + times.irq;
    total += times.user + times.nice + times.sys + times.irq + times.idle;
  }
  return { busy, total };
}

/**
 * Runs the driver against `url` and adds where the CPU went: this process (the server and its
 * database client), the driver, and how busy the machine was in all (PostgreSQL, and anything
 * else running on the machine, is the rest).
 */
async function measured(drive: () => Promise<DriverFigures>) {
  const cpu = process.cpuUsage();
  const machine = machineCpu();
  const figures = await drive();
  const used = process.cpuUsage(cpu);
  const after = machineCpu();
  return {
    ...figures,
    serverCpuMicros: Math.round((used.user + used.system) / figures.events),
    machineCpuBusyPercent: Math.round(((after.busy - machine.busy) / (after.total - machine.total)) * 100),
  };
}

async function bareExpress(): Promise<ApiServer> {
  const app = express();
  app.post('/bare', express.json({ limit: '64kb' }), (_req, res) => {
    res.json({ result: 'accepted' });
  });
  return listen(app, 0, '127.0.0.1');
}

/** An ingestion that takes every event and writes nothing. */
const writesNothing: EngagementIngestion = {
  ingest: async () => ({ result: 'accepted', sendId: null, unmatched: false }),
  ingestAll: async (events) => events.map(() => ({ result: 'accepted', sendId: null, unmatched: false })),
  flush: async () => {},
  close: async () => {},
  stats: noEventsYet,
};

async function accountFor(db: Db, idPrefix: string) {
  const count = async (sql: string) => Number((await db.raw(sql, [`${idPrefix}-%`])).rows[0].n);
  return {
    receipts: await count(`select count(*) as n from webhook_receipts where provider = 'mailgun' and event_key like ?`),
    unmatchedReceipts: await count(
      `select count(*) as n from webhook_receipts where provider = 'mailgun' and event_key like ? and send_id is null`,
    ),
    analyticsEvents: await count(
      `select count(*) as n from analytics_events where properties->>'provider' = 'mailgun' and properties->>'eventKey' like ?`,
    ),
  };
}

const benchmark: Benchmark = async (ctx) => {
  const o = options(ctx.args);
  const loadAtStart = os.loadavg().map((l) => Math.round(l * 100) / 100);
  const db = await ctx.db();
  const signingKey = randomBytes(24).toString('hex');
  const env = { MAILGUN_WEBHOOK_SIGNING_KEY: signingKey };

  const setupStarted = performance.now();
  const sends = await insertSends(db, o.sends, await insertCampaign(db));
  const setupSeconds = (performance.now() - setupStarted) / 1000;

  const ingestion = createEngagementIngestion(
    { db, log: ctx.log },
    {
      lingerMs: o.lingerMs,
      maxInFlight: o.maxInFlight,
      maxBatch: o.maxBatch,
      ...(o.parallelAt === undefined ? {} : { parallelAt: o.parallelAt }),
    },
  );
  const production = await startWebhookApi(db, { log: ctx.log, env, engagement: ingestion });
  const verifyOnly = await startWebhookApi(db, { log: ctx.log, env, engagement: writesNothing });
  const bare = await bareExpress();
  const run = randomBytes(6).toString('hex');
  const drive = (url: string, name: string, events = o.events) =>
    runDriver({
      url,
      events,
      concurrency: o.concurrency,
      signingKey,
      idPrefix: `${run}-${name}`,
      sends: sends.map((s) => ({ id: s.id, providerMessageId: s.providerMessageId })),
      unknownEvery: 100,
    });

  try {
    // Warm-up: JIT, connection pools, the first pages of every index.
    await drive(`${bare.url}/bare`, 'warm-bare', 2_000);
    await drive(`${production.url}/api/webhooks/mailgun`, 'warm', 2_000);

    const bareFigures = await measured(() => drive(`${bare.url}/bare`, 'bare'));
    const verifyFigures = await measured(() => drive(`${verifyOnly.url}/api/webhooks/mailgun`, 'verify'));
    const statsBefore = ingestion.stats();
    const ledgerBefore = await ledgerUpdates(db);
    const productionFigures = await measured(() => drive(`${production.url}/api/webhooks/mailgun`, 'ingest'));
    await ingestion.flush();
    const ledgerAfter = await ledgerUpdates(db);
    const stats = ingestion.stats();
    const batches = stats.batches - statsBefore.batches;
    const accounted = await accountFor(db, `${run}-ingest`);
    const unknown = Math.floor(o.events / 100);
    const everyEventAccountedFor =
      productionFigures.statuses['200'] === o.events &&
      accounted.receipts === o.events &&
      accounted.analyticsEvents === o.events &&
      accounted.unmatchedReceipts === unknown;

    return {
      settings: o,
      loadAverageAtStart: loadAtStart,
      setup: { sends: o.sends, seconds: Math.round(setupSeconds * 10) / 10 },
      bodyBytes: productionFigures.bodyBytes,
      bareExpress: bareFigures,
      productionAppWithoutDatabase: verifyFigures,
      ingestion: productionFigures,
      ingestionVsBare: Math.round((productionFigures.perSecond / bareFigures.perSecond) * 100) / 100,
      target: { perSecond: 5_000, met: productionFigures.perSecond >= 5_000 },
      batches: {
        count: batches,
        meanEvents: Math.round(((stats.accepted - statsBefore.accepted) / Math.max(1, batches)) * 10) / 10,
        failed: stats.failedBatches - statsBefore.failedBatches,
      },
      accountedFor: { ...accounted, expectedUnmatched: unknown, everyEventAccountedFor },
      // Ledger rows updated in place (HOT), without new entries in the ledger's indexes.
      ledgerUpdates: {
        updates: ledgerAfter.updates - ledgerBefore.updates,
        inPlace: ledgerAfter.hot - ledgerBefore.hot,
      },
    };
  } finally {
    await ingestion.close();
    await Promise.all([production.close(), verifyOnly.close(), bare.close()]);
  }
};

export default benchmark;

/** The send ledger's updates so far, and how many of them were HOT. */
async function ledgerUpdates(db: Db): Promise<{ updates: number; hot: number }> {
  // Backends report their counts at most once a second, when idle.
  await new Promise((r) => setTimeout(r, 1_500));
  const { rows } = await db.raw(
    `select n_tup_upd::int as updates, n_tup_hot_upd::int as hot from pg_stat_user_tables where relname = 'sends'`,
  );
  return rows[0] as { updates: number; hot: number };
}
