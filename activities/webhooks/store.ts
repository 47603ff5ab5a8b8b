import type { Knex } from 'knex';
import { contactEffectOf } from '../../domain/webhooks/contact-effects.ts';
import type { EngagementEvent } from '../../domain/webhooks/events.ts';
import { STATUS_RANK, trackingOf } from '../../domain/webhooks/send-status.ts';
import { jsonbText, storableText, type Db } from '../../platform/db.ts';
import { applyContactChanges, customersByAddress, type ContactChange } from './contacts.ts';

/**
 * Writes a batch of engagement events. One statement does the common work, atomically:
 *
 * 1. the single-use tokens of signed requests: an event whose token was seen before is
 *    `replayed`, and nothing else of it is written;
 * 2. a receipt per admitted event, `on conflict do nothing` on (provider, event key), matched
 *    to its ledger row on the way in by send id or else by the provider's message id (index
 *    lookups per event): a provider's retry finds its receipt and is a `duplicate`; an event
 *    whose ids match no row is stored with a null send id, never dropped;
 * 3. for new events only, the ledger rows, merged forward — the higher status rank and the
 *    earliest of each timestamp, `mergeTracking` of domain/webhooks/send-status.ts in SQL,
 *    over what `trackingOf` says of each event — and one `analytics_events` row each.
 *
 * The rare batches that also change consents or suppressions (bounces, complaints,
 * unsubscribes, STOP and START), that need customers found by address (inbound texts), or
 * that hold the same event twice run in a transaction with those steps after the statement.
 */

export type IngestResult = 'accepted' | 'duplicate' | 'replayed';

export interface IngestOutcome {
  result: IngestResult;
  /** The ledger row the event belongs to; null for inbound texts and unknown ids. */
  sendId: string | null;
  /** The event names a message (a send id or a provider message id) that no ledger row has. */
  unmatched: boolean;
}

type Conn = Db | Knex.Transaction;

/** An event's key and its signature token as PostgreSQL stores them: two that store alike are one. */
const keyOf = (e: EngagementEvent) => `${e.source}\0${storableText(e.eventKey)}`;
const tokenOf = (e: EngagementEvent) => (e.replayGuard ? `${e.source}\0${storableText(e.replayGuard.token)}` : null);

/** The status rank as SQL, from the one table in the domain. */
const rankSql = (column: string) =>
  `(case ${column} ${Object.entries(STATUS_RANK)
    .map(([status, rank]) => `when '${status}' then ${rank}`)
    .join(' ')} else -1 end)`;

/** The events move the row's status forward (their status outranks the row's). */
const advances = `${rankSql('v.status')} > ${rankSql('s.status')}`;

