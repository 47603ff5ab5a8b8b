/**
 * Load and soak (issue #13): a steady request rate on the API for `minutes` while a campaign
 * sends through a worker, each in a process of its own, against the Mailgun stub.
 *
 * - The API is the production entry point (platform/main.ts, ROLE=api) on a real Temporal dev
 *   server and PostgreSQL; autocannon holds `rate` requests a second over `connections`
 *   keep-alive connections, cycling through what a store's screens and systems do while a
 *   campaign runs: the campaign's progress (a Temporal query and the ledger), the customers
 *   list, the dashboard, and a new order from the till (a write, attributed at once).
 * - The campaign is `recipients` e-mails in send windows every `window-seconds` over the whole
 *   run, sent by the worker process (platform/testing/sends-worker.ts) through the stub.
 * - Every `sample-seconds` the resident set (VmRSS) of both processes is read from /proc, and the
 *   API's V8 heap from its own /metrics (to tell a JavaScript leak from the allocator's habits).
 *
 * Passes when no request failed, timed out or answered other than 2xx; every planned message
 * reached the stub exactly once and the ledger matches the stub's log; and memory stayed flat
 * after the warm-up: for each process, the highest RSS of the second half of the run within 10 %
 * of the highest of the first half. RSS under a steady load is a sawtooth — V8 grows its heap,
 * collects, and now and then hands memory back, every few minutes — so RSS at two instants, or a
 * slope over a few teeth, depends on where the teeth fall; a leak raises the high-water mark from
 * one half to the next. RSS after the warm-up and at the end, and the least-squares slope since the
 * warm-up, are reported as well, with the API's V8 heap in use (its low point in each half is what
 * survives collection: the objects a JavaScript leak would pile up).
 * Prints the figures either way; exits 1 on a failure.
 *
 *   npm run bench -- soak [--minutes 10] [--rate 50] [--connections 20] [--recipients <2,000 a minute>]
 *                         [--warmup-seconds 30] [--sample-seconds 10] [--window-seconds 10]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon, { type Request } from 'autocannon';
import { createApiKeys } from '../api/auth/api-keys.ts';
import type { Db } from '../platform/db.ts';
import { freePort } from '../platform/processes.ts';
import { launchPlatform, platformStarted, residentMemory, stopPlatform } from '../platform/testing/platform-process.ts';
import { ALL_DAY, seedSendableCampaign, startSending } from '../platform/testing/sendable-campaign.ts';
import { startWorkerProcess, stopWorkerProcess } from '../platform/testing/worker-process.ts';
import { taskQueues } from '../temporal/task-queues.ts';
import { writeWorkflowBundle } from '../temporal/workflow-bundle.ts';
import { startMailgunStub } from './stubs/mailgun-stub.ts';
import { startBenchTemporal } from './dev-temporal.ts';
import type { Benchmark } from './types.ts';

const NAMESPACE = 'lma-bench';
const apiKey = 'key-soak';
const domain = 'mg.soak.example';
/** Flat memory: the second half's highest RSS above the first half's by less than this share. */
const MAX_GROWTH = 0.1;

function options(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      minutes: { type: 'string' },
      rate: { type: 'string' },
      connections: { type: 'string' },
      recipients: { type: 'string' },
      'warmup-seconds': { type: 'string' },
      'sample-seconds': { type: 'string' },
      'window-seconds': { type: 'string' },
    },
    strict: true,
  });
  const number = (name: string, value: string | undefined, fallback: number, min: number) => {
    const n = value === undefined ? fallback : Number(value);
    if (!Number.isFinite(n) || n < min) throw new RangeError(`--${name} must be a number ≥ ${min}`);
    return n;
  };
  const minutes = number('minutes', values.minutes, 10, 1);
  return {
    minutes,
    rate: Math.round(number('rate', values.rate, 50, 1)),
    connections: Math.round(number('connections', values.connections, 20, 1)),
    recipients: Math.round(number('recipients', values.recipients, Math.round(minutes * 2_000), 100)),
    warmupSeconds: number('warmup-seconds', values['warmup-seconds'], 30, 0),
    sampleSeconds: number('sample-seconds', values['sample-seconds'], 10, 1),
    windowSeconds: number('window-seconds', values['window-seconds'], 10, 1),
  };
}

