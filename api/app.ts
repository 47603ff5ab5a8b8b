import { randomUUID } from 'node:crypto';
import cookieParser from 'cookie-parser';
import cors from 'cors';
import express, { type ErrorRequestHandler, type Express, type Request, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Client } from '@temporalio/client';
import type { TaskQueues } from '../temporal/task-queues.ts';
import type { Config } from '../platform/config.ts';
import type { Db } from '../platform/db.ts';
import type { CampaignTimings } from '../workflows/campaign-messages.ts';
import type { Logger } from '../platform/logger.ts';
import { auditTrail, createAuditLog, type AuditLog } from './audit.ts';
import { createEngagementIngestion, type EngagementIngestion } from '../activities/webhooks/ingestion.ts';
import { clickRedirectRouter } from './routes/click-redirect.ts';
import { webhooksRouter, type WebhookConfig } from './routes/webhooks.ts';
import type { ApiKeys } from './auth/api-keys.ts';
import type { UserAccess } from './auth/user-access.ts';
import { authenticate } from './auth/middleware.ts';
import type { Sessions } from './auth/sessions.ts';
import type { AccessTokens } from './auth/tokens.ts';
import { HttpProblem, sendProblem } from './problem.ts';
import { apiKeysRouter } from './routes/api-keys.ts';
import { auditLogRouter } from './routes/audit-log.ts';
import { authRouter } from './routes/auth.ts';
import { customersRouter } from './routes/customers.ts';
import { campaignsRouter } from './routes/campaigns.ts';
import { campaignCopyRouter } from './routes/campaign-copy.ts';
import { campaignSendsRouter } from './routes/campaign-sends.ts';
import { importsRouter } from './routes/imports.ts';
import { scoringRouter } from './routes/scoring.ts';
import { segmentsRouter } from './routes/segments.ts';
import { healthRouter, type ReadinessProbe } from './routes/health.ts';
import { messageSettings, type MessageConfig } from '../activities/messaging/variables.ts';
import { messagesRouter } from './routes/messages.ts';
import { outboxRouter } from './routes/outbox.ts';
import { analyticsRouter, type AnalyticsConfig } from './routes/analytics.ts';
import { ordersRouter } from './routes/orders.ts';
import { eventsRouter } from './routes/events.ts';
import { journeysRouter } from './routes/journeys.ts';
import { recipientLinksRouter } from './routes/recipient-links.ts';
import { systemRouter, type SystemInfo } from './routes/system.ts';
import { docsRouter } from './routes/docs.ts';
import { openApiDocument } from './openapi.ts';
import { realtimeRouter } from './realtime/socket.ts';
import { webAppRouter } from './web-app.ts';
import { dashboardRouter } from './routes/dashboard.ts';
import { settingsRouter, type ComplianceConfig } from './routes/settings.ts';
import { usersRouter } from './routes/users.ts';
import { createMetricsRegistry, type Registry } from '../platform/metrics.ts';
import { businessMetrics, httpMetrics, metricsRouter, observeEngagement } from './metrics.ts';
import { requestLog } from './request-log.ts';
import { gated } from './router-gate.ts';
import { series } from './series.ts';
import { httpTracing } from './tracing.ts';

export { HttpProblem } from './problem.ts';

/** The process's one Temporal client and the task queues workflows are started on. */
export interface Workflows {
  client: Client;
  queues: TaskQueues;
}

export interface ApiDeps {
  db: Db;
  log: Logger;
  /** Temporal reachability, from the process's one Temporal client. */
  temporalReady: ReadinessProbe;
  workflows: Workflows;
  config: Pick<Config, 'STORE_TIME_ZONE' | 'DEFAULT_PHONE_REGION' | 'CORS_ORIGINS'> &
    MessageConfig &
    WebhookConfig &
    AnalyticsConfig &
    ComplianceConfig;
  campaignTimings: CampaignTimings;
  tokens: AccessTokens;
  sessions: Sessions;
  apiKeys: ApiKeys;
  userAccess: UserAccess;
  loginAttemptsPerMinute?: number;
  /** Signs and checks the unsubscribe and preference links in messages. */
  unsubscribeSecret: string;
  /** Where webhook and click events go in; built here unless the process keeps one to close on shutdown. */
  engagement?: EngagementIngestion;
  /** Where the audit trail is written; built here unless the process keeps one to flush on shutdown. */
  audit?: AuditLog;
  /** The planner and messaging providers in use, worked out from the config by the process. */
  system: SystemInfo;
  /** The built marketer app (web/build) to serve on the API's port; none in most tests. */
  webBuildDir?: string;
  /** The process's metrics registry; a fresh one when not given. */
  metrics?: Registry;
  /** A span per request when the process traces (platform/tracing.ts). */
  tracing?: boolean;
}

