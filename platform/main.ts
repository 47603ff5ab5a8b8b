import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createApp } from '../api/app.ts';
import { createAuditLog } from '../api/audit.ts';
import { ensureFirstAdmin } from '../api/auth/first-admin.ts';
import { listen } from '../api/server.ts';
import { createApiServices } from '../api/services.ts';
import { createRealtime } from '../api/realtime/socket.ts';
import { temporalUiOf } from '../api/routes/system.ts';
import { connectTemporalClient, isTemporalReachable } from '../temporal/client.ts';
import { temporalConnectionOptions } from '../temporal/connection-options.ts';
import { ensureNamespace } from '../temporal/namespace.ts';
import { ensureAnalyticsSchedule, ensureScoringSchedule } from '../temporal/schedules.ts';
import { ensureSandboxEventsSchedule } from '../temporal/sandbox-events-schedule.ts';
import { ensureJourneyDispatcher } from '../temporal/journey-starts.ts';
import { taskQueues } from '../temporal/task-queues.ts';
import { installRuntimeLogger, startWorkers } from '../temporal/worker.ts';
import { readWorkflowBundle } from '../temporal/workflow-bundle.ts';
import { activityDeps, campaignTimings, unsubscribeSecret } from '../activities/settings.ts';
import { createProviders } from '../activities/messaging/providers/index.ts';
import { plannerSummary } from '../activities/planning/planner.ts';
import { createEngagementIngestion } from '../activities/webhooks/ingestion.ts';
import type { selfCheckWorkflow } from '../workflows/self-check.ts';
import { config, ConfigError } from './config.ts';
import { createDb } from './db.ts';
import { createLogger, describeDatabaseUrl } from './logger.ts';
import { migrateToLatest } from './migrate.ts';
import { startEmbeddedPostgres } from './postgres.ts';
import { StartupError } from './processes.ts';
import { startEmbeddedTemporal } from './temporal-server.ts';
import { startTracing } from './tracing.ts';
import { ensureWebBuild, webBuildDir } from './web-build.ts';

/**
 * `npm start`: the whole platform in one process on embedded defaults — PostgreSQL and the
 * Temporal dev server as supervised children unless DATABASE_URL / TEMPORAL_ADDRESS point
 * elsewhere, then migrations, the worker and the API. Ctrl-C stops everything in order.
 */

type Stop = () => Promise<void>;
const stops: { name: string; stop: Stop }[] = [];
let shuttingDown = false;

async function shutdown(log: ReturnType<typeof createLogger>, code: number): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true;
    // Reverse start order: API stops taking requests, worker drains, then the servers go.
    for (const { name, stop } of stops.reverse()) {
      try {
        await stop();
        log.info(`${name} stopped`);
      } catch (err) {
        log.error({ err }, `${name} did not stop cleanly`);
      }
    }
  }
  process.exit(code);
}