const round = (x: number, places = 1) => Number(x.toFixed(places));
const loadAverage = () => os.loadavg().map((l) => round(l, 2));

/** Least-squares slope of y over x. */
function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

interface Sample {
  atSeconds: number;
  apiMiB: number | null;
  workerMiB: number | null;
  /** The API's V8 heap in use and its external memory (buffers), from its /metrics. */
  apiHeapMiB?: number;
  apiExternalMiB?: number;
}

/** The API process's own account of its heap, from the Prometheus default metrics it serves. */
async function heapOf(url: string, headers: Record<string, string>) {
  try {
    const text = await (await fetch(`${url}/metrics`, { headers })).text();
    const mib = (metric: string) => {
      const value = new RegExp(`^${metric} (\\S+)$`, 'm').exec(text)?.[1];
      return value === undefined ? undefined : round(Number(value) / 2 ** 20);
    };
    return { apiHeapMiB: mib('nodejs_heap_size_used_bytes'), apiExternalMiB: mib('nodejs_external_memory_bytes') };
  } catch {
    return {};
  }
}

/** RSS after the warm-up and at the end, each half's highest and lowest, the slope, and whether it is flat. */
function memoryFigures(
  samples: Sample[],
  pick: (s: Sample) => number | null | undefined,
  warmupSeconds: number,
  runSeconds: number,
) {
  const after = samples
    .filter((s) => s.atSeconds >= warmupSeconds && typeof pick(s) === 'number')
    .map((s) => ({ x: s.atSeconds / 60, y: pick(s)! }));
  const halves = [after.filter((p) => p.x < runSeconds / 120), after.filter((p) => p.x >= runSeconds / 120)];
  const [firstPeak, secondPeak] = halves.map((h) => Math.max(...h.map((p) => p.y))) as [number, number];
  const [firstLow, secondLow] = halves.map((h) => Math.min(...h.map((p) => p.y))) as [number, number];
  return {
    startMiB: after[0]?.y ?? NaN,
    endMiB: after.at(-1)?.y ?? NaN,
    highestMiB: { firstHalf: firstPeak, secondHalf: secondPeak },
    lowestMiB: { firstHalf: firstLow, secondHalf: secondLow },
    highestGrowthPct: round(((secondPeak - firstPeak) / firstPeak) * 100),
    slopeMiBPerMin: round(slope(after), 2),
    flat: halves.every((h) => h.length >= 2) && (secondPeak - firstPeak) / firstPeak < MAX_GROWTH,
  };
}

