import type { Knex } from 'knex';
import { contactEffectOf } from '../../domain/webhooks/contact-effects.ts';
import type { EngagementEvent } from '../../domain/webhooks/events.ts';
import {
  mergeTracking,
  noTracking,
  STATUS_RANK,
  trackingOf,
  type SendTracking,
} from '../../domain/webhooks/send-status.ts';
import type { Db } from '../../platform/db.ts';
import { applyContactChanges, customersByAddress, type ContactChange } from './contacts.ts';

/**
 * Writes a batch of engagement events in one transaction:
 *
 * 1. the single-use tokens of signed requests (a token seen before makes its event `replayed`,
 *    and nothing else of it is written);
 * 2. a receipt per event, `on conflict do nothing` on (provider, event key), matched to its
 *    ledger row on the way in: a provider's retry finds its receipt and is a `duplicate`;
 *    an event whose ids match no row is stored with a null send id, never dropped;
 * 3. for new events only: suppressions and consents, the ledger rows (status forward only,
 *    earliest timestamps: the merge of domain/webhooks/send-status.ts, in SQL), and one
 *    `analytics_events` row each.
 *
 * Two multi-row statements per batch (`unnest` of one array per column) whatever its size, plus
 * a few for the rare events that change consents or suppressions.
 */

export type IngestResult = 'accepted' | 'duplicate' | 'replayed';

export interface IngestOutcome {
  result: IngestResult;
  /** The ledger row the event belongs to; null for inbound texts and unknown ids. */
  sendId: string | null;
  /** The event names a message (a send id or a provider message id) that no ledger row has. */
  unmatched: boolean;
}

const arrays = (...columns: unknown[]) => columns as Knex.RawBinding[];

/** PostgreSQL text and jsonb refuse NUL; a provider's payload must not be able to fail a batch. */
const noNul = (s: string) => s.replaceAll('\0', '\uFFFD');
const nullableText = (s: string | null) => (s === null ? null : noNul(s));
const jsonText = (value: unknown) => JSON.stringify(value ?? null).replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd');

/** The status rank as SQL, from the one table in the domain. */
const rankSql = (column: string) =>
  `(case ${column} ${Object.entries(STATUS_RANK)
    .map(([status, rank]) => `when '${status}' then ${rank}`)
    .join(' ')} else -1 end)`;

/**
 * Statement one: the signature tokens, then — for events whose token was new or that carry
 * none — the receipts, each matched to its ledger row by send id or else by the provider's
 * message id (index lookups per event, never a join over the ledger). Answers per event
 * whether it was admitted (token new), fresh (receipt new) and which send it matched.
 */
const RECORD_RECEIPTS = `
  with v as (
    select * from unnest(?::int[], ?::text[], ?::text[], ?::text[], ?::uuid[], ?::text[], ?::text[], ?::jsonb[],
                         ?::text[], ?::timestamptz[])
      as v(ord, provider, event_key, event_type, send_id, message_provider, message_id, payload, token, token_expires_at)
  ),
  tokens as (
    insert into webhook_tokens (provider, token, expires_at)
    select provider, token, token_expires_at from v where token is not null
    on conflict do nothing
    returning provider, token
  ),
  admitted as (
    select v.* from v
    where v.token is null or exists (select 1 from tokens t where t.provider = v.provider and t.token = v.token)
  ),
  m as (
    select a.ord, a.provider, a.event_key, a.event_type, a.payload,
           s.id as send_id, s.campaign_id, s.customer_id, s.channel
    from admitted a
    left join lateral (
      (select id, campaign_id, customer_id, channel from sends where id = a.send_id)
      union all
      (select id, campaign_id, customer_id, channel from sends
       where a.message_id is not null and provider = a.message_provider and provider_message_id = a.message_id)
      limit 1
    ) s on true
  ),
  ins as (
    insert into webhook_receipts (provider, event_key, event_type, send_id, payload, processed_at)
    select provider, event_key, event_type, send_id, payload, now() from m
    on conflict (provider, event_key) do nothing
    returning provider, event_key
  )
  select v.ord, (m.ord is not null) as admitted, m.send_id, m.campaign_id, m.customer_id, m.channel,
         (ins.event_key is not null) as fresh
  from v
  left join m on m.ord = v.ord
  left join ins on ins.provider = m.provider and ins.event_key = m.event_key`;

/**
 * Statement two, for new events only: the ledger rows, merged forward (higher status rank,
 * earliest timestamps), and the analytics events.
 */