const INGEST = `
  with v as (
    select * from jsonb_to_recordset(?::jsonb) as v(
      ord int, provider text, event_key text, event_type text, send_id uuid, message_provider text, message_id text,
      payload jsonb, token text, token_expires_at timestamptz, occurred_at timestamptz, channel text,
      properties jsonb, customer_id uuid, d_status text, d_error_code text, d_last_error text,
      d_delivered_at timestamptz, d_opened_at timestamptz, d_clicked_at timestamptz, d_failed_at timestamptz)
  ),
  tokens as (
    insert into webhook_tokens (provider, token, expires_at)
    select provider, token, token_expires_at from v where token is not null
    on conflict do nothing
    returning provider, token
  ),
  admitted as (
    select v.ord, v.provider, v.event_key, v.event_type, v.payload, v.send_id, v.message_provider, v.message_id from v
    where v.token is null or exists (select 1 from tokens t where t.provider = v.provider and t.token = v.token)
  ),
  m as (
    select a.ord, a.provider, a.event_key, a.event_type, a.payload,
           s.id as matched_send_id, s.campaign_id, s.customer_id as send_customer_id, s.channel as send_channel
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
    select provider, event_key, event_type, matched_send_id, payload, now() from m
    on conflict (provider, event_key) do nothing
    returning provider, event_key
  ),
  fresh as (
    select v.*, m.matched_send_id, m.campaign_id, m.send_customer_id, m.send_channel
    from m
    join ins on ins.provider = m.provider and ins.event_key = m.event_key
    join v on v.ord = m.ord
  ),
  moves as (
    select matched_send_id as id,
           (array_agg(d_status order by ${rankSql('d_status')} desc))[1] as status,
           (array_agg(d_error_code order by ${rankSql('d_status')} desc) filter (where d_error_code is not null))[1]
             as error_code,
           (array_agg(d_last_error order by ${rankSql('d_status')} desc) filter (where d_last_error is not null))[1]
             as last_error,
           min(d_delivered_at) as delivered_at, min(d_opened_at) as opened_at,
           min(d_clicked_at) as clicked_at, min(d_failed_at) as failed_at
    from fresh
    where matched_send_id is not null and d_status is not null
    group by matched_send_id
  ),
  updated as (
    update sends s set
      status = case when ${advances} then v.status else s.status end,
      error_code = case when ${advances} and v.error_code is not null
                        then v.error_code else s.error_code end,
      last_error = case when ${advances} and v.last_error is not null
                        then v.last_error else s.last_error end,
      delivered_at = least(s.delivered_at, v.delivered_at),
      opened_at = least(s.opened_at, v.opened_at),
      clicked_at = least(s.clicked_at, v.clicked_at),
      failed_at = least(s.failed_at, v.failed_at),
      -- The time of the last status change. An open or a click leaves it, and with it every indexed
      -- column, alone, so PostgreSQL can write that update in place (HOT) without touching the ledger's
      -- indexes: two events in three, for a campaign's e-mail.
      updated_at = case when ${advances} then now() else s.updated_at end
    from moves v
    where s.id = v.id
      -- A row the events do not move (a second open, a late delivery report) is left alone.
      and (${advances}
           or least(s.delivered_at, v.delivered_at) is distinct from s.delivered_at
           or least(s.opened_at, v.opened_at) is distinct from s.opened_at
           or least(s.clicked_at, v.clicked_at) is distinct from s.clicked_at
           or least(s.failed_at, v.failed_at) is distinct from s.failed_at)
    returning s.id
  ),
  recorded as (
    insert into analytics_events (occurred_at, type, customer_id, campaign_id, send_id, channel, properties)
    select occurred_at, event_type, coalesce(send_customer_id, customer_id), campaign_id, matched_send_id,
           coalesce(channel, send_channel),
           properties || case when (send_id is not null or message_id is not null) and matched_send_id is null
                              then '{"unmatched": true}'::jsonb else '{}'::jsonb end
    from fresh
    returning 1
  )
  select v.ord, (m.ord is not null) as admitted, m.matched_send_id as send_id,
         m.send_customer_id as customer_id, m.send_channel as channel, (ins.event_key is not null) as fresh
  from v
  left join m on m.ord = v.ord
  left join ins on ins.provider = m.provider and ins.event_key = m.event_key`;

interface Written {
  ord: number;
  admitted: boolean;
  send_id: string | null;
  customer_id: string | null;
  channel: 'email' | 'sms' | null;
  fresh: boolean;
}

/** Customers by address for events that name no message: inbound texts. */
async function customersOfAddresses(conn: Conn, events: readonly EngagementEvent[], ords: readonly number[]) {
  const wanted = { email: new Set<string>(), sms: new Set<string>() };
  for (const i of ords) {
    const e = events[i]!;
    if (needsAddressLookup(e)) wanted[e.channel!].add(e.address!);
  }
  return {
    email: await customersByAddress(conn, 'email', [...wanted.email]),
    sms: await customersByAddress(conn, 'sms', [...wanted.sms]),
  };
}

const needsAddressLookup = (e: EngagementEvent) =>
  e.sendId === null && e.providerMessageId === null && e.address !== null && e.channel !== null && !e.simulated;

/**
 * Named (prepared) statement: PostgreSQL plans it once per connection instead of once per
 * batch; the text is the same every time (the batch is one JSON parameter).
 */
const PREPARED = { name: 'lma_ingest_engagement_v2' };

