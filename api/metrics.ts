import { Router, type RequestHandler, type Response } from 'express';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { z } from 'zod';
import type { EngagementIngestion } from '../activities/webhooks/ingestion.ts';
import { campaignStatuses } from '../domain/campaigns/lifecycle.ts';
import { STATUS_RANK, type SendStatus } from '../domain/webhooks/send-status.ts';
import type { Db } from '../platform/db.ts';
import type { Logger } from '../platform/logger.ts';
import { route } from './auth/middleware.ts';
import { defineRoute } from './route-spec.ts';

/**
 * What the API tells Prometheus: HTTP traffic by route template (never the raw URL: ids and
 * signed tokens would make a series per request), webhook lag measured as events arrive, and
 * business gauges read from PostgreSQL when scraped.
 */

const methods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

function routeOf(res: Response): string {
  const key = res.locals.routeKey;
  // Everything outside the route table (the web app's files, unknown paths) is one series.
  return key ? key.slice(key.indexOf(' ') + 1) : 'other';
}

export function httpMetrics(registry: Registry): RequestHandler {
  const requests = new Counter({
    name: 'lma_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code.',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'lma_http_request_duration_seconds',
    help: 'Time from a request arriving to its response being written, by method and route template.',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  // prom-client finds a series by hashing its labels on every call; each series is looked up
  // once here instead, a route template and status code at a time.
  const series = new Map<string, { count: () => void; time: (seconds: number) => void }>();
  const seriesOf = (method: string, route: string, status: number) => {
    const key = `${method} ${status} ${route}`;
    let found = series.get(key);
    if (!found) {
      const counter = requests.labels(method, route, String(status));
      const timer = duration.labels(method, route);
      found = { count: () => counter.inc(), time: (seconds) => timer.observe(seconds) };
      series.set(key, found);
    }
    return found;
  };
  return (req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      const s = seriesOf(methods.has(req.method) ? req.method : 'other', routeOf(res), res.statusCode);
      s.count();
      s.time((performance.now() - started) / 1000);
    });
    next();
  };
}

/**
 * Counts what became of every engagement event the API offers the ingestion (provider webhooks and
 * the click tracker; the sandbox's come from the worker), by source and result:
 * accepted (matched to a send, or `unmatched`: stored with no send), a `duplicate` of one already
 * received, a `replayed` signature, or `failed` (refused for want of room, or unwritable; the
 * provider retries). And for every newly accepted provider event, how long after the provider says
 * it happened it reached us; retried deliveries of an event we already have are not counted again.
 */
export function observeEngagement(
  ingestion: EngagementIngestion,
  registry: Registry,
  now: () => number = Date.now,
): EngagementIngestion {
  const lag = new Histogram({
    name: 'lma_webhook_lag_seconds',
    help: "Time from a provider's event timestamp to our receipt of the webhook, by provider.",
    labelNames: ['provider'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600],
    registers: [registry],
  });
  const events = new Counter({
    name: 'lma_engagement_events_total',
    help: 'Engagement events offered by provider webhooks and the click tracker, by source and result.',
    labelNames: ['source', 'result'],
    registers: [registry],
  });
  // One series per source and result, looked up once (prom-client hashes the labels on every call).
  const counters = new Map<string, () => void>();
  const count = (source: string, result: string) => {
    const key = `${source} ${result}`;
    let inc = counters.get(key);
    if (!inc) {
      const counter = events.labels(source, result);
      inc = () => counter.inc();
      counters.set(key, inc);
    }
    inc();
  };
  return {
    ...ingestion,
    async ingest(event) {
      const receivedAt = now();
      let outcome;
      try {
        outcome = await ingestion.ingest(event);
      } catch (err) {
        count(event.source, 'failed');
        throw err;
      }
      count(event.source, outcome.result === 'accepted' && outcome.unmatched ? 'unmatched' : outcome.result);
      // Our own click redirect and the sandbox stamp events with our clock: nothing to measure.
      if (outcome.result === 'accepted' && (event.source === 'mailgun' || event.source === 'twilio')) {
        lag.observe({ provider: event.source }, Math.max(0, receivedAt - event.occurredAt.getTime()) / 1000);
      }
      return outcome;
    },
  };
}

interface BusinessSnapshot {
  sends: { channel: string; status: string; n: number }[];
  campaigns: { status: string; n: number }[];
  plans: { planner: string; fallback: boolean; n: number }[];
  journeyEvents: { waiting: number; oldest_seconds: number };
}

const sendStatuses = Object.keys(STATUS_RANK) as SendStatus[];
const channels = ['email', 'sms'];

/**
 * Gauges counted in PostgreSQL at scrape time with one grouped query each. The answer is kept
 * for `cacheMs`, and scrapes that arrive while a query runs share it, so several Prometheus
 * servers (or a scrape storm) cost at most one round of queries per interval.
 */
