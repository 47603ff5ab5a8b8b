import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';

describe('outbox API', () => {
  let t: TestDatabase;
  let api: TestApi;
  let token: string;
  let sendId: string;
  /** Ids newest first, as the API lists them. */
  let expected: string[];

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startTestApi(t.db);
    token = await api.tokenFor('user');
    const [c] = await t.db('customers').insert({ external_id: 'C-1', email: 'pat@example.com' }).returning('id');
    sendId = randomUUID();
    await t.db('sends').insert({ id: sendId, customer_id: c.id, channel: 'email', status: 'sent' });
    // Microseconds apart, and ties: a cursor that rounded to milliseconds would skip or repeat rows.
    const rows = Array.from({ length: 25 }, (_, i) => {
      const sms = i % 3 === 0;
      return {
        channel: sms ? 'sms' : 'email',
        provider_message_id: `sandbox-${i}`,
        to_address: sms ? '+15555550123' : i % 2 ? 'pat@example.com' : 'sam@example.com',
        subject: sms ? null : `Offer ${i}`,
        body_text: `Body ${i}`,
        body_html: sms ? null : `<p>Body ${i}</p>`,
        headers: JSON.stringify(sms ? {} : { 'List-Unsubscribe': '<https://example.com/u>' }),
        send_id: i === 4 ? sendId : null,
        created_at: t.db.raw(`timestamptz '2026-06-01T12:00:00.000000Z' + ? * interval '1 microsecond'`, [
          Math.floor(i / 2),
        ]),
      };
    });
    await t.db('outbox').insert(rows);
    expected = (
      await t.db('outbox').orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
    ).map((r) => r.id);
  });
  afterAll(async () => {
    await api.close();
    await t.drop();
  });

  const list = async (query: string) => {
    const res = await api.request('GET', `/api/outbox?${query}`, { token });
    expect(res.status).toBe(200);
    return res.json();
  };

  it('pages through every message exactly once, newest first', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(`limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((m: any) => m.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(7);
    expect(seen).toEqual(expected);
  });

  it('lists what was sent without the HTML', async () => {
    const page = await list('sendId=' + sendId);
    expect(page).toEqual({
      items: [
        {
          id: expect.any(String),
          channel: 'email',
          to: 'sam@example.com',
          from: null,
          subject: 'Offer 4',
          text: 'Body 4',
          providerMessageId: 'sandbox-4',
          sendId,
          createdAt: '2026-06-01T12:00:00.000Z',
        },
      ],
      nextCursor: null,
    });
  });

  it.each([
    ['channel=sms', (m: any) => m.channel === 'sms', 9],
    ['to=pat%40example.com', (m: any) => m.to === 'pat@example.com', 8],
    ['to=PAT%40example.com', () => false, 0],
    ['channel=email&to=sam%40example.com', (m: any) => m.to === 'sam@example.com' && m.channel === 'email', 8],
  ])('filters by %s', async (query, predicate, count) => {
    const page = await list(`${query}&limit=200`);
    expect(page.items).toHaveLength(count);
    expect(page.items.every(predicate)).toBe(true);
  });

  it('shows one message with its HTML and headers', async () => {
    const [first] = (await list('sendId=' + sendId)).items;
    const res = await api.request('GET', `/api/outbox/${first.id}`, { token });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      ...first,
      html: '<p>Body 4</p>',
      headers: { 'List-Unsubscribe': '<https://example.com/u>' },
    });
    expect((await api.request('GET', `/api/outbox/${randomUUID()}`, { token })).status).toBe(404);
  });

  it('refuses forged cursors and unknown filters with 400', async () => {
    for (const query of ['cursor=bm9wZQ', 'limit=0', 'colour=red', 'sendId=42']) {
      expect((await api.request('GET', `/api/outbox?${query}`, { token })).status).toBe(400);
    }
  });
});
