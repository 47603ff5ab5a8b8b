import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApi, type TestApi } from '../../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { createCampaign } from '../data/campaigns.ts';

const drafted = {
  segment_key: 'at_risk',
  subject: '{{ first_name }}, we saved you a spot at {{ store_name }}',
  body_text: 'Hi {{ first_name }},\n\nCome back soon.',
  sms_text: '{{ store_name }}: {{ offer_label }}, {{ first_name }}. {{ shop_url }}',
  source: 'deterministic',
};

const edited = {
  subject: 'A pour for you, {{ first_name }}',
  body: 'Hi {{ first_name }},\n\n{{ offer_label }}: our whiskey shelf is waiting.',
  sms: "Bob's Bottles: {{ offer_discount }} off {{ primary_category }}. {{ shop_url }}",
};

describe('campaign copy API', () => {
  let t: TestDatabase;
  let api: TestApi;
  let token: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startTestApi(t.db, { env: { STORE_NAME: "Bob's Bottles" } });
    token = await api.tokenFor('user');
  });
  afterAll(async () => {
    await api.close();
    await t.drop();
  });

  async function campaignWithCopy(status = 'awaiting_approval'): Promise<string> {
    const { id } = await createCampaign(t.db, {
      name: 'Win-back',
      type: 'win_back',
      goal: 'Bring them back',
      targetSegments: [],
      channels: ['email', 'sms'],
      startsOn: '2026-12-01',
      windowDays: 7,
      audienceSize: 50,
      timeZone: 'America/Chicago',
      createdBy: null,
      idempotencyKey: null,
    });
    await t.db('campaigns').where({ id }).update({ status });
    await t.db('campaign_copy').insert({ campaign_id: id, ...drafted });
    return id;
  }

  const getCopy = (id: string) => api.request('GET', `/api/campaigns/${id}/copy`, { token });
  const putCopy = (id: string, segment: string, body: unknown) =>
    api.request('PUT', `/api/campaigns/${id}/copy/${segment}`, { token, body });

  it('lists the drafted copy, takes a marketer’s edit, and audits it with before and after', async () => {
    const id = await campaignWithCopy();
    const listed = await getCopy(id);
    expect(listed.status).toBe(200);
    expect((await listed.json()).items).toEqual([
      {
        segment: 'at_risk',
        subject: drafted.subject,
        body: drafted.body_text,
        sms: drafted.sms_text,
        source: 'deterministic',
        updatedBy: null,
        updatedAt: expect.any(String),
      },
    ]);

    const res = await putCopy(id, 'at_risk', edited);
    expect(res.status).toBe(200);
    const user = await t.db('users').where({ email: 'user@store.example' }).first('id');
    expect(await res.json()).toMatchObject({ segment: 'at_risk', ...edited, source: 'marketer', updatedBy: user.id });
    expect((await (await getCopy(id)).json()).items).toEqual([
      expect.objectContaining({ segment: 'at_risk', ...edited, source: 'marketer' }),
    ]);

    const requestId = res.headers.get('x-request-id');
    const audit = await eventually(() => t.db('audit_log').where({ request_id: requestId }).first());
    expect(audit).toMatchObject({
      action: 'PUT /api/campaigns/:id/copy/:segment',
      entity_type: 'campaigns',
      entity_id: id,
      actor_user_id: user.id,
    });
    expect(audit.details).toEqual({
      status: 200,
      entityId: id,
      segment: 'at_risk',
      before: { subject: drafted.subject, body: drafted.body_text, sms: drafted.sms_text, source: 'deterministic' },
      after: { ...edited, source: 'marketer' },
    });
  });

  it('writes copy for a segment that had none, while the campaign is a draft', async () => {
    const id = await campaignWithCopy('draft');
    const res = await putCopy(id, 'champions', edited);
    expect(res.status).toBe(200);
    const items = (await (await getCopy(id)).json()).items;
    expect(items.map((c: any) => [c.segment, c.source])).toEqual([
      ['at_risk', 'deterministic'],
      ['champions', 'marketer'],
    ]);
  });

  it('refuses copy that would not render as written, with every reason, and keeps the old copy', async () => {
    const id = await campaignWithCopy();
    const res = await putCopy(id, 'at_risk', {
      subject: 'Hi {{ last_name }}',
      body: 'Hi {{ first_name',
      sms: `<b>Sale</b> ${'Everything must go. '.repeat(20)}`,
    });
    expect(res.status).toBe(400);
    const problem = await res.json();
    expect(problem.title).toBe('Bad Request');
    expect(problem.errors).toEqual([
      { path: 'body.subject', message: expect.stringMatching(/unknown variable \{\{ last_name \}\}/) },
      { path: 'body.body', message: expect.stringMatching(/not closed/) },
      { path: 'body.sms', message: 'an SMS is plain text: no HTML' },
    ]);
    const tooLong = await putCopy(id, 'at_risk', { ...edited, sms: 'Everything must go. '.repeat(15) });
    expect(tooLong.status).toBe(400);
    expect((await tooLong.json()).errors).toEqual([
      { path: 'body.sms', message: expect.stringMatching(/takes 3 segments.*at most 2/) },
    ]);
    expect((await putCopy(id, 'at_risk', { subject: 'only a subject' })).status).toBe(400);
    expect((await (await getCopy(id)).json()).items[0]).toMatchObject({
      subject: drafted.subject,
      source: 'deterministic',
    });
  });

  it('refuses edits once the plan is approved, with 409', async () => {
    const id = await campaignWithCopy();
    await t.db('campaigns').where({ id }).update({ status: 'scheduled', approved_plan_at: new Date() });
    const res = await putCopy(id, 'at_risk', edited);
    expect(res.status).toBe(409);
    expect((await res.json()).detail).toMatch(/keeps the copy it was approved with/);
    expect((await (await getCopy(id)).json()).items[0]).toMatchObject({ subject: drafted.subject });
  });

  it('answers 404 for an unknown campaign or segment', async () => {
    expect((await getCopy(randomUUID())).status).toBe(404);
    expect((await putCopy(randomUUID(), 'at_risk', edited)).status).toBe(404);
    expect((await putCopy(await campaignWithCopy(), 'no_such_segment', edited)).status).toBe(404);
  });
});