export function businessMetrics(deps: { db: Db; log: Logger; registry: Registry; cacheMs?: number }): void {
  const { db, log, registry, cacheMs = 10_000 } = deps;
  let cached: { at: number; snapshot: Promise<BusinessSnapshot | undefined> } | undefined;

  async function query(): Promise<BusinessSnapshot> {
    const [sends, campaigns, plans, journeyEvents] = await Promise.all([
      db('sends').select('channel', 'status').count({ n: '*' }).groupBy('channel', 'status'),
      db('campaigns').select('status').count({ n: '*' }).groupBy('status'),
      // A fallback is a plan the LLM was asked for (its record names the model) but the
      // deterministic planner made; without an LLM configured, deterministic is the design.
      db('campaigns')
        .whereNotNull('plan_record')
        .select(
          db.raw(`plan_record->>'planner' as planner`),
          db.raw(`(plan_record->>'planner' = 'deterministic' and plan_record->>'model' is not null) as fallback`),
        )
        .count({ n: '*' })
        .groupByRaw('1, 2'),
      // The journey dispatcher's queue (partial index on the waiting events only).
      db
        .raw(
          `select (select count(*) from customer_events where dispatched_at is null)::int as waiting,
                  coalesce((select extract(epoch from now() - received_at) from customer_events
                            where dispatched_at is null order by seq limit 1), 0)::float8 as oldest_seconds`,
        )
        .then((r: { rows: BusinessSnapshot['journeyEvents'][] }) => r.rows[0]!),
    ]);
    return { sends, campaigns, plans, journeyEvents } as unknown as BusinessSnapshot;
  }

  function snapshot(): Promise<BusinessSnapshot | undefined> {
    if (!cached || Date.now() - cached.at > cacheMs) {
      const pending = query().catch((err: unknown) => {
        log.warn({ err }, 'business metrics could not be read from PostgreSQL');
        return undefined;
      });
      // Fresh from when the answer came: a slow query is shared, never started again meanwhile.
      const entry = { at: Number.POSITIVE_INFINITY, snapshot: pending };
      void pending.then(() => (entry.at = Date.now()));
      cached = entry;
    }
    return cached.snapshot;
  }

  new Gauge({
    name: 'lma_business_metrics_up',
    help: '1 when the business gauges below were read from PostgreSQL, 0 when that failed.',
    registers: [registry],
    async collect() {
      this.set((await snapshot()) ? 1 : 0);
    },
  });

  new Gauge({
    name: 'lma_sends',
    help: 'Send ledger rows by channel and status (a failed send stays failed; watch its increase).',
    labelNames: ['channel', 'status'],
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      if (!s) return;
      // Zero rows are series too, so that rate and ratio queries see 0 instead of nothing.
      for (const channel of channels) for (const status of sendStatuses) this.set({ channel, status }, 0);
      for (const r of s.sends) this.set({ channel: r.channel, status: r.status }, Number(r.n));
    },
  });

  new Gauge({
    name: 'lma_campaigns',
    help: 'Campaigns by status.',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      if (!s) return;
      for (const status of campaignStatuses) this.set({ status }, 0);
      for (const r of s.campaigns) this.set({ status: r.status }, Number(r.n));
    },
  });

  new Gauge({
    name: 'lma_campaign_plans',
    help: 'Campaign plans by the planner that made them; fallback="true" when the LLM was asked but the deterministic planner made the plan.',
    labelNames: ['planner', 'fallback'],
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      if (!s) return;
      this.set({ planner: 'deterministic', fallback: 'true' }, 0);
      for (const r of s.plans) this.set({ planner: r.planner, fallback: String(r.fallback) }, Number(r.n));
    },
  });

  new Gauge({
    name: 'lma_journey_events_waiting',
    help: 'Events the API accepted that the journey dispatcher has not yet delivered to their journeys.',
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      if (s) this.set(s.journeyEvents.waiting);
    },
  });

  new Gauge({
    name: 'lma_journey_events_oldest_waiting_seconds',
    help: 'How long the oldest undelivered event has waited since it was accepted: the accept-to-journey lag now (0 when none waits).',
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      if (s) this.set(s.journeyEvents.oldest_seconds);
    },
  });
}

export const metricsRoutes = {
  scrape: defineRoute({
    key: 'GET /metrics',
    tag: 'Operations',
    summary: "This API process's metrics for Prometheus",
    description:
      'HTTP traffic by route template, webhook lag, sends by channel and status, campaigns by status, ' +
      'planner fallbacks, journey events waiting for delivery and the longest wait, and the Node.js ' +
      'process metrics, in the Prometheus text format. For an admin, ' +
      'or an API key with the `metrics` scope.',
    responses: {
      200: { description: 'Prometheus text exposition format 0.0.4.', schema: z.string(), mediaType: 'text/plain' },
    },
  }),
};

/** `GET /metrics` in Prometheus' text format, for an admin or an API key with the `metrics` scope. */
export function metricsRouter(deps: { registry: Registry }): Router {
  const router = Router();
  route(router, metricsRoutes.scrape, async (_req, res) => {
    const body = await deps.registry.metrics();
    res.type(deps.registry.contentType).send(body);
  });
  return router;
}