async function ingest(conn: Conn, events: readonly EngagementEvent[], ords: readonly number[]) {
  const byAddress = ords.some((i) => needsAddressLookup(events[i]!))
    ? await customersOfAddresses(conn, events, ords)
    : undefined;
  const customerOf = (e: EngagementEvent) => {
    const ids = byAddress && needsAddressLookup(e) ? byAddress[e.channel!].get(e.address!) : undefined;
    return ids?.length === 1 ? ids[0]! : null;
  };
  // The batch goes as one JSON document: PostgreSQL parses it once, and the client writes it with
  // one JSON.stringify instead of escaping each element of twenty-one arrays.
  const batch = ords.map((ord) => {
    const e = events[ord]!;
    const d = trackingOf(e);
    return {
      ord,
      provider: e.source,
      event_key: e.eventKey,
      event_type: e.type,
      send_id: e.sendId,
      message_provider: e.messageProvider,
      message_id: e.providerMessageId,
      payload: e.payload ?? null,
      token: e.replayGuard?.token ?? null,
      token_expires_at: e.replayGuard?.expiresAt ?? null,
      occurred_at: e.occurredAt,
      channel: e.channel,
      properties: {
        provider: e.source,
        eventKey: e.eventKey,
        ...(e.providerMessageId ? { providerMessageId: e.providerMessageId } : {}),
        ...(e.simulated ? { simulated: true } : {}),
        ...e.properties,
      },
      customer_id: customerOf(e),
      d_status: d?.status ?? null,
      d_error_code: d?.errorCode ?? null,
      d_last_error: d?.lastError ?? null,
      d_delivered_at: d?.deliveredAt ?? null,
      d_opened_at: d?.openedAt ?? null,
      d_clicked_at: d?.clickedAt ?? null,
      d_failed_at: d?.failedAt ?? null,
    };
  });
  const { rows } = await conn.raw<{ rows: Written[] }>(INGEST, [jsonbText(batch)]).options(PREPARED);
  return { rows, byAddress };
}

/**
 * One pass over events with distinct event keys and tokens. Later copies of a key or token in
 * the same batch go through another pass, where the first copy's receipt or token makes them
 * a duplicate or a replay, exactly as in a later batch.
 */
async function writePass(
  conn: Conn,
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
    const key = keyOf(e);
    const token = tokenOf(e);
    if (keys.has(key) || (token !== null && tokens.has(token))) {
      later.push(i);
      continue;
    }
    keys.add(key);
    if (token !== null) tokens.add(token);
    now.push(i);
  }

  const { rows, byAddress } = await ingest(conn, events, now);
  const changes: { at: Date; change: ContactChange }[] = [];
  for (const r of rows) {
    const e = events[r.ord]!;
    if (!r.admitted) {
      outcomes[r.ord] = { result: 'replayed', sendId: null, unmatched: false };
      continue;
    }
    const expectsSend = e.sendId !== null || e.providerMessageId !== null;
    outcomes[r.ord] = {
      result: r.fresh ? 'accepted' : 'duplicate',
      sendId: r.send_id,
      unmatched: expectsSend && r.send_id === null,
    };
    const effect = r.fresh ? contactEffectOf({ ...e, channel: e.channel ?? r.channel }) : null;
    if (!effect) continue;
    const customerIds = r.customer_id
      ? [r.customer_id]
      : e.address
        ? (byAddress?.[effect.channel].get(e.address) ??
          (await customersByAddress(conn, effect.channel, [e.address])).get(e.address) ??
          [])
        : [];
    changes.push({
      at: e.occurredAt,
      change: {
        effect,
        address: e.address,
        customerIds,
        source: `${e.source}_webhook`,
        evidence: { provider: e.source, eventKey: e.eventKey, occurredAt: e.occurredAt.toISOString() },
      },
    });
  }
  if (changes.length > 0) {
    if (!(conn as Knex.Transaction).isTransaction) throw new Error('contact changes must share the batch transaction');
    changes.sort((a, b) => a.at.getTime() - b.at.getTime());
    await applyContactChanges(
      conn as Knex.Transaction,
      changes.map((c) => c.change),
    );
  }
  if (later.length > 0) await writePass(conn, events, later, outcomes);
}

/** Whether a batch needs more than its one statement: copies, address lookups or contact changes. */
function needsTransaction(events: readonly EngagementEvent[]): boolean {
  const keys = new Set<string>();
  for (const e of events) {
    const key = keyOf(e);
    if (keys.has(key) || needsAddressLookup(e) || contactEffectOf(e) !== null) return true;
    keys.add(key);
  }
  // Two events with one token: the second is a replay, decided in a second pass.
  const tokens = events.map(tokenOf).filter((t) => t !== null);
  return new Set(tokens).size !== tokens.length;
}

const transientCodes = new Set(['40P01', '40001']);

/** Writes the events; a deadlock or serialization failure retries the whole batch (it rolled back). */
export async function writeEngagementEvents(db: Db, events: readonly EngagementEvent[]): Promise<IngestOutcome[]> {
  const all = events.map((_, i) => i);
  for (let attempt = 1; ; attempt++) {
    try {
      const outcomes: IngestOutcome[] = new Array(events.length);
      if (needsTransaction(events)) await db.transaction((trx) => writePass(trx, events, all, outcomes));
      else await writePass(db, events, all, outcomes);
      return outcomes;
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
