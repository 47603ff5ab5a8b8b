import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../platform/testing/database.ts';
import { createSandboxProviders } from './sandbox.ts';
import { defaultSimulation, simulateEvents, type SandboxEvent } from './sandbox-events.ts';
import type { EmailMessage } from './types.ts';

let t: TestDatabase;
let customerId: string;

beforeAll(async () => {
  t = await createTestDatabase();
  [{ id: customerId }] = await t
    .db('customers')
    .insert({ external_id: 'C-1', email: 'ada@example.com' })
    .returning('id');
});
afterAll(() => t.drop());

/** A ledger row, as the send activity writes it before calling the provider. */
async function ledgerRow(channel: 'email' | 'sms'): Promise<string> {
  const id = randomUUID();
  await t.db('sends').insert({ id, customer_id: customerId, channel, status: 'sending', day: 1 });
  return id;
}

const email = (sendId: string, to = 'ada@example.com'): EmailMessage => ({
  sendId,
  to,
  subject: 'Hi Ada',
  html: '<p>Hi Ada</p>',
  text: 'Hi Ada',
  headers: {
    'List-Unsubscribe': '<https://m.example.com/api/unsubscribe/t>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  },
});

const sentAt = new Date('2026-06-15T17:00:00Z');

describe('sandbox provider', () => {
  it('records each e-mail in the outbox with a sandbox message id and its ledger row', async () => {
    const sandbox = createSandboxProviders({ db: t.db, from: 'shop@sandbox.localhost', now: () => sentAt });
    const sendIds = [await ledgerRow('email'), await ledgerRow('email')];
    const results = await sandbox.email.send([email(sendIds[0]!), email(sendIds[1]!, 'bob@example.com')]);
    expect(results).toEqual(
      sendIds.map((sendId) => ({
        sendId,
        ok: true,
        providerMessageId: expect.stringMatching(/^sandbox-[0-9a-f-]{36}$/),
      })),
    );

    const rows = await t.db('outbox').whereIn('send_id', sendIds).orderBy('to_address');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      channel: 'email',
      to_address: 'ada@example.com',
      from_address: 'shop@sandbox.localhost',
      subject: 'Hi Ada',
      body_html: '<p>Hi Ada</p>',
      body_text: 'Hi Ada',
      headers: {
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        'List-Unsubscribe': '<https://m.example.com/api/unsubscribe/t>',
      },
      created_at: sentAt,
    });
    expect(rows.map((r) => r.provider_message_id).sort()).toEqual(
      results.map((r) => r.ok && r.providerMessageId).sort(),
    );
  });

  it('refuses what a real provider would refuse, without recording it', async () => {
    const sandbox = createSandboxProviders({ db: t.db });
    const [bad] = await sandbox.email.send([email(randomUUID(), 'not an address')]);
    expect(bad).toMatchObject({ ok: false, retryable: false, code: 'invalid_address' });
    const sms = await sandbox.sms.send({ sendId: randomUUID(), to: '312-555-0123', body: 'x' });
    expect(sms).toMatchObject({ ok: false, retryable: false, code: 'invalid_address' });
    expect(
      await t.db('outbox').where({ to_address: 'not an address' }).orWhere({ to_address: '312-555-0123' }),
    ).toEqual([]);
  });

  it('records an SMS', async () => {
    const sandbox = createSandboxProviders({ db: t.db, now: () => sentAt });
    const sendId = await ledgerRow('sms');
    const result = await sandbox.sms.send({
      sendId,
      to: '+13125550123',
      body: 'Bottle Shop: hi. Reply STOP to opt out.',
    });
    expect(result).toMatchObject({ ok: true, providerMessageId: expect.stringMatching(/^sandbox-/) });
    const row = await t.db('outbox').where({ send_id: sendId }).first();
    expect(row).toMatchObject({
      channel: 'sms',
      to_address: '+13125550123',
      body_text: 'Bottle Shop: hi. Reply STOP to opt out.',
    });
  });

  it('keeps a message without a ledger row, such as a test send from the template editor', async () => {
    const sandbox = createSandboxProviders({ db: t.db });
    const [result] = await sandbox.email.send([email(randomUUID(), 'preview@example.com')]);
    const row = await t
      .db('outbox')
      .where({ provider_message_id: result!.ok && result!.providerMessageId })
      .first();
    expect(row).toMatchObject({ send_id: null, to_address: 'preview@example.com' });
  });

  it('simulates the same events for the same messages and seed, in any window split', async () => {
    const at = new Date('2026-07-01T10:00:00Z');
    const sandbox = createSandboxProviders({
      db: t.db,
      now: () => at,
      simulation: { seed: 7, openRate: 0.6, clickRate: 0.5 },
    });
    const batch = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => email(await ledgerRow('email'), `c${i}@example.com`)),
    );
    await sandbox.email.send(batch);

    const day = 24 * 3_600_000;
    const whole = await sandbox.eventsBetween(at, new Date(at.getTime() + day));
    const again = await createSandboxProviders({
      db: t.db,
      simulation: { seed: 7, openRate: 0.6, clickRate: 0.5 },
    }).eventsBetween(at, new Date(at.getTime() + day));
    expect(again).toEqual(whole);

    const noon = new Date(at.getTime() + 2 * 3_600_000);
    const split = [
      ...(await sandbox.eventsBetween(at, noon)),
      ...(await sandbox.eventsBetween(noon, new Date(at.getTime() + day))),
    ];
    expect(split).toEqual(whole);

    const otherSeed = await createSandboxProviders({
      db: t.db,
      simulation: { seed: 8, openRate: 0.6, clickRate: 0.5 },
    }).eventsBetween(at, new Date(at.getTime() + day));
    expect(otherSeed.map((e) => e.eventKey)).not.toEqual(whole.map((e) => e.eventKey));

    const types = [...new Set(whole.map((e) => e.type))];
    expect(types).toEqual(expect.arrayContaining(['delivered', 'opened', 'clicked']));
    expect(['delivered', 'bounced', 'opened', 'clicked', 'complained']).toEqual(expect.arrayContaining(types));
    expect(whole.every((e) => e.provider === 'sandbox' && e.channel === 'email' && e.sendId !== null)).toBe(true);
    expect(new Set(whole.map((e) => e.eventKey)).size).toBe(whole.length);
    for (let i = 1; i < whole.length; i++) expect(whole[i]!.occurredAt >= whole[i - 1]!.occurredAt).toBe(true);
  });
});