const UPDATE_SENDS_AND_RECORD_ANALYTICS = `
  with v as (
    select * from unnest(?::uuid[], ?::text[], ?::text[], ?::text[],
                         ?::timestamptz[], ?::timestamptz[], ?::timestamptz[], ?::timestamptz[])
      as v(id, status, error_code, last_error, delivered_at, opened_at, clicked_at, failed_at)
  ),
  updated as (
    update sends s set
      status = case when ${rankSql('v.status')} > ${rankSql('s.status')} then v.status else s.status end,
      error_code = case when ${rankSql('v.status')} > ${rankSql('s.status')} and v.error_code is not null
                        then v.error_code else s.error_code end,
      last_error = case when ${rankSql('v.status')} > ${rankSql('s.status')} and v.last_error is not null
                        then v.last_error else s.last_error end,
      delivered_at = least(s.delivered_at, v.delivered_at),
      opened_at = least(s.opened_at, v.opened_at),
      clicked_at = least(s.clicked_at, v.clicked_at),
      failed_at = least(s.failed_at, v.failed_at),
      updated_at = now()
    from v
    where s.id = v.id
      -- A row the events do not move (a second open, a late delivery report) is left alone.
      and (${rankSql('v.status')} > ${rankSql('s.status')}
           or least(s.delivered_at, v.delivered_at) is distinct from s.delivered_at
           or least(s.opened_at, v.opened_at) is distinct from s.opened_at
           or least(s.clicked_at, v.clicked_at) is distinct from s.clicked_at
           or least(s.failed_at, v.failed_at) is distinct from s.failed_at)
    returning s.id
  )
  insert into analytics_events (occurred_at, type, customer_id, campaign_id, send_id, channel, properties)
  select * from unnest(?::timestamptz[], ?::text[], ?::uuid[], ?::uuid[], ?::uuid[], ?::text[], ?::jsonb[])`;

/**
 * Named (prepared) statements: PostgreSQL plans each once per connection instead of once per
 * batch; the statements are the same text every time (one array parameter per column).
 */
const prepared = (name: string) => ({ name: `${name}_v1` });

interface Matched {
  ord: number;
  admitted: boolean;
  send_id: string | null;
  campaign_id: string | null;
  customer_id: string | null;
  channel: 'email' | 'sms' | null;
  fresh: boolean;
}

async function recordReceipts(trx: Knex.Transaction, events: readonly EngagementEvent[], ords: number[]) {
  const { rows } = await trx
    .raw<{ rows: Matched[] }>(
      RECORD_RECEIPTS,
      arrays(
        ords,
        ords.map((i) => events[i]!.source),
        ords.map((i) => noNul(events[i]!.eventKey)),
        ords.map((i) => events[i]!.type),
        ords.map((i) => events[i]!.sendId),
        ords.map((i) => events[i]!.messageProvider),
        ords.map((i) => nullableText(events[i]!.providerMessageId)),
        ords.map((i) => jsonText(events[i]!.payload)),
        ords.map((i) => nullableText(events[i]!.replayGuard?.token ?? null)),
        ords.map((i) => events[i]!.replayGuard?.expiresAt ?? null),
      ),
    )
    .options(prepared('lma_webhook_receipts'));
  return rows;
}

interface AnalyticsRow {
  occurredAt: Date;
  type: string;
  customerId: string | null;
  campaignId: string | null;
  sendId: string | null;
  channel: string | null;
  properties: Record<string, unknown>;
}

async function updateSendsAndRecordAnalytics(
  trx: Knex.Transaction,
  tracking: Map<string, SendTracking>,
  analytics: AnalyticsRow[],
): Promise<void> {
  // A fixed order keeps two concurrent batches from locking the same rows crosswise.
  const ids = [...tracking.keys()].sort();
  const col = <K extends keyof SendTracking>(k: K) => ids.map((id) => tracking.get(id)![k]);
  await trx
    .raw(
      UPDATE_SENDS_AND_RECORD_ANALYTICS,
      arrays(
        ids,
        col('status'),
        col('errorCode').map(nullableText),
        col('lastError').map(nullableText),
        col('deliveredAt'),
        col('openedAt'),
        col('clickedAt'),
        col('failedAt'),
        analytics.map((r) => r.occurredAt),
        analytics.map((r) => r.type),
        analytics.map((r) => r.customerId),
        analytics.map((r) => r.campaignId),
        analytics.map((r) => r.sendId),
        analytics.map((r) => r.channel),
        analytics.map((r) => jsonText(r.properties)),
      ),
    )
    .options(prepared('lma_webhook_updates'));
}

