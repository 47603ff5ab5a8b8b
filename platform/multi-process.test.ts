import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedDemo } from '../bench/datagen/seed.ts';
import { progressOf, TestSocket } from '../api/realtime/testing.ts';
import { connectTemporalClient, type TemporalClient } from '../temporal/client.ts';
import { taskQueues } from '../temporal/task-queues.ts';
import { writeWorkflowBundle } from '../temporal/workflow-bundle.ts';
import type { scoreCustomersWorkflow } from '../workflows/score-customers.ts';
import { freePort } from './processes.ts';
import { CAMPAIGN_TZ, campaignLedger, localDate } from './testing/campaigns.ts';
import { createTestDatabase, type TestDatabase } from './testing/database.ts';
import { testTaskQueue } from './testing/temporal.ts';

/**
 * The production process roles, as separate processes of the real entry point (platform/main.ts):
 * two API processes and two workers on one Temporal server and one PostgreSQL, running a campaign.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'lma-multi-'));
chmodSync(dir, 0o755);

interface Proc {
  child: ChildProcess;
  output: () => string;
}

function launch(env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, ['platform/main.ts'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return { child, output: () => out };
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  procs: Proc[] = [],
  ms = 120_000,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await Promise.resolve()
      .then(probe)
      .catch(() => undefined);
    if (value !== undefined) return value;
    const dead = procs.find((p) => p.child.exitCode !== null);
    if (dead) throw new Error(`a process exited before ${what}:\n${dead.output().slice(-3_000)}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function stop(proc: Proc): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.child.once('exit', resolve));
  proc.child.kill('SIGTERM');
  await exited;
}

describe('two API processes and two workers on one Temporal server and one PostgreSQL', () => {
  let t: TestDatabase;
  let temporal: TemporalClient;
  const procs: Proc[] = [];
  const apis: string[] = [];
  const prefix = testTaskQueue('multi');
  const queues = taskQueues(prefix);
  let common: NodeJS.ProcessEnv;

  beforeAll(async () => {
    t = await createTestDatabase();
    const bundle = path.join(dir, 'workflow-bundle.js');
    await writeWorkflowBundle(bundle);
    common = {
      DATABASE_URL: t.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
      TEMPORAL_TASK_QUEUE_PREFIX: prefix,
      WORKFLOW_BUNDLE: bundle,
      // Shared by every replica, as in production: tokens from one API are good on the other.
      AUTH_SECRET: 'multi-process-test-secret-that-is-long-enough',
      UNSUBSCRIBE_SECRET: 'multi-process-unsubscribe-secret-long-enough',
      ADMIN_EMAIL: 'owner@store.example',
      STORE_TIME_ZONE: CAMPAIGN_TZ,
      CAMPAIGN_DAY_LENGTH: '3 seconds',
      SEND_HOURS: '00:00-23:59',
      SEND_RETRY_DELAY: '1 second',
      DELIVERY_WAIT: '2 seconds',
      ENGAGEMENT_WINDOW: '2 seconds',
      WORKER_METRICS_ADDRESS: 'off',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    };
    await seedDemo(t.db, { seed: 21, customerCount: 400, asOf: new Date(), timeZone: CAMPAIGN_TZ });
    for (let i = 0; i < 2; i++) {
      procs.push(launch({ ...common, ROLE: 'worker', DATA_DIR: path.join(dir, `worker-${i}`) }));
    }
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const proc = launch({ ...common, ROLE: 'api', PORT: String(port), DATA_DIR: path.join(dir, `api-${i}`) });
      procs.push(proc);
      apis.push(`http://127.0.0.1:${port}`);
      await until('the API banner', () => (proc.output().includes('Press Ctrl-C to stop.') ? true : undefined), [proc]);
    }
    for (const proc of procs.slice(0, 2)) {
      await until('the worker banner', () => (proc.output().includes('Press Ctrl-C to stop.') ? true : undefined), [
        proc,
      ]);
    }
    temporal = await connectTemporalClient(inject('temporalAddress'), inject('temporalNamespace'));
    await temporal.client.workflow.execute<typeof scoreCustomersWorkflow>('scoreCustomersWorkflow', {
      taskQueue: queues.workflows,
      workflowId: `${prefix}-score`,
      args: [{ trigger: 'manual', scoringTaskQueue: queues.scoring }],
    });
  }, 300_000);

  afterAll(async () => {
    await Promise.all(procs.map(stop));
    await temporal?.close();
    await t?.drop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('spreads a campaign over both workers, sends each message once, and both APIs stream its progress', async () => {
    // Every process migrates and makes sure an admin exists; exactly one of them created it.
    const creators = procs.filter((p) => p.output().includes('First start'));
    expect(creators).toHaveLength(1);
    const password = /password: +(\S+)/.exec(creators[0]!.output())?.[1];
    expect(password).toBeDefined();
    const login = await fetch(`${apis[1]}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'owner@store.example', password }),
    });
    expect(login.status).toBe(200);
    const { accessToken } = (await login.json()) as { accessToken: string };
    const auth = { authorization: `Bearer ${accessToken}` };
    const call = async (api: string, method: string, url: string, body?: unknown) => {
      const res = await fetch(`${api}${url}`, {
        method,
        headers: { ...auth, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const json = res.status === 204 ? undefined : ((await res.json()) as Record<string, any>);
      if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
      return json!;
    };

    // Created through one API process, driven through the other.
    const created = await call(apis[0]!, 'POST', '/api/campaigns', {
      name: 'Two of everything',
      type: 'holiday',
      goal: 'Holiday gift sets, before the rush',
      channels: ['email', 'sms'],
      startsOn: localDate(0),
      windowDays: 3,
      audienceSize: 200,
      holdoutShare: 0,
    });
    const id = created.id as string;
    const sockets = apis.map((api) => new TestSocket(api, auth));
    await Promise.all(sockets.map((s) => s.opened));
    await Promise.all(sockets.map((s) => s.subscribe([`campaign:${id}`])));

    await call(apis[1]!, 'POST', `/api/campaigns/${id}/generate`);
    await until('the plan', async () => {
      const p = await call(apis[0]!, 'GET', `/api/campaigns/${id}/progress`);
      return p.status === 'awaiting_approval' ? p : undefined;
    });
    await call(apis[0]!, 'POST', `/api/campaigns/${id}/approve`);
    await call(apis[1]!, 'POST', `/api/campaigns/${id}/start`);
    const done = await until(
      'the campaign to complete',
      async () => {
        const p = await call(apis[1]!, 'GET', `/api/campaigns/${id}/progress`);
        return p.status === 'completed' || p.status === 'failed' ? p : undefined;
      },
      procs,
      240_000,
    );
    expect(done.status).toBe('completed');

    // WebSocket clients on either API process saw the progress, through PostgreSQL LISTEN/NOTIFY.
    for (const socket of sockets) {
      const seen = await socket.next(
        progressOf(id, (p) => Object.values(p.counts).some((n) => (n ?? 0) > 0)),
        { timeoutMs: 30_000 },
      );
      expect(seen.progress.campaignId).toBe(id);
      socket.close();
    }

    // Each planned message has one ledger row and went out once.
    const { planned, sends, outbox } = await campaignLedger(t.db, id);
    expect(planned.length).toBeGreaterThan(50);
    expect(sends.map((s) => s.id).sort()).toEqual([...planned].sort());
    expect(new Set(outbox.map((o) => o.send_id)).size).toBe(outbox.length);

    // The activities of the campaign and the scoring run were taken by both worker processes.
    const identities = new Set<string>();
    for (const workflowId of [`campaign-${id}`, `${prefix}-score`]) {
      const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
      for (const e of history.events ?? []) {
        const started = e.activityTaskStartedEventAttributes;
        if (started?.identity) identities.add(started.identity);
      }
    }
    const workerPids = procs.slice(0, 2).map((p) => String(p.child.pid));
    const byWorker = workerPids.map((pid) => [...identities].filter((i) => i.startsWith(`${pid}@`)).length);
    expect(byWorker, JSON.stringify([...identities])).toEqual([expect.any(Number), expect.any(Number)]);
    expect(
      byWorker.every((n) => n > 0),
      JSON.stringify({ identities: [...identities], workerPids }),
    ).toBe(true);
  }, 360_000);
});