describe('simulateEvents', () => {
  const messages = Array.from({ length: 4_000 }, (_, i) => ({
    providerMessageId: `sandbox-${i}`,
    sendId: null,
    channel: 'email' as const,
    sentAt,
  }));
  const all = messages.map((m) => simulateEvents(m, defaultSimulation));
  const share = (pick: (events: SandboxEvent[]) => boolean, of = all) => of.filter(pick).length / of.length;
  const has = (type: string) => (events: SandboxEvent[]) => events.some((e) => e.type === type);

  it('gives the same events for the same message and seed, and others for another seed', () => {
    expect(messages.map((m) => simulateEvents(m, defaultSimulation))).toEqual(all);
    const reseeded = messages.map((m) => simulateEvents(m, { ...defaultSimulation, seed: 2 }));
    expect(reseeded).not.toEqual(all);
  });

  it('delivers or bounces every message once, a few seconds after sending', () => {
    for (const events of all) {
      const outcome = events.filter((e) => e.type === 'delivered' || e.type === 'bounced');
      expect(outcome).toHaveLength(1);
      const delay = outcome[0]!.occurredAt.getTime() - sentAt.getTime();
      expect(delay).toBeGreaterThanOrEqual(defaultSimulation.deliveryDelayMs[0]);
      expect(delay).toBeLessThanOrEqual(defaultSimulation.deliveryDelayMs[1]);
    }
  });

  it('bounces, opens and clicks at about the configured rates', () => {
    expect(share(has('bounced'))).toBeCloseTo(defaultSimulation.bounceRate, 1);
    const delivered = all.filter(has('delivered'));
    expect(share(has('opened'), delivered)).toBeGreaterThan(0.32);
    expect(share(has('opened'), delivered)).toBeLessThan(0.38);
    const opened = all.filter(has('opened'));
    expect(share(has('clicked'), opened)).toBeGreaterThan(0.17);
    expect(share(has('clicked'), opened)).toBeLessThan(0.23);
  });

  it('opens only what was delivered and clicks only after opening', () => {
    for (const events of all) {
      const time = (type: string) => events.find((e) => e.type === type)?.occurredAt.getTime();
      if (has('opened')(events)) expect(time('opened')!).toBeGreaterThan(time('delivered')!);
      if (has('clicked')(events)) expect(time('clicked')!).toBeGreaterThan(time('opened')!);
      if (has('bounced')(events)) expect(events).toHaveLength(1);
    }
  });

  it('reports SMS as delivered or failed, never opened', () => {
    const sms = messages
      .slice(0, 500)
      .map((m) => simulateEvents({ ...m, channel: 'sms' }, { ...defaultSimulation, bounceRate: 0.1 }));
    expect(new Set(sms.flat().map((e) => e.type))).toEqual(new Set(['delivered', 'failed']));
  });

  it('follows extreme rates exactly', () => {
    const bounced = simulateEvents(messages[0]!, { ...defaultSimulation, bounceRate: 1 });
    expect(bounced.map((e) => e.type)).toEqual(['bounced']);
    const everything = simulateEvents(messages[0]!, {
      ...defaultSimulation,
      bounceRate: 0,
      openRate: 1,
      clickRate: 1,
      complaintRate: 1,
    });
    expect(everything.map((e) => e.type).sort()).toEqual(['clicked', 'complained', 'delivered', 'opened']);
  });
});