const requestId: RequestHandler = (req, res, next) => {
  const incoming = req.get('x-request-id');
  const id = incoming && /^[\w.-]{1,100}$/.test(incoming) ? incoming : randomUUID();
  res.locals.requestId = id;
  res.setHeader('x-request-id', id);
  next();
};

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  const metrics = deps.metrics ?? createMetricsRegistry();
  // Listed origins may call with credentials; everyone else gets no CORS headers at all.
  const corsOrigins = new Set(deps.config.CORS_ORIGINS);
  const allowed = { origin: true, credentials: true, exposedHeaders: ['x-request-id'], maxAge: 600 };
  app.use(
    series(
      requestId,
      ...(deps.tracing ? [httpTracing()] : []),
      httpMetrics(metrics),
      requestLog(deps.log),
      helmet(),
      ...(corsOrigins.size > 0
        ? [
            cors<Request>((req, callback) =>
              callback(null, corsOrigins.has(req.get('origin') ?? '') ? allowed : { origin: false }),
            ),
          ]
        : []),
    ),
  );
  // Provider webhooks and tracked links come before the API's body parser, authentication and
  // audit trail: a signature or a signed link is their authentication, their receipts their record.
  const engagement = observeEngagement(
    deps.engagement ?? createEngagementIngestion({ db: deps.db, log: deps.log }),
    metrics,
  );
  // Each router sees only the requests its routes could match (api/router-gate.ts).
  app.use(
    gated(
      webhooksRouter({ ingestion: engagement, config: deps.config }),
      clickRedirectRouter({ ingestion: engagement, unsubscribeSecret: deps.unsubscribeSecret, log: deps.log }),
    ),
  );
  // Imports parse their own, larger bodies (or stream CSV).
  const json = express.json({ limit: '1mb' });
  app.use(
    series(
      (req, res, next) => (req.path.startsWith('/api/imports') ? next() : json(req, res, next)),
      cookieParser(),
      authenticate({ tokens: deps.tokens, apiKeys: deps.apiKeys, userAccess: deps.userAccess }),
      auditTrail(deps.audit ?? createAuditLog({ db: deps.db, log: deps.log })),
    ),
  );

  businessMetrics({ db: deps.db, log: deps.log, registry: metrics });
  app.use(
    gated(
      healthRouter({ db: deps.db, temporalReady: deps.temporalReady }),
      metricsRouter({ registry: metrics }),
      authRouter({ sessions: deps.sessions, loginAttemptsPerMinute: deps.loginAttemptsPerMinute ?? 10 }),
      systemRouter({ system: deps.system }),
      apiKeysRouter({ apiKeys: deps.apiKeys }),
      auditLogRouter({ db: deps.db }),
      customersRouter({ db: deps.db }),
      segmentsRouter({ db: deps.db }),
      scoringRouter({ db: deps.db, workflows: deps.workflows }),
      importsRouter({ db: deps.db, log: deps.log, workflows: deps.workflows, config: deps.config }),
      campaignsRouter({ db: deps.db, workflows: deps.workflows, config: deps.config, timings: deps.campaignTimings }),
      campaignCopyRouter({ db: deps.db, storeName: deps.config.STORE_NAME }),
      campaignSendsRouter({ db: deps.db }),
      recipientLinksRouter({
        db: deps.db,
        unsubscribeSecret: deps.unsubscribeSecret,
        storeName: deps.config.STORE_NAME,
      }),
      messagesRouter({ db: deps.db, settings: messageSettings(deps.config, deps.unsubscribeSecret) }),
      outboxRouter({ db: deps.db }),
      docsRouter({ document: openApiDocument }),
      dashboardRouter({ db: deps.db, timeZone: deps.config.STORE_TIME_ZONE }),
      usersRouter({ db: deps.db, userAccess: deps.userAccess }),
      settingsRouter({ config: deps.config }),
      ordersRouter({ db: deps.db, config: deps.config }),
      eventsRouter({ db: deps.db, config: deps.config }),
      journeysRouter({ db: deps.db, storeName: deps.config.STORE_NAME }),
      analyticsRouter({ db: deps.db, log: deps.log, config: deps.config }),
      realtimeRouter(),
    ),
  );

  app.use('/api', (_req, res) => sendProblem(res, { status: 404, title: 'Not Found', detail: 'No such API route.' }));
  if (deps.webBuildDir) app.use(webAppRouter({ buildDir: deps.webBuildDir }));

  const onError: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    if (err instanceof HttpProblem) {
      for (const [name, value] of Object.entries(err.headers ?? {})) res.setHeader(name, value);
      return sendProblem(res, { status: err.status, title: err.title, detail: err.detail, errors: err.errors });
    }
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500) {
      // Body-parser errors: malformed JSON, a body over the limit, a wrong charset.
      return sendProblem(res, { status, title: 'Bad Request', detail: (err as Error).message });
    }
    deps.log.error({ err, requestId: res.locals.requestId, path: req.path }, 'unhandled error');
    sendProblem(res, { status: 500, title: 'Internal Server Error' });
  };
  app.use(onError);
  return app;
}