async function main(): Promise<void> {
  const cfg = config();
  const log = createLogger(cfg.LOG_LEVEL);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (shuttingDown) {
        log.warn('second interrupt: exiting without waiting');
        process.exit(130);
      }
      log.info({ signal }, 'shutting down');
      void shutdown(log, 0);
    });
  }

  mkdirSync(cfg.dataDir, { recursive: true });
  const started = Date.now();
  // Before any worker or native connection: the Temporal runtime is made once, with its metrics.
  if (cfg.ROLE !== 'api') {
    installRuntimeLogger(log, {
      metricsAddress: cfg.WORKER_METRICS_ADDRESS === 'off' ? undefined : cfg.WORKER_METRICS_ADDRESS,
    });
  }
  const tracing = startTracing({ endpoint: cfg.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: cfg.OTEL_SERVICE_NAME });
  // Stopped last, so that the spans of everything stopping before it are sent.
  if (tracing) stops.push({ name: 'tracing', stop: tracing.shutdown });

  let databaseUrl = cfg.DATABASE_URL;
  let postgresWhere: string;
  if (databaseUrl) {
    postgresWhere = describeDatabaseUrl(databaseUrl);
  } else {
    const pg = await startEmbeddedPostgres({
      dir: path.join(cfg.dataDir, 'postgres'),
      port: cfg.EMBEDDED_POSTGRES_PORT,
      log,
    });
    stops.push({ name: 'PostgreSQL', stop: pg.stop });
    databaseUrl = pg.url;
    postgresWhere = `embedded, 127.0.0.1:${cfg.EMBEDDED_POSTGRES_PORT}, data in ${path.join(cfg.dataDir, 'postgres')}`;
  }

  let temporalAddress = cfg.TEMPORAL_ADDRESS;
  let temporalUi = 'the Temporal Web UI of your cluster';
  if (!temporalAddress) {
    const temporal = await startEmbeddedTemporal(cfg, log);
    stops.push({ name: 'Temporal dev server', stop: temporal.stop });
    temporalAddress = temporal.address;
    temporalUi = temporal.uiUrl;
  }

  const db = createDb(databaseUrl, cfg.DATABASE_POOL_MAX);
  stops.push({ name: 'database pool', stop: () => db.destroy() });
  const applied = await migrateToLatest(db);
  if (applied.length) log.info({ applied }, 'migrations applied');
  const admin = await ensureFirstAdmin(db, cfg.ADMIN_EMAIL);

  // mTLS / Temporal Cloud only apply to an external cluster; the embedded dev server is plaintext on loopback.
  const temporalConnection = cfg.TEMPORAL_ADDRESS ? temporalConnectionOptions(cfg) : {};
  const temporal = await connectTemporalClient(temporalAddress, cfg.TEMPORAL_NAMESPACE, {
    tracing: !!tracing,
    connection: temporalConnection,
  });
  stops.push({ name: 'Temporal client', stop: temporal.close });
  if (cfg.TEMPORAL_ADDRESS) await ensureNamespace(temporal.connection, cfg.TEMPORAL_NAMESPACE);

  // One set of providers per process: the worker sends through them, the API shows their summary.
  const providers = createProviders(cfg, { db });
  const queues = taskQueues(cfg.TEMPORAL_TASK_QUEUE_PREFIX);
  await ensureScoringSchedule(temporal.client, { queues, cron: cfg.SCORING_SCHEDULE, timeZone: cfg.STORE_TIME_ZONE });
  await ensureSandboxEventsSchedule(temporal.client, { queues, enabled: providers.sandbox !== undefined });
  await ensureAnalyticsSchedule(temporal.client, {
    queues,
    cron: cfg.ANALYTICS_SCHEDULE,
    timeZone: cfg.STORE_TIME_ZONE,
  });
  // Events the API accepted reach their journeys through it; it runs on whichever worker takes it.
  await ensureJourneyDispatcher(temporal.client, { queues });
  if (cfg.ROLE !== 'api') {
    const workers = await startWorkers({
      address: temporalAddress,
      connectionOptions: temporalConnection,
      namespace: cfg.TEMPORAL_NAMESPACE,
      queues,
      kinds: cfg.WORKER_TASK_QUEUES,
      deps: activityDeps(cfg, db, log, providers),
      tracing,
      ...(cfg.WORKFLOW_BUNDLE ? { workflowBundle: readWorkflowBundle(cfg.WORKFLOW_BUNDLE) } : {}),
    });
    stops.push({ name: 'worker', stop: () => workers.shutdown() });
    workers.run().catch((err: unknown) => {
      log.fatal({ err }, 'worker failed');
      void shutdown(log, 1);
    });
  }

  let apiUrl = '(not started: ROLE=worker)';
  if (cfg.ROLE !== 'worker') {
    try {
      ensureWebBuild((message) => log.info(message));
    } catch (err) {
      log.error({ err }, 'the web app could not be built; the API serves the previous build, if any');
    }
    // One buffer for every webhook and click of the process; closed (flushed) after the API stops.
    const engagement = createEngagementIngestion({ db, log });
    stops.push({ name: 'engagement ingestion', stop: () => engagement.close() });
    const audit = createAuditLog({ db, log });
    stops.push({ name: 'audit trail', stop: () => audit.close() });
    const services = createApiServices(db, cfg);
    // WebSocket clients hear of ledger and status changes over the database, whichever process made them.
    const realtime = createRealtime({
      db,
      log,
      ...services,
      connection: { connectionString: databaseUrl },
      allowedOrigins: [cfg.publicUrl, ...cfg.CORS_ORIGINS],
    });
    const api = await listen(
      createApp({
        db,
        log,
        temporalReady: () => isTemporalReachable(temporal.connection, cfg.TEMPORAL_NAMESPACE),
        workflows: { client: temporal.client, queues },
        config: cfg,
        campaignTimings: campaignTimings(cfg),
        unsubscribeSecret: unsubscribeSecret(cfg),
        system: { planner: plannerSummary(cfg), providers: providers.summary, temporalUi: temporalUiOf(cfg) },
        tracing: !!tracing,
        webBuildDir,
        engagement,
        audit,
        ...services,
      }),
      cfg.PORT,
      cfg.HOST,
      { upgrades: realtime },
    );
    stops.push({ name: 'API', stop: () => api.close() });
    apiUrl = cfg.PUBLIC_URL ?? api.url;
  }

  if (cfg.ROLE === 'all') {
    const check = await temporal.client.workflow.execute<typeof selfCheckWorkflow>('selfCheckWorkflow', {
      taskQueue: queues.workflows,
      workflowId: `self-check-${randomUUID()}`,
      workflowExecutionTimeout: '2 minutes',
    });
    log.info({ check }, 'self-check workflow completed');
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const lines = [
    '',
    `Liquor Marketing Agent is running (started in ${seconds} s).`,
    `  App and API    ${apiUrl}   (health: ${apiUrl}/healthz, readiness: ${apiUrl}/readyz)`,
    `  Temporal UI    ${temporalUi}/namespaces/${cfg.TEMPORAL_NAMESPACE}/workflows`,
    `  Temporal       ${temporalAddress}, namespace ${cfg.TEMPORAL_NAMESPACE}`,
    `  PostgreSQL     ${postgresWhere}`,
  ];
  if (admin) {
    lines.push(
      '',
      '  First start: an admin user was created. Save this password now; it is not shown again.',
      `    e-mail:   ${admin.email}`,
      `    password: ${admin.password}`,
    );
  }
  lines.push('', 'Press Ctrl-C to stop.', '');
  // The banner goes to the terminal, not the JSON log: it holds the one-time admin password.
  process.stdout.write(lines.join('\n'));
}

main().catch((err: unknown) => {
  const log = createLogger('info');
  if (err instanceof StartupError || err instanceof ConfigError) {
    process.stderr.write(`\nCannot start: ${err.message}\n\n`);
  } else {
    log.fatal({ err }, 'start-up failed');
  }
  void shutdown(log, 1);
});