const benchmark: Benchmark = async ({ db: openDb, log, args }) => {
  const o = options(args);
  const seconds = Math.round(o.minutes * 60);
  if (seconds <= o.warmupSeconds + 2 * o.sampleSeconds) {
    throw new RangeError('--minutes must leave at least two samples after the warm-up');
  }
  const loadAtStart = loadAverage();
  const db: Db = await openDb();
  const { server, temporal, stop: stopTemporal } = await startBenchTemporal(log, NAMESPACE);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lma-soak-'));
  const bundle = path.join(dataDir, 'workflow-bundle.js');
  await writeWorkflowBundle(bundle);
  const stub = await startMailgunStub({ apiKey, domain });
  const prefix = `soak-${Date.now()}`;
  const port = await freePort();
  const common: NodeJS.ProcessEnv = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATABASE_URL: (db.client.config.connection as { connectionString: string }).connectionString,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: NAMESPACE,
    TEMPORAL_TASK_QUEUE_PREFIX: prefix,
    WORKFLOW_BUNDLE: bundle,
    AUTH_SECRET: randomBytes(32).toString('base64url'),
    UNSUBSCRIBE_SECRET: randomBytes(32).toString('base64url'),
    MAILGUN_API_KEY: apiKey,
    MAILGUN_DOMAIN: domain,
    MAILGUN_BASE_URL: stub.url,
    STORE_TIME_ZONE: 'UTC',
    SEND_HOURS: ALL_DAY,
    // Every recipient is a fresh customer: the cap never bites.
    FREQUENCY_CAP: '100/1',
  };

  const api = launchPlatform(
    {
      ...common,
      ROLE: 'api',
      PORT: String(port),
      DATA_DIR: path.join(dataDir, 'api'),
      ADMIN_EMAIL: 'owner@soak.example',
    },
    // Ten minutes of request logs are formatted and written as in production, but only the tail is kept.
    { keepChars: 20_000 },
  );
  let worker: Awaited<ReturnType<typeof startWorkerProcess>> | undefined;
  try {
    await platformStarted(api);
    worker = await startWorkerProcess({ ...common, LOG_LEVEL: 'warn', WORKER_KINDS: 'workflows,sends' });

    // The campaign: one send window every `windowSeconds` from now until just before the load stops.
    log.info({ recipients: o.recipients }, 'seeding the campaign');
    const first = new Date(Math.ceil(Date.now() / 1000) * 1000 + 5_000);
    const { campaignId } = await seedSendableCampaign(db, { recipients: o.recipients, sendAt: first, name: 'Soak' });
    const windows = Math.max(1, Math.floor((seconds - 15) / o.windowSeconds));
    await db.raw(
      `update actions a set send_at = a.send_at + make_interval(secs => w.k * ?), send_until = a.send_until + make_interval(secs => w.k * ?)
       from (select id, (row_number() over (order by id) - 1) % ? as k from actions where campaign_id = ?) w
       where a.id = w.id`,
      [o.windowSeconds, o.windowSeconds, windows, campaignId],
    );
    const customers = (await db('customers')
      .where('external_id', 'like', `send-${campaignId}-%`)
      .limit(1_000)
      .pluck('external_id')) as string[];
    const key = await createApiKeys(db).create({ name: 'soak', role: 'admin', scopes: ['read', 'orders', 'metrics'] });
    const headers = { authorization: `Bearer ${key.key}` };
    const progress = { method: 'GET' as const, path: `/api/campaigns/${campaignId}/progress`, headers };
    const customersList = { method: 'GET' as const, path: '/api/customers?sort=clv&order=desc&limit=50', headers };
    const dashboard = { method: 'GET' as const, path: '/api/dashboard', headers };
    const order = {
      method: 'POST' as const,
      path: '/api/orders',
      headers: { ...headers, 'content-type': 'application/json' },
      setupRequest: (request: Request): Request => ({
        ...request,
        body: JSON.stringify({
          orderId: `soak-${randomUUID()}`,
          customerId: customers[Math.floor(Math.random() * customers.length)],
          orderedAt: new Date().toISOString(),
          total: '42.50',
          category: 'whiskey',
        }),
      }),
    };

    const handle = await startSending(temporal.client, taskQueues(prefix), campaignId);
    const samples: Sample[] = [];
    const started = performance.now();
    const apiUrl = `http://127.0.0.1:${port}`;
    const sample = async () => {
      const at = {
        atSeconds: round((performance.now() - started) / 1000),
        apiMiB: residentMemory(api.child.pid!)?.rssMiB ?? null,
        workerMiB: residentMemory(worker!.pid!)?.rssMiB ?? null,
      };
      samples.push({ ...at, ...(await heapOf(apiUrl, headers)) });
    };
    await sample();
    const sampler = setInterval(() => void sample(), o.sampleSeconds * 1000);
    log.info({ seconds, rate: o.rate }, 'holding the load');
    const result = await autocannon({
      url: apiUrl,
      connections: o.connections,
      overallRate: o.rate,
      duration: seconds,
      timeout: 10,
      requests: [progress, customersList, dashboard, progress, customersList, progress, order],
    });
    clearInterval(sampler);
    await sample();
    const loadAtEnd = loadAverage();

    // The last window opened before the load stopped; the campaign ends after its short waits.
    const outcome = await Promise.race([
      handle.result(),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 120_000).unref()),
    ]);
    const sends = (await db('sends').where({ campaign_id: campaignId })) as {
      id: string;
      status: string;
      provider_message_id: string | null;
    }[];
    const atStub = stub.deliveriesBySendId();
    const providerIds = new Map(stub.messages.map((m) => [m.variables.send_id!, m.id.replace(/^<|>$/g, '')]));
    const ledgerIds = new Set(sends.map((s) => s.id));
    const campaign = {
      status: outcome?.status ?? 'still running two minutes after the load',
      windows,
      planned: o.recipients,
      ledgerRows: sends.length,
      sent: sends.filter((s) => ['sent', 'unconfirmed', 'delivered'].includes(s.status)).length,
      reachedStubExactlyOnce: sends.filter((s) => atStub.get(s.id) === 1).length,
      reachedStubTwiceOrMore: [...atStub.values()].filter((n) => n > 1).length,
      neverReachedStub: sends.filter((s) => !atStub.has(s.id)).length,
      atStubWithoutLedgerRow: [...atStub.keys()].filter((id) => !ledgerIds.has(id)).length,
      // Mailgun's id for the call, alone or (one call carrying many messages) with the send id after `#`.
      ledgerMatchesStub: sends.filter((s) =>
        [providerIds.get(s.id), `${providerIds.get(s.id)}#${s.id}`].includes(s.provider_message_id ?? ''),
      ).length,
    };
    const memory = {
      api: memoryFigures(samples, (s) => s.apiMiB, o.warmupSeconds, seconds),
      worker: memoryFigures(samples, (s) => s.workerMiB, o.warmupSeconds, seconds),
      apiHeap: memoryFigures(samples, (s) => s.apiHeapMiB, o.warmupSeconds, seconds),
    };
    const requests = {
      total: result.requests.total,
      perSecond: round(result.requests.average),
      '2xx': result['2xx'],
      non2xx: result.non2xx,
      statusCodes: Object.fromEntries(
        Object.entries(result.statusCodeStats as Record<string, { count: number }>).map(([code, s]) => [code, s.count]),
      ),
      errors: result.errors,
      timeouts: result.timeouts,
      resets: result.resets,
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    };
    const checks = {
      noFailedRequests: requests.errors === 0 && requests.timeouts === 0 && requests.non2xx === 0,
      campaignCompleted: campaign.status === 'completed',
      everyMessageOnce:
        campaign.ledgerRows === campaign.planned &&
        campaign.reachedStubExactlyOnce === campaign.planned &&
        campaign.reachedStubTwiceOrMore === 0 &&
        campaign.atStubWithoutLedgerRow === 0,
      ledgerMatchesStub: campaign.ledgerMatchesStub === campaign.ledgerRows,
      apiMemoryFlat: memory.api.flat,
      workerMemoryFlat: memory.worker.flat,
    };
    const failed = Object.entries(checks)
      .filter(([, ok]) => !ok)
      .map(([name]) => name);
    if (failed.length) {
      log.error({ failed }, 'the soak failed');
      console.error(`Soak failed: ${failed.join(', ')}`);
      process.exitCode = 1;
    }
    return {
      settings: o,
      passed: failed.length === 0,
      checks,
      flatMemoryMeans: `the highest RSS of the second half within ${MAX_GROWTH * 100} % of the highest of the first half (after the ${o.warmupSeconds} s warm-up)`,
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: loadAtEnd,
      requests,
      memory,
      campaign,
      samples,
    };
  } finally {
    if (worker) await stopWorkerProcess(worker, 'SIGTERM');
    const code = await stopPlatform(api);
    if (code !== 0) log.warn({ code, stderr: api.stderr().slice(-2_000) }, 'the API process did not stop cleanly');
    await stub.close();
    await stopTemporal();
    rmSync(dataDir, { recursive: true, force: true });
  }
};

export default benchmark;
