import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import express from 'express';
import type pg from 'pg';
import { insertCampaign, insertSends } from '../activities/webhooks/testing.ts';
import { campaignProgressSnapshots } from '../api/realtime/progress.ts';
import type { ServerMessage } from '../api/realtime/protocol.ts';
import { createRealtime } from '../api/realtime/socket.ts';
import { listen } from '../api/server.ts';
import { createApiServices } from '../api/services.ts';
import { parseConfig } from '../platform/config.ts';
import type { Db } from '../platform/db.ts';
import type { ClientsReply, ClientsRequest } from './realtime-clients.ts';
import { type Benchmark, wholeArg } from './types.ts';

/**
 * `npm run bench -- realtime-fanout [--clients 200] [--campaigns 10] [--rows 100] [--rate 20] [--seconds 10]`
 *
 * Fan-out of campaign progress to WebSocket clients. `clients` sockets (in another process)
 * watch every one of `campaigns` campaigns; `rate` times a second one campaign's `rows` ledger
 * rows change status in one statement (round robin), with the write's start time in the
 * campaign's `last_error` so that each snapshot carries it: latency is write → client.
 *
 * - database path: trigger → NOTIFY → the API's listener → one progress read per campaign per
 *   250 ms window → every watching client;
 * - baseline, same run, same sockets and rate: the same snapshot pushed to every client directly
 *   (no database, no window), i.e. the WebSocket fan-out alone.
 */

function options(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      clients: { type: 'string' },
      campaigns: { type: 'string' },
      rows: { type: 'string' },
      rate: { type: 'string' },
      seconds: { type: 'string' },
    },
    strict: true,
  });
  return {
    clients: wholeArg('clients', values.clients, 200),
    campaigns: Math.min(100, wholeArg('campaigns', values.campaigns, 10)),
    rows: wholeArg('rows', values.rows, 100),
    rate: wholeArg('rate', values.rate, 20),
    seconds: wholeArg('seconds', values.seconds, 10),
  };
}

function request(child: ChildProcess, req: ClientsRequest): Promise<ClientsReply> {
  return new Promise((resolve, reject) => {
    child.once('message', (m: ClientsReply) => (m.kind === 'error' ? reject(new Error(m.message)) : resolve(m)));
    child.send(req);
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : null;

async function paced(rate: number, seconds: number, step: (i: number) => Promise<void>): Promise<number> {
  const interval = 1000 / rate;
  const started = performance.now();
  let i = 0;
  for (; i < rate * seconds; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await step(i);
  }
  return i / ((performance.now() - started) / 1000);
}

const bench: Benchmark = async (ctx) => {
  const o = options(ctx.args);
  const db: Db = await ctx.db();
  const cfg = parseConfig({
    DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'lma-bench-rt-')),
    AUTH_SECRET: 'bench-secret-that-is-long-enough-for-hs256-signing',
  });
  const services = createApiServices(db, cfg);
  const [user] = await db('users')
    .insert({ email: 'bench@store.example', password_hash: 'x', role: 'user', display_name: 'bench' })
    .returning(['id', 'email']);
  const token = await services.tokens.issue({ userId: user.id, role: 'user', email: user.email });

  const campaigns: string[] = [];
  for (let c = 0; c < o.campaigns; c++) {
    const id = await insertCampaign(db);
    await insertSends(db, o.rows, id);
    campaigns.push(id);
  }

  const realtime = createRealtime({
    db,
    log: ctx.log,
    ...services,
    connection: (db.client as { config: { connection: pg.ClientConfig } }).config.connection,
    allowedOrigins: [],
  });
  const server = await listen(express(), 0, '127.0.0.1', { upgrades: realtime });
  await realtime.ready;
  const child = fork(fileURLToPath(new URL('./realtime-clients.ts', import.meta.url)), [], {
    stdio: ['ignore', 2, 2, 'ipc'],
  });
  try {
    await request(child, {
      kind: 'start',
      input: { url: server.url, token, clients: o.clients, topics: campaigns.map((id) => `campaign:${id}`) },
    });

    const measure = async (step: (i: number) => Promise<void>) => {
      await request(child, { kind: 'report' }); // discard what came before
      const reads = realtime.hub.stats().progressReads;
      const cpu = process.cpuUsage();
      const started = performance.now();
      const achievedRate = await paced(o.rate, o.seconds, step);
      await new Promise((r) => setTimeout(r, 1_000)); // the last window and the sockets drain
      const elapsed = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      const report = (await request(child, { kind: 'report' })) as Extract<ClientsReply, { kind: 'report' }>;
      const sorted = report.latenciesMs.sort((a, b) => a - b);
      return {
        writesPerSec: Math.round(achievedRate * 10) / 10,
        messagesDelivered: report.messages,
        messagesPerSec: Math.round(report.messages / elapsed),
        latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? null },
        apiCpuPercent: Math.round(((used.user + used.system) / 1e6 / elapsed) * 100),
        progressReads: realtime.hub.stats().progressReads - reads,
        clientsClosed: report.closed,
      };
    };

    const viaDatabase = await measure(async (i) => {
      const campaignId = campaigns[i % campaigns.length]!;
      await db.transaction(async (trx) => {
        await trx('campaigns')
          .where({ id: campaignId })
          .update({ last_error: String(Date.now()) });
        await trx('sends')
          .where({ campaign_id: campaignId })
          .update({ status: Math.floor(i / campaigns.length) % 2 ? 'sent' : 'delivered' });
      });
    });

    const snapshots = await campaignProgressSnapshots(db, campaigns);
    const direct = await measure(async (i) => {
      const campaignId = campaigns[i % campaigns.length]!;
      const progress = { ...snapshots.get(campaignId)!, lastError: String(Date.now()), at: new Date().toISOString() };
      const serialized = JSON.stringify({ type: 'progress', progress } satisfies ServerMessage);
      for (const client of realtime.hub.clients) client.sendProgress(campaignId, serialized);
    });

    return {
      ...o,
      note: 'latency is write start → client; the database path waits for its 250 ms coalescing window by design',
      viaDatabase,
      baselineDirectFanOut: direct,
      messagesRatio: Math.round((viaDatabase.messagesDelivered / Math.max(1, direct.messagesDelivered)) * 100) / 100,
    };
  } finally {
    child.send({ kind: 'stop' } satisfies ClientsRequest);
    await server.close();
  }
};

export default bench;
