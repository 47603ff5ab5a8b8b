import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaign } from '../data/campaigns.ts';
import { startTestApi, type TestApi } from '../../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';

describe("a campaign's sends and timeline", () => {
  let t: TestDatabase;
  let api: TestApi;
  let token: string;
  let campaignId: string;
  const sendIds: string[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startTestApi(t.db);
    token = await api.tokenFor('user');
    ({ id: campaignId } = await createCampaign(t.db, {
      name: 'Winter win-back',
      type: 'win_back',
      goal: 'Bring regulars back',
      targetSegments: [],
      channels: ['email', 'sms'],
      startsOn: '2026-12-01',
      windowDays: 7,
      audienceSize: 10,
      timeZone: 'America/Chicago',
      createdBy: null,
      idempotencyKey: null,
    }));
    // Three customers: day 0 e-mails (delivered, failed), a day 1 text still pending.
    const plan = [
      { day: 0, channel: 'email', status: 'delivered', last_error: null },
      { day: 0, channel: 'email', status: 'failed', last_error: 'mailbox unavailable' },
      { day: 1, channel: 'sms', status: 'pending', last_error: null },
    ];
    for (const [i, p] of plan.entries()) {
      const [c] = await t
        .db('customers')
        .insert({ external_id: `C-${i}`, first_name: `Pat${i}` })
        .returning('id');
      const [a] = await t
        .db('actions')
        .insert({
          campaign_id: campaignId,
          customer_id: c.id,
          day: p.day,
          scheduled_on: p.day === 0 ? '2026-12-01' : '2026-12-02',
          window_start: '10:00',
          window_end: '18:00',
          channels: [p.channel],
          offer: JSON.stringify({ key: 'points', label: 'Double points', kind: 'points' }),
          brief: 'b',
          rationale: 'r',
          priority_score: 1,
        })
        .returning('id');
      const id = randomUUID();
      sendIds.push(id);
      await t.db('sends').insert({
        id,
        campaign_id: campaignId,
        action_id: a.id,
        customer_id: c.id,
        channel: p.channel,
        day: p.day,
        status: p.status,
        last_error: p.last_error,
      });
    }
  });
  afterAll(async () => {
    await api?.close();
    await t?.drop();
  });

  it('lists the sends with their customer and error, filtered by status and paged', async () => {
    const res = await api.request('GET', `/api/campaigns/${campaignId}/sends?status=failed,bounced`, { token });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.items).toEqual([
      expect.objectContaining({
        firstName: 'Pat1',
        channel: 'email',
        day: 0,
        status: 'failed',
        lastError: 'mailbox unavailable',
      }),
    ]);
    expect(body.nextAfter).toBeNull();

    const first = await (await api.request('GET', `/api/campaigns/${campaignId}/sends?limit=2`, { token })).json();
    expect(first.items).toHaveLength(2);
    const rest = await (
      await api.request('GET', `/api/campaigns/${campaignId}/sends?limit=2&after=${first.nextAfter}`, { token })
    ).json();
    expect([...first.items, ...rest.items].map((s: { id: string }) => s.id)).toEqual([...sendIds].sort());
  });

  it('counts planned actions and sends by status per day', async () => {
    const res = await api.request('GET', `/api/campaigns/${campaignId}/timeline`, { token });
    expect(res.status).toBe(200);
    expect((await res.json()).days).toEqual([
      { day: 0, date: '2026-12-01', opensAt: null, planned: 2, sends: { delivered: 1, failed: 1 } },
      { day: 1, date: '2026-12-02', opensAt: null, planned: 1, sends: { pending: 1 } },
    ]);
  });

  it('refuses a bad status and answers 404 for an unknown campaign', async () => {
    const bad = await api.request('GET', `/api/campaigns/${campaignId}/sends?status=lost`, { token });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].path).toMatch(/status/);
    const missing = await api.request('GET', `/api/campaigns/${randomUUID()}/timeline`, { token });
    expect(missing.status).toBe(404);
  });
});
