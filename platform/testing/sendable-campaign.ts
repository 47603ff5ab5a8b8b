import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { CampaignTimings, CampaignWorkflowInput } from '../../workflows/campaign-messages.ts';
import type { campaignWorkflow } from '../../workflows/campaign.ts';
import type { TaskQueues } from '../../temporal/task-queues.ts';
import type { Db } from '../db.ts';

/**
 * An approved e-mail campaign whose every action is due now, written straight to the tables
 * the send activity reads: customers who pass every compliance rule (adults, opted in, no
 * suppression, UTC, so any hour is inside SEND_HOURS 00:00-23:59), one action each, one window.
 * For the crash test and the send benchmarks, where planning is not what is measured.
 */

export const ALL_DAY = '00:00-23:59';

export async function seedSendableCampaign(
  db: Db,
  opts: { recipients: number; sendAt?: Date; name?: string },
): Promise<{ campaignId: string; sendAt: Date }> {
  const sendAt = opts.sendAt ?? new Date(Math.floor(Date.now() / 1000) * 1000);
  const day = sendAt.toISOString().slice(0, 10);
  const [{ id: campaignId }] = await db('campaigns')
    .insert({
      name: opts.name ?? 'Crash-safe send',
      type: 'custom',
      status: 'active',
      channels: ['email'],
      starts_on: day,
      window_days: 1,
      audience_size: Math.min(opts.recipients, 100_000),
      time_zone: 'UTC',
    })
    .returning('id');
  const offer = JSON.stringify({ key: 'percent_off_10', label: '10% off', kind: 'percent_off', discountPct: 10 });
  for (let start = 0; start < opts.recipients; start += 2_000) {
    const chunk = Array.from({ length: Math.min(2_000, opts.recipients - start) }, (_, i) => {
      const id = randomUUID();
      return { id, n: start + i };
    });
    await db('customers').insert(
      chunk.map(({ id, n }) => ({
        id,
        external_id: `send-${campaignId}-${n}`,
        email: `c${n}.${id.slice(0, 8)}@example.com`,
        first_name: `Pat${n}`,
        date_of_birth: '1980-01-01',
        age_verified: true,
        country: 'US',
        time_zone: 'UTC',
      })),
    );
    await db('consents').insert(
      chunk.map(({ id }) => ({ customer_id: id, channel: 'email', status: 'opted_in', source: 'test' })),
    );
    await db('actions').insert(
      chunk.map(({ id }) => ({
        campaign_id: campaignId,
        customer_id: id,
        day: 0,
        scheduled_on: day,
        window_start: '00:00',
        window_end: '23:59',
        channels: ['email'],
        offer,
        priority_score: 1,
        status: 'approved',
        send_at: sendAt,
        send_until: new Date(sendAt.getTime() + 86_400_000),
      })),
    );
  }
  return { campaignId: campaignId as string, sendAt };
}

/** Short waits: the campaign ends soon after its one day is sent. */
export const quickTimings: Partial<CampaignTimings> = {
  retryDelay: '1 second',
  deliveryWait: '1 second',
  engagementWindow: '1 second',
  smsFallback: false,
};

/** Starts the campaign's workflow straight into sending, as a run continued after approval would be. */
export async function startSending(
  client: Client,
  queues: TaskQueues,
  campaignId: string,
): Promise<WorkflowHandle<typeof campaignWorkflow>> {
  const input: CampaignWorkflowInput = {
    campaignId,
    queues: { sends: queues.sends, planning: queues.planning },
    timings: quickTimings,
    resume: { status: 'active', nextDay: 0, counts: { sent: 0, skipped: 0, failed: 0, retrying: 0, unknown: 0 } },
  };
  return client.workflow.start<typeof campaignWorkflow>('campaignWorkflow', {
    taskQueue: queues.workflows,
    workflowId: `campaign-${campaignId}`,
    args: [input],
  });
}
