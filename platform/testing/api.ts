import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import type pg from 'pg';
import path from 'node:path';
import { createProviders } from '../../activities/messaging/providers/index.ts';
import { plannerSummary } from '../../activities/planning/planner.ts';
import { campaignTimings, unsubscribeSecret } from '../../activities/settings.ts';
import { createApp, type Workflows } from '../../api/app.ts';
import { connectTemporalClient } from '../../temporal/client.ts';
import { taskQueues } from '../../temporal/task-queues.ts';
import { hashPassword } from '../../api/auth/passwords.ts';
import type { Role } from '../../api/auth/roles.ts';
import { listen, type ApiServer } from '../../api/server.ts';
import { createApiServices } from '../../api/services.ts';
import { createRealtime, type Realtime, type RealtimeOptions } from '../../api/realtime/socket.ts';
import { parseConfig } from '../config.ts';
import type { Db } from '../db.ts';
import type { Logger } from '../logger.ts';
import { temporalTestTarget, testLog, testTaskQueue } from './temporal.ts';

/** Responses in tests carry arbitrary JSON that each test inspects as it needs. */
export interface TestResponse extends Response {
  json(): Promise<any>;
}

export interface TestApi {
  url: string;
  server: ApiServer;
  services: ReturnType<typeof createApiServices>;
  /** The /ws endpoint, with its own database listener (await `realtime.ready` before relying on it). */
  realtime: Realtime;
  /** Creates a user with the role (once) and returns a Bearer access token for it. */
  tokenFor(role: Role): Promise<string>;
  /** fetch against the API with JSON in and out. */
  request(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<TestResponse>;
  close(): Promise<void>;
}

export const TEST_PASSWORD = 'correct horse battery staple';

/** A real API server on a free port, wired like production, over the test file's database. */
export async function startTestApi(
  db: Db,
  opts: {
    temporalReady?: () => Promise<boolean>;
    env?: NodeJS.ProcessEnv;
    workflows?: Workflows;
    realtime?: Partial<Pick<RealtimeOptions, 'windowMs' | 'heartbeatMs' | 'limits' | 'listenerBackoff'>>;
    /** Instead of the shared quiet test logger, e.g. one that a test reads. */
    log?: Logger;
    /** A span per request (the test registers the tracer provider). */
    tracing?: boolean;
    /** Serve the built web app too (platform/web-build.ts `webBuildDir`), for browser tests. */
    webBuildDir?: string;
  } = {},
): Promise<TestApi> {
  const cfg = parseConfig({
    DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'lma-api-')),
    AUTH_SECRET: 'test-secret-that-is-long-enough-for-hs256-signing',
    ...opts.env,
  });
  const services = createApiServices(db, cfg);
  // Without workers of the test's own, started workflows just wait on queues nobody polls.
  const temporal = opts.workflows
    ? undefined
    : await connectTemporalClient(temporalTestTarget().address, temporalTestTarget().namespace);
  const workflows = opts.workflows ?? { client: temporal!.client, queues: taskQueues(testTaskQueue('api')) };
  const app = createApp({
    db,
    log: opts.log ?? testLog,
    tracing: opts.tracing,
    webBuildDir: opts.webBuildDir,
    temporalReady: opts.temporalReady ?? (async () => true),
    loginAttemptsPerMinute: 1_000,
    workflows,
    config: cfg,
    campaignTimings: campaignTimings(cfg),
    unsubscribeSecret: unsubscribeSecret(cfg),
    system: {
      planner: plannerSummary(cfg),
      // Worked out on first use: tests that set part of a provider's settings only for its links
      // (MAILGUN_DOMAIN names the unsubscribe mailbox) never ask, and get no ProviderConfigError.
      get providers() {
        return createProviders(cfg, { db }).summary;
      },
    },
    ...services,
  });
  const realtime = createRealtime({
    db,
    log: testLog,
    ...services,
    connection: (db.client as { config: { connection: pg.ClientConfig } }).config.connection,
    allowedOrigins: [cfg.publicUrl, ...cfg.CORS_ORIGINS],
    ...opts.realtime,
  });
  // Not waiting for `realtime.ready`: some tests give an unreachable database on purpose.
  const server = await listen(app, 0, '127.0.0.1', { upgrades: realtime });
  const tokens = new Map<Role, string>();
  const passwordHash = await hashPassword(TEST_PASSWORD);

  return {
    url: server.url,
    server,
    services,
    realtime,
    async tokenFor(role) {
      let token = tokens.get(role);
      if (!token) {
        const email = `${role}@store.example`;
        const [user] = await db('users')
          .insert({ email, password_hash: passwordHash, role, display_name: role })
          .onConflict(db.raw('(lower(email))'))
          .merge()
          .returning(['id', 'email', 'role', 'access_version']);
        token = await services.tokens.issue({ userId: user.id, role, email, accessVersion: user.access_version });
        tokens.set(role, token);
      }
      return token;
    },
    request(method, p, o = {}) {
      return fetch(`${server.url}${p}`, {
        method,
        headers: {
          ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
          ...o.headers,
        },
        body: o.body !== undefined ? JSON.stringify(o.body) : undefined,
      }) as Promise<TestResponse>;
    },
    async close() {
      await server.close();
      await temporal?.close();
    },
  };
}

/** Polls until `read` returns something truthy: for writes that happen after a response is sent. */
export async function eventually<T>(read: () => Promise<T>, timeoutMs = 5_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 25));
  }
}
