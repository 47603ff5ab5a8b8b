import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApi, type TestApi } from '../../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';

const bands = ['low', 'medium', 'high'] as const;
const categories = ['vodka', 'whiskey', 'rum'];

describe('customers API', () => {
  let t: TestDatabase;
  let api: TestApi;
  let token: string;
  const ids: string[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startTestApi(t.db);
    token = await api.tokenFor('user');
    const segments = await t.db('segments').select('id', 'key').orderBy('sort_order');
    const [run] = await t
      .db('score_runs')
      .insert({ trigger: 'manual', as_of: new Date(), status: 'completed' })
      .returning('id');
    for (let i = 0; i < 120; i++) {
      const [c] = await t
        .db('customers')
        .insert({
          external_id: `C${String(i).padStart(4, '0')}`,
          email: `shopper${i}@example.com`,
          first_name: i === 7 ? 'Marguerite' : 'Pat',
          last_name: `Number${i}`,
        })
        .returning('id');
      ids.push(c.id);
      if (i >= 110) continue; // ten customers not scored yet
      await t.db('customer_scores').insert({
        customer_id: c.id,
        run_id: run.id,
        segment_id: segments[i % segments.length]!.id,
        order_count: 1 + (i % 7),
        frequency: i % 7,
        recency: i % 50,
        tenure: 60,
        total_spent: (10 + i).toFixed(2),
        avg_order_value: '20.00',
        mean_repeat_spend: '21.50',
        first_order_at: new Date('2026-01-01T12:00:00Z'),
        last_order_at: new Date(Date.UTC(2026, 5, 1 + (i % 28))),
        rfm_r: 1 + (i % 5),
        rfm_f: 1 + ((i >> 1) % 5),
        rfm_m: 1 + ((i >> 2) % 5),
        p_alive: 1 - (i % 10) / 10,
        churn_risk: (i % 10) / 10,
        churn_band: bands[i % 3],
        expected_purchases: 1.5,
        expected_spend: '25.00',
        clv: (i % 40) * 10, // ties on purpose: pagination must still be exact
        night_share: i % 4 === 0 ? 0.8 : 0.1,
        is_night_buyer: i % 4 === 0,
        primary_category: categories[i % 3],
      });
    }
  });
  afterAll(async () => {
    await api.close();
    await t.drop();
  });

  const list = async (query: string) => {
    const res = await api.request('GET', `/api/customers?${query}`, { token });
    expect(res.status).toBe(200);
    return res.json();
  };

  it('pages through every customer exactly once, in order, with unscored customers last', async () => {
    const seen: { id: string; clv: string | null }[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`limit=25${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.map((s) => s.id).sort()).toEqual([...ids].sort());
    const clvs = seen.map((s) => (s.clv === null ? null : Number(s.clv)));
    const scored = clvs.filter((v) => v !== null) as number[];
    expect(scored).toEqual([...scored].sort((a, b) => b - a));
    expect(clvs.slice(110)).toEqual(Array(10).fill(null));
  });

  it.each([
    ['segment=champions', (c: any) => c.segment === 'champions'],
    ['churnBand=high', (c: any) => c.churnBand === 'high'],
    ['clvMin=100&clvMax=200', (c: any) => Number(c.clv) >= 100 && Number(c.clv) <= 200],
    ['nightBuyer=true', (c: any) => c.nightBuyer === true],
    ['category=rum', (c: any) => c.primaryCategory === 'rum'],
    ['q=marguerite', (c: any) => c.firstName === 'Marguerite'],
  ])('filters by %s', async (query, predicate) => {
    const page = await list(`${query}&limit=200&withTotal=true`);
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.every(predicate)).toBe(true);
    expect(page.total).toBe(page.items.length);
  });

  it('sorts ascending by another column', async () => {
    const page = await list('sort=total_spent&order=asc&limit=5');
    expect(page.items.map((c: any) => Number(c.totalSpent))).toEqual([10, 11, 12, 13, 14]);
  });

  it('refuses unknown parameters and forged cursors with a clear 400', async () => {
    const unknown = await api.request('GET', '/api/customers?sort=name&colour=red', { token });
    expect(unknown.status).toBe(400);
    const problem = await unknown.json();
    expect(problem.errors.map((e: any) => e.path)).toEqual(expect.arrayContaining(['query.sort', 'query']));
    const forged = await api.request('GET', '/api/customers?cursor=bm9wZQ', { token });
    expect(forged.status).toBe(400);
  });

  it('shows a customer with the inputs behind every score', async () => {
    const res = await api.request('GET', `/api/customers/${ids[7]}`, { token });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.customer.first_name).toBe('Marguerite');
    expect(body.scores.inputs).toMatchObject({ timeUnit: 'days', x: 0, t_x: 7, T: 60, meanRepeatSpend: 21.5 });
    expect(body.scores.outputs).toMatchObject({ churnRisk: 0.7, churnBand: 'medium', primaryCategory: 'whiskey' });
    expect((await api.request('GET', `/api/customers/${randomUUID()}`, { token })).status).toBe(404);
    expect((await api.request('GET', `/api/customers/not-a-uuid`, { token })).status).toBe(400);
  });
});

describe('segments API', () => {
  let t: TestDatabase;
  let api: TestApi;
  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startTestApi(t.db);
  });
  afterAll(async () => {
    await api.close();
    await t.drop();
  });

  it('lists the ten segments with their playbooks', async () => {
    const res = await api.request('GET', '/api/segments', { token: await api.tokenFor('user') });
    const { items } = await res.json();
    expect(items).toHaveLength(10);
    expect(items[0]).toMatchObject({ key: 'champions', customerCount: 0, playbook: { offers: expect.any(Array) } });
  });

  it('lets a manager edit a playbook, audits before and after, and rejects an invalid one untouched', async () => {
    const manager = await api.tokenFor('manager');
    const { items } = await (await api.request('GET', '/api/segments', { token: manager })).json();
    const atRisk = items.find((s: any) => s.key === 'at_risk');
    const playbook = structuredClone(atRisk.playbook);
    playbook.limits.maxDiscountPct = 25;
    playbook.offers[1].maxDiscountPct = 25;

    const ok = await api.request('PUT', `/api/segments/${atRisk.id}`, { token: manager, body: { playbook } });
    expect(ok.status).toBe(200);
    expect((await ok.json()).playbook.limits.maxDiscountPct).toBe(25);

    const bad = structuredClone(playbook);
    bad.offers[0].maxDiscountPct = 45;
    const rejected = await api.request('PUT', `/api/segments/${atRisk.id}`, {
      token: manager,
      body: { playbook: bad },
    });
    expect(rejected.status).toBe(400);
    expect(JSON.stringify((await rejected.json()).errors)).toContain('body.playbook');
    const stored = await t.db('segments').where({ id: atRisk.id }).first();
    expect(stored.playbook.offers[0].maxDiscountPct).toBe(atRisk.playbook.offers[0].maxDiscountPct);

    // Audit rows are written after the response; the rejected edit is audited too.
    const audit = await eventually(async () => {
      const rows = await t
        .db('audit_log')
        .where({ action: 'PUT /api/segments/:id', entity_id: atRisk.id })
        .orderBy('occurred_at');
      return rows.length === 2 ? rows : undefined;
    });
    expect(audit[0].details.before.playbook.limits.maxDiscountPct).toBe(20);
    expect(audit[0].details.after.playbook.limits.maxDiscountPct).toBe(25);
  });
});
