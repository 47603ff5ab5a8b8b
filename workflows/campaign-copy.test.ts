import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../platform/testing/api.ts';
import {
  createTestCampaign,
  runToCompletion,
  startCampaignTestEnv,
  startCampaignWorkflow,
  waitForStatus,
  type CampaignTestEnv,
} from '../platform/testing/campaigns.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { approveUpdate, generateUpdate, startUpdate } from './campaign-messages.ts';

describe('campaign copy through the campaign workflow (time-skipping)', () => {
  let t: TestDatabase;
  let c: CampaignTestEnv;
  let api: TestApi;

  beforeAll(async () => {
    t = await createTestDatabase();
    c = await startCampaignTestEnv(t.db, { name: 'campaign-copy' });
    api = await startTestApi(t.db, { workflows: { client: c.client, queues: c.queues } });
  });
  afterAll(async () => {
    await api?.close();
    await c?.teardown();
    await t?.drop();
  });

  it('sends the subject and body a marketer wrote for a segment, and the planner’s copy to the others', async () => {
    const campaignId = await createTestCampaign(c, { channels: ['email'] });
    const handle = await startCampaignWorkflow(c, campaignId);
    await handle.executeUpdate(generateUpdate);
    await waitForStatus(handle, 'awaiting_approval');

    const { rows: busiest } = await t.db.raw<{ rows: { segment_key: string }[] }>(
      `select segment_key from actions where campaign_id = ? group by segment_key order by count(*) desc, segment_key limit 1`,
      [campaignId],
    );
    const segment = busiest[0]!.segment_key;
    const token = await api.tokenFor('user');
    const edited = {
      subject: 'A note from the marketer, {{ first_name }}',
      body: 'Hi {{ first_name }},\n\nWe wrote this one ourselves: {{ offer_label }}.',
      sms: '{{ store_name }}: {{ offer_label }}. {{ shop_url }}',
    };
    const put = await api.request('PUT', `/api/campaigns/${campaignId}/copy/${segment}`, { token, body: edited });
    expect(put.status).toBe(200);

    await handle.executeUpdate(approveUpdate, { args: [{ approvedBy: null }] });
    const late = await api.request('PUT', `/api/campaigns/${campaignId}/copy/${segment}`, {
      token,
      body: { ...edited, subject: 'Too late' },
    });
    expect(late.status).toBe(409);
    await handle.executeUpdate(startUpdate);
    expect((await runToCompletion(c, handle)).status).toBe('completed');

    const emails = await t
      .db('outbox as o')
      .join('sends as s', 's.id', 'o.send_id')
      .join('actions as a', 'a.id', 's.action_id')
      .join('customers as k', 'k.id', 's.customer_id')
      .where({ 's.campaign_id': campaignId, 'o.channel': 'email' })
      .select('a.segment_key', 'k.first_name', 'o.subject', 'o.body_text', 'o.body_html');
    const ours = emails.filter((e) => e.segment_key === segment);
    const others = emails.filter((e) => e.segment_key !== segment);
    expect(ours.length).toBeGreaterThan(0);
    expect(others.length).toBeGreaterThan(0);
    for (const e of ours) {
      expect(e.subject).toBe(`A note from the marketer, ${e.first_name?.trim() || 'there'}`);
      expect(e.body_text).toMatch(/We wrote this one ourselves: .+\./);
      expect(e.body_html).toContain('We wrote this one ourselves');
      // The standard footer goes with the marketer's words.
      expect(e.body_text).toContain('Unsubscribe: ');
    }
    for (const e of others) {
      expect(e.subject).not.toContain('A note from the marketer');
      expect(e.subject).toMatch(/we saved you a spot at/);
    }
  }, 120_000);
});