/** Customers of events that match no send but name an address (inbound texts, mostly). */
async function customersOf(trx: Knex.Transaction, events: readonly EngagementEvent[], matched: Matched[]) {
  const wanted = { email: new Set<string>(), sms: new Set<string>() };
  for (const m of matched) {
    const e = events[m.ord]!;
    if (m.fresh && !m.customer_id && e.address && e.channel && !e.simulated) wanted[e.channel].add(e.address);
  }
  return {
    email: await customersByAddress(trx, 'email', [...wanted.email]),
    sms: await customersByAddress(trx, 'sms', [...wanted.sms]),
  };
}

/**
 * One pass over events with distinct event keys and tokens. Later copies of a key or token in
 * the same batch go through another pass in the same transaction, where the first copy's
 * receipt or token makes them a duplicate or a replay, exactly as in a later batch.
 */
async function writeBatch(
  trx: Knex.Transaction,
  events: readonly EngagementEvent[],
  ords: readonly number[],
  outcomes: IngestOutcome[],
): Promise<void> {
  const keys = new Set<string>();
  const tokens = new Set<string>();
  const now: number[] = [];
  const later: number[] = [];
  for (const i of ords) {
    const e = events[i]!;
    const key = `${e.source}\0${noNul(e.eventKey)}`;
    const token = e.replayGuard ? `${e.source}\0${noNul(e.replayGuard.token)}` : null;
    if (keys.has(key) || (token !== null && tokens.has(token))) {
      later.push(i);
      continue;
    }
    keys.add(key);
    if (token !== null) tokens.add(token);
    now.push(i);
  }

  const matched = await recordReceipts(trx, events, now);
  const byAddress = await customersOf(trx, events, matched);
  const tracking = new Map<string, SendTracking>();
  const changes: { at: Date; change: ContactChange }[] = [];
  const analytics: AnalyticsRow[] = [];

  for (const m of matched) {
    const e = events[m.ord]!;
    if (!m.admitted) {
      outcomes[m.ord] = { result: 'replayed', sendId: null, unmatched: false };
      continue;
    }
    const expectsSend = e.sendId !== null || e.providerMessageId !== null;
    outcomes[m.ord] = {
      result: m.fresh ? 'accepted' : 'duplicate',
      sendId: m.send_id,
      unmatched: expectsSend && m.send_id === null,
    };
    if (!m.fresh) continue;

    const customers = m.customer_id
      ? [m.customer_id]
      : e.address && e.channel && !e.simulated
        ? (byAddress[e.channel].get(e.address) ?? [])
        : [];
    if (m.send_id) {
      const delta = trackingOf(e);
      if (delta) tracking.set(m.send_id, mergeTracking(tracking.get(m.send_id) ?? noTracking, delta));
    }
    const effect = contactEffectOf({ ...e, channel: e.channel ?? m.channel });
    if (effect) {
      changes.push({
        at: e.occurredAt,
        change: {
          effect,
          address: e.address,
          customerIds: customers,
          source: `${e.source}_webhook`,
          evidence: { provider: e.source, eventKey: e.eventKey, occurredAt: e.occurredAt.toISOString() },
        },
      });
    }
    analytics.push({
      occurredAt: e.occurredAt,
      type: e.type,
      customerId: customers.length === 1 ? customers[0]! : null,
      campaignId: m.campaign_id,
      sendId: m.send_id,
      channel: e.channel ?? m.channel,
      properties: {
        provider: e.source,
        eventKey: e.eventKey,
        ...(e.providerMessageId ? { providerMessageId: e.providerMessageId } : {}),
        ...(expectsSend && !m.send_id ? { unmatched: true } : {}),
        ...(e.simulated ? { simulated: true } : {}),
        ...e.properties,
      },
    });
  }

  changes.sort((a, b) => a.at.getTime() - b.at.getTime());
  await applyContactChanges(
    trx,
    changes.map((c) => c.change),
  );
  if (analytics.length > 0) await updateSendsAndRecordAnalytics(trx, tracking, analytics);
  if (later.length > 0) await writeBatch(trx, events, later, outcomes);
}

const transientCodes = new Set(['40P01', '40001']);

/** Writes the events; a deadlock or serialization failure retries the whole batch (it rolled back). */
export async function writeEngagementEvents(db: Db, events: readonly EngagementEvent[]): Promise<IngestOutcome[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(async (trx) => {
        const outcomes: IngestOutcome[] = new Array(events.length);
        await writeBatch(
          trx,
          events,
          events.map((_, i) => i),
          outcomes,
        );
        return outcomes;
      });
    } catch (err) {
      if (attempt < 3 && transientCodes.has((err as { code?: string }).code ?? '')) continue;
      throw err;
    }
  }
}

/** Forgets signature tokens whose signatures are no longer fresh: a replay of them is stale anyway. */
export async function purgeExpiredTokens(db: Db): Promise<number> {
  return db('webhook_tokens').where('expires_at', '<', db.fn.now()).delete();
}
