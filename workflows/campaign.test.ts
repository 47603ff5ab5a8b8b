import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityDeps } from '../activities/settings.ts';
import { createCampaign } from '../api/data/campaigns.ts';
import { seedDemo } from '../bench/datagen/seed.ts';
import { parseConfig } from '../platform/config.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { testLog, testTaskQueue } from '../platform/testing/temporal.ts';
import proto from '@temporalio/proto';
import { projectSearchAttributes } from '../temporal/search-attributes.ts';
import { testServerExecutable } from '../temporal/test-server.ts';
import { installRuntimeLogger, startWorkers, type Workers } from '../temporal/worker.ts';
import { approveUpdate, editActionsUpdate, generateUpdate, progressQuery, startUpdate } from './campaign-messages.ts';
import type { campaignWorkflow } from './campaign.ts';
import type { scoreCustomersWorkflow } from './score-customers.ts';

const TZ = 'America/Chicago';

function localDate(offsetDays: number): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(
    new Date(Date.now() + offsetDays * 86_400_000),
  );
  return parts; // en-CA formats as YYYY-MM-DD
}

describe('campaignWorkflow (time-skipping)', () => {
  let t: TestDatabase;
  let env: TestWorkflowEnvironment;
  let workers: Workers;
  const prefix = testTaskQueue('campaign');
  const queues = {
    workflows: `${prefix}-wf`,
    sends: `${prefix}-sends`,
    scoring: `${prefix}-scoring`,
    planning: `${prefix}-planning`,
  };

  beforeAll(async () => {
    t = await createTestDatabase();
    installRuntimeLogger(testLog);
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: testServerExecutable() } },
    });
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: Object.fromEntries(
        projectSearchAttributes.map((a) => [
          a.name,
          proto.temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${a.type}`],
        ]),
      ),
    });
    const cfg = parseConfig({
      STORE_TIME_ZONE: TZ,
      UNSUBSCRIBE_SECRET: 'test-unsubscribe-secret-long-enough-0123456789',
    });
    workers = await startWorkers({
      address: '',
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      queues,
      deps: activityDeps(cfg, t.db, testLog),
    });
    await seedDemo(t.db, { seed: 11, customerCount: 250, asOf: new Date(), timeZone: TZ });
    await env.client.workflow.execute<typeof scoreCustomersWorkflow>('scoreCustomersWorkflow', {
      taskQueue: queues.workflows,
      workflowId: `${prefix}-score`,
      args: [{ trigger: 'manual', scoringTaskQueue: queues.scoring }],
    });
  });
  afterAll(async () => {
    await workers?.shutdown();
    await env?.teardown();
    await t?.drop();
  });

  it('plans, takes edits, approves, sends 7 days exactly once each, and records results', async () => {
    const { id: campaignId } = await createCampaign(t.db, {
      name: 'Winter win-back',
      type: 'win_back',
      goal: 'Bring lapsed regulars back before the holidays',
      targetSegments: [],
      channels: ['email', 'sms'],
      startsOn: localDate(1),
      windowDays: 7,
      audienceSize: 60,
      timeZone: TZ,
      createdBy: null,
      idempotencyKey: null,
    });
    const handle = await env.client.workflow.start<typeof campaignWorkflow>('campaignWorkflow', {
      taskQueue: queues.workflows,
      workflowId: `campaign-${campaignId}`,
      args: [{ campaignId, queues: { sends: queues.sends, planning: queues.planning } }],
    });

    await handle.executeUpdate(generateUpdate);
    let progress = await handle.query(progressQuery);
    for (let i = 0; i < 100 && progress.status !== 'awaiting_approval'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      progress = await handle.query(progressQuery);
    }
    expect(progress.status).toBe('awaiting_approval');
    const actions = await t.db('actions').where({ campaign_id: campaignId });
    expect(actions.length).toBeGreaterThan(0);
    const campaign = await t.db('campaigns').where({ id: campaignId }).first();
    expect(campaign.plan_record).toMatchObject({ planner: 'deterministic' });

    // An invalid edit is refused with its reason, and changes nothing.
    await expect(
      handle.executeUpdate(editActionsUpdate, { args: [[{ op: 'change', actionId: actions[0].id, day: 12 }]] }),
    ).rejects.toThrow();
    expect((await t.db('actions').where({ id: actions[0].id }).first()).day).toBe(actions[0].day);
    await handle.executeUpdate(editActionsUpdate, { args: [[{ op: 'remove', actionId: actions[0].id }]] });
    const planned = await t.db('actions').where({ campaign_id: campaignId });
    expect(planned).toHaveLength(actions.length - 1);

    // A command the lifecycle does not allow is refused by the update's validator, with the reason.
    await expect(handle.executeUpdate(startUpdate)).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/cannot start/) },
    });
    await handle.executeUpdate(approveUpdate, { args: [{ approvedBy: null }] });
    await handle.executeUpdate(startUpdate);
    const result = await handle.result();
    expect(result.status).toBe('completed');

    const ledger = await t.db('sends').where({ campaign_id: campaignId });
    const expected = planned.reduce((n, a) => n + a.channels.length, 0);
    expect(ledger).toHaveLength(expected);
    expect(ledger.filter((s) => s.status === 'pending' || s.status === 'sending')).toEqual([]);
    const outbox = await t.db('outbox').whereIn(
      'send_id',
      ledger.map((s) => s.id),
    );
    const sentRows = ledger.filter((s) => s.provider_message_id !== null);
    // Exactly one provider call per message that counts as sent: the sandbox's outbox is its log.
    expect(outbox).toHaveLength(sentRows.length);
    expect(new Set(outbox.map((o) => o.send_id)).size).toBe(outbox.length);
    expect(sentRows.length).toBeGreaterThan(0);
    expect(ledger.filter((s) => s.status === 'skipped').every((s) => s.skip_reason)).toBe(true);

    const finished = await t.db('campaigns').where({ id: campaignId }).first();
    expect(finished.status).toBe('completed');
    expect(finished.results).toMatchObject({ sent: expect.any(Number), skipped: expect.any(Number) });
    expect(finished.results.sent + finished.results.skipped + finished.results.failed + finished.results.unknown).toBe(
      expected,
    );
  }, 120_000);
});
