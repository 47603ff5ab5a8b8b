import { randomUUID } from 'node:crypto';
import type { Db } from '../../platform/db.ts';

/** Ledger rows for webhook tests and the webhook benchmark: a campaign, customers and their sends. */

export async function insertCampaign(db: Db): Promise<string> {
  const [campaign] = await db('campaigns')
    .insert({ name: 'Weekend bourbon', type: 'custom', starts_on: '2026-11-27', time_zone: 'America/Chicago' })
    .returning('id');
  return campaign.id as string;
}

export async function insertCustomer(
  db: Db,
  fields: { email?: string | null; phone?: string | null } = {},
): Promise<{ id: string; email: string | null; phone: string | null }> {
  const id = randomUUID();
  const email = fields.email === undefined ? `c-${id.slice(0, 8)}@example.com` : fields.email;
  const phone = fields.phone === undefined ? null : fields.phone;
  await db('customers').insert({ id, external_id: `C-${id}`, email, phone, first_name: 'Pat' });
  return { id, email, phone };
}

export interface SendRow {
  id: string;
  customerId: string;
  campaignId: string | null;
  providerMessageId: string;
}

export async function insertSend(
  db: Db,
  o: {
    customerId: string;
    campaignId?: string | null;
    channel?: 'email' | 'sms';
    provider?: 'mailgun' | 'twilio' | 'sandbox';
    providerMessageId?: string;
    status?: string;
  },
): Promise<SendRow> {
  const id = randomUUID();
  const channel = o.channel ?? 'email';
  const providerMessageId = o.providerMessageId ?? `${randomUUID()}@mg.store.example`;
  await db('sends').insert({
    id,
    campaign_id: o.campaignId ?? null,
    customer_id: o.customerId,
    channel,
    day: 0,
    status: o.status ?? 'sent',
    provider: o.provider ?? (channel === 'email' ? 'mailgun' : 'twilio'),
    provider_message_id: providerMessageId,
    attempts: 1,
    sent_at: new Date(),
  });
  return { id, customerId: o.customerId, campaignId: o.campaignId ?? null, providerMessageId };
}

/** Many sends at once, one customer each, for the benchmark. */
export async function insertSends(db: Db, count: number, campaignId: string): Promise<SendRow[]> {
  const rows: SendRow[] = [];
  for (let start = 0; start < count; start += 1000) {
    const chunk = Array.from({ length: Math.min(1000, count - start) }, () => ({
      customerId: randomUUID(),
      id: randomUUID(),
      providerMessageId: `${randomUUID()}@mg.store.example`,
    }));
    await db('customers').insert(
      chunk.map((c) => ({
        id: c.customerId,
        external_id: `bench-${c.customerId}`,
        email: `${c.customerId}@example.com`,
      })),
    );
    await db('sends').insert(
      chunk.map((c) => ({
        id: c.id,
        campaign_id: campaignId,
        customer_id: c.customerId,
        channel: 'email',
        day: 0,
        status: 'sent',
        provider: 'mailgun',
        provider_message_id: c.providerMessageId,
        attempts: 1,
        sent_at: new Date(),
      })),
    );
    rows.push(
      ...chunk.map((c) => ({ id: c.id, customerId: c.customerId, campaignId, providerMessageId: c.providerMessageId })),
    );
  }
  return rows;
}
