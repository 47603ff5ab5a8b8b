/**
 * Crash safety at scale (issue #13): a campaign of 20,000 recipients sent through the Mailgun
 * stub while its sends worker, a real child process, is SIGKILLed at random points at least 5
 * times and restarted after each. Reports whether every planned message reached the stub
 * exactly once and whether the ledger matches the stub's log, with the time it took next to a
 * baseline run of the same size in the same run with no kills. The suite's version (300
 * recipients, 3 kills) is workflows/campaign-crash.test.ts.
 *
 *   npm run bench -- campaign-crash [--recipients 20000] [--kills 5]
 */
import type { ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { activityDeps } from '../activities/settings.ts';
import { parseConfig } from '../platform/config.ts';
import type { Db } from '../platform/db.ts';
import { ALL_DAY, seedSendableCampaign, startSending } from '../platform/testing/sendable-campaign.ts';
import { startWorkerProcess, stopWorkerProcess } from '../platform/testing/worker-process.ts';
import { taskQueues } from '../temporal/task-queues.ts';
import { startWorkers } from '../temporal/worker.ts';
import { startMailgunStub } from './stubs/mailgun-stub.ts';
import { startBenchTemporal } from './dev-temporal.ts';
import type { Benchmark } from './types.ts';

const NAMESPACE = 'lma-bench';
const apiKey = 'key-bench';
const domain = 'mg.bench.example';

const benchmark: Benchmark = async ({ db: openDb, log, args }) => {
  const { values } = parseArgs({ args, options: { recipients: { type: 'string' }, kills: { type: 'string' } } });
  const recipients = Number(values.recipients ?? 20_000);
  const kills = Number(values.kills ?? 5);
  if (!Number.isSafeInteger(recipients) || recipients < 100) throw new RangeError('--recipients: at least 100');
  if (!Number.isSafeInteger(kills) || kills < 1) throw new RangeError('--kills: at least 1');

  const db: Db = await openDb();
  const { server, temporal, stop: stopTemporal } = await startBenchTemporal(log, NAMESPACE);
  const stub = await startMailgunStub({ apiKey, domain });
  const env = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'error',
    DATABASE_URL: (db.client.config.connection as { connectionString: string }).connectionString,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: NAMESPACE,
    MAILGUN_API_KEY: apiKey,
    MAILGUN_DOMAIN: domain,
    MAILGUN_BASE_URL: stub.url,
    UNSUBSCRIBE_SECRET: 'bench-unsubscribe-secret-long-enough-0123456789',
    STORE_TIME_ZONE: 'UTC',
    SEND_HOURS: ALL_DAY,
    FREQUENCY_CAP: '100/1',
  };
  const cfg = parseConfig(env);

  /** One campaign, killing the sends worker `killCount` times; its figures. */
  async function run(name: string, killCount: number) {
    const prefix = `bench-crash-${name}-${Date.now()}`;
    const queues = taskQueues(prefix);
    const workflows = await startWorkers({
      address: server.address,
      namespace: NAMESPACE,
      queues,
      deps: activityDeps(cfg, db, log),
      kinds: ['workflows'],
    });
    const workerEnv = { ...env, TEMPORAL_TASK_QUEUE_PREFIX: prefix };
    let child: ChildProcess = await startWorkerProcess(workerEnv);
    const before = new Map(stub.deliveriesBySendId());
    try {
      const { campaignId } = await seedSendableCampaign(db, { recipients, name: `crash bench ${name}` });
      const started = performance.now();
      const handle = await startSending(temporal.client, queues, campaignId);
      const killedAt: number[] = [];
      const delivered = () => stub.messages.length;
      const start = delivered();
      for (let k = 0; k < killCount; k++) {
        // Random points spread over the campaign: somewhere in the next 1/(kills+1) of it.
        const stretch = Math.floor(recipients / (killCount + 1));
        const at = delivered() + 1 + Math.floor(Math.random() * stretch);
        while (delivered() < at) await new Promise((r) => setTimeout(r, 2));
        killedAt.push(delivered() - start);
        await stopWorkerProcess(child, 'SIGKILL');
        child = await startWorkerProcess(workerEnv);
      }
      const result = await handle.result();
      const seconds = (performance.now() - started) / 1000;

      const sends = (await db('sends').where({ campaign_id: campaignId })) as {
        id: string;
        status: string;
        provider_message_id: string | null;
      }[];
      const counts = stub.deliveriesBySendId();
      // The ledger's id of a Mailgun message: its call's id and its send id (a call carries many).
      const providerIds = new Map(
        stub.messages.map((m) => [m.variables.send_id!, `${m.id.replace(/^<|>$/g, '')}#${m.variables.send_id}`]),
      );
      const reached = sends.map((s) => (counts.get(s.id) ?? 0) - (before.get(s.id) ?? 0));
      return {
        recipients,
        kills: killCount,
        killedAfterMessages: killedAt,
        seconds: Number(seconds.toFixed(1)),
        status: result.status,
        ledgerRows: sends.length,
        reachedStubExactlyOnce: reached.filter((n) => n === 1).length,
        reachedStubTwiceOrMore: reached.filter((n) => n > 1).length,
        neverReachedStub: reached.filter((n) => n === 0).length,
        ledgerMatchesStub: sends.filter(
          (s) => ['sent', 'unconfirmed'].includes(s.status) && s.provider_message_id === providerIds.get(s.id),
        ).length,
        unknown: sends.filter((s) => s.status === 'unknown').length,
      };
    } finally {
      await stopWorkerProcess(child, 'SIGKILL');
      await workflows.shutdown();
    }
  }

  try {
    const baseline = await run('baseline', 0);
    const crashed = await run('kills', kills);
    return { baseline, crashed };
  } finally {
    await stub.close();
    await stopTemporal();
  }
};

export default benchmark;
