import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countSmsSegments, verifyUnsubscribeToken } from '../../domain/messaging/index.ts';
import { eventually, startTestApi, type TestApi } from '../../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';

const SECRET = 'unsubscribe-secret-for-tests-0123456789abcdef';
const env = {
  UNSUBSCRIBE_SECRET: SECRET,
  PUBLIC_URL: 'https://offers.bobsbottles.example',
  MAILGUN_DOMAIN: 'mg.bobsbottles.example',
  STORE_NAME: "Bob's Bottles",
  STORE_POSTAL_ADDRESS: '12 Harbour Road, Portland, ME 04101',
  RESPONSIBLE_DRINKING_LINE: 'Drink responsibly. 21+ only.',
};
const offer = { key: 'winback_15', label: '15% off whiskey', kind: 'percent_off', discountPct: 15 };

describe('message preview API', () => {
  let t: TestDatabase;
  let api: TestApi;
  let token: string;
  let customerId: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startTestApi(t.db, { env });
    token = await api.tokenFor('user');
    const [c] = await t
      .db('customers')
      .insert({ external_id: 'C-1', email: 'pat@example.com', first_name: '<script>alert(1)</script>' })
      .returning('id');
    customerId = c.id;
    const [run] = await t
      .db('score_runs')
      .insert({ trigger: 'manual', as_of: new Date(), status: 'completed' })
      .returning('id');
    await t.db('customer_scores').insert({
      customer_id: customerId,
      run_id: run.id,
      order_count: 3,
      frequency: 2,
      recency: 40,
      tenure: 90,
      total_spent: '120.00',
      avg_order_value: '40.00',
      mean_repeat_spend: '40.00',
      first_order_at: new Date('2026-01-01T12:00:00Z'),
      last_order_at: new Date('2026-03-01T12:00:00Z'),
      rfm_r: 3,
      rfm_f: 3,
      rfm_m: 3,
      p_alive: 0.8,
      churn_risk: 0.2,
      churn_band: 'low',
      expected_purchases: 1.5,
      expected_spend: '60.00',
      clv: '200.00',
      night_share: 0.1,
      is_night_buyer: false,
      primary_category: 'whiskey',
    });
  });
  afterAll(async () => {
    await api.close();
    await t.drop();
  });

  const preview = (body: unknown) => api.request('POST', '/api/messages/preview', { token, body });

  it('renders the default template for the customer as the send would, escaped, with footer and links', async () => {
    const res = await preview({ customerId, offer });
    expect(res.status).toBe(200);
    const m = await res.json();
    expect(Object.keys(m).sort()).toEqual(['headers', 'html', 'sms', 'smsSegments', 'subject', 'text', 'warnings']);

    expect(m.subject).toBe('<script>alert(1)</script>, 15% off Whiskey this week');
    expect(m.html).toContain('Hi &lt;script&gt;alert(1)&lt;/script&gt;,');
    expect(m.html).not.toContain('<script>');
    expect(m.html).toContain('12 Harbour Road, Portland, ME 04101');
    expect(m.html).toContain('Drink responsibly. 21+ only.');
    expect(m.text).toContain('12 Harbour Road, Portland, ME 04101');

    const unsubscribe =
      /^<(https:\/\/offers\.bobsbottles\.example\/api\/unsubscribe\/([^>]+))>, <mailto:unsubscribe@mg\.bobsbottles\.example\?subject=unsubscribe%20[^>]+>$/.exec(
        m.headers['List-Unsubscribe'],
      );
    expect(unsubscribe).not.toBeNull();
    expect(m.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(m.html).toContain(`href="${unsubscribe![1]}"`);
    expect(m.html).toContain(`href="https://offers.bobsbottles.example/preferences/${unsubscribe![2]}"`);
    // A real link: it verifies and names this customer's e-mail.
    expect(verifyUnsubscribeToken(unsubscribe![2]!, [SECRET])).toMatchObject({
      ok: true,
      customerId,
      channel: 'email',
      campaignId: null,
    });

    expect(m.sms).toMatch(/^Bob's Bottles: 15% off Whiskey this week, <script>alert\(1\)<\/script>\./);
    expect(m.sms).toContain('Reply STOP to opt out.');
    expect(m.smsSegments).toEqual(countSmsSegments(m.sms));
    expect(m.warnings).toEqual([]);
  });

  it('renders a marketer’s own template and counts an emoji SMS in UCS-2 segments', async () => {
    const res = await preview({
      customerId,
      channel: 'sms',
      offer,
      template: {
        subject: 'For {{ customer.first_name }}',
        html: '<p>Hello {{ customer.first_name }}, {{ offer.discount }} off {{ customer.primary_category }}.</p>',
        text: 'Hello {{ customer.first_name }}',
        sms: `🥃 ${'Cheers from us, '.repeat(5)}{{ customer.first_name }} {{ links.unsubscribe }}`,
      },
    });
    expect(res.status).toBe(200);
    const m = await res.json();
    expect(m.html).toContain('<p>Hello &lt;script&gt;alert(1)&lt;/script&gt;, 15% off Whiskey.</p>');
    expect(m.smsSegments).toMatchObject({ encoding: 'UCS-2', segments: countSmsSegments(m.sms).segments });
    expect(m.smsSegments.segments).toBeGreaterThan(1);
    expect(m.warnings.map((w: any) => w.code)).toEqual(['sms_segments']);
    const link = /\/api\/unsubscribe\/(\S+)/.exec(m.sms)![1]!;
    expect(verifyUnsubscribeToken(link, [SECRET])).toMatchObject({ ok: true, customerId, channel: 'sms' });
  });

  it('answers a broken template with 422 and every issue', async () => {
    const res = await preview({
      customerId,
      offer,
      template: {
        subject: 'Hi {{ customer.nickname }}',
        mjml: '<mj-section><mj-column>\n<mj-text>{% if offer.discount %}no end</mj-text>\n</mj-column></mj-section>',
        text: 'Hello',
        sms: 'Hi {{ customer.first_name | shout }}',
      },
    });
    expect(res.status).toBe(422);
    const problem = await res.json();
    expect(problem.title).toBe('Unprocessable Content');
    expect(problem.errors.map((e: any) => e.path).sort()).toEqual([
      'body.template.mjml',
      'body.template.sms',
      'body.template.subject',
    ]);
    expect(problem.errors.find((e: any) => e.path === 'body.template.mjml').message).toMatch(/^line 2: /);
  });

  it('refuses an unknown customer, and a template with no e-mail body', async () => {
    expect((await preview({ customerId: randomUUID(), offer })).status).toBe(404);
    const res = await preview({ customerId, offer, template: { subject: 's', text: 't', sms: 's' } });
    expect(res.status).toBe(400);
    expect((await res.json()).errors.map((e: any) => e.path)).toEqual(['body.template.mjml']);
  });

  it('records who previewed, for which customer, in the audit log', async () => {
    const res = await preview({ customerId, offer });
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id');
    const row = await eventually(() => t.db('audit_log').where({ request_id: requestId }).first());
    expect(row).toMatchObject({ action: 'POST /api/messages/preview', entity_type: 'messages' });
    expect(row.actor_user_id).not.toBeNull();
  });
});
