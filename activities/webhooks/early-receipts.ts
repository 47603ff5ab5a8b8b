import { mergeTracking, trackingOf, type SendStatus, type SendTracking } from '../../domain/webhooks/send-status.ts';
import { twilioStatusCallback, twilioStatusEvent } from '../../domain/webhooks/twilio.ts';
import type { Db } from '../../platform/db.ts';

/**
 * Twilio status callbacks that beat the send's own write of the MessageSid: ingestion stored
 * them unmatched (send id null). Once the ledger row has its provider id, its early receipts
 * are matched to it and their tracking merged forward, exactly as if they had come later.
 * The send activity calls this after recording a Twilio id; the campaign's delivery wait
 * sweeps its sends again, for a callback that committed in the instant between the two.
 */

interface SendRow {
  id: string;
  campaign_id: string | null;
  customer_id: string;
  status: SendStatus;
  provider_message_id: string;
  delivered_at: Date | null;
  opened_at: Date | null;
  clicked_at: Date | null;
  failed_at: Date | null;
  error_code: string | null;
  last_error: string | null;
}

const trackingOfRow = (r: SendRow): SendTracking => ({
  status: r.status,
  deliveredAt: r.delivered_at,
  openedAt: r.opened_at,
  clickedAt: r.clicked_at,
  failedAt: r.failed_at,
  errorCode: r.error_code,
  lastError: r.last_error,
});

/** Matches the early receipts of these Twilio message ids; returns how many were matched. */
export async function matchEarlyTwilioReceipts(db: Db, messageIds: readonly string[]): Promise<number> {
  if (messageIds.length === 0) return 0;
  // The common case, every send: one index probe that finds nothing.
  const waiting = await db('webhook_receipts')
    .where({ provider: 'twilio' })
    .whereNull('send_id')
    .whereRaw(`payload->>'MessageSid' = any(?::text[])`, [messageIds as string[]])
    .select('id');
  if (waiting.length === 0) return 0;

  return db.transaction(async (trx) => {
    const receipts = (await trx('webhook_receipts')
      .whereIn(
        'id',
        waiting.map((w: { id: string }) => w.id),
      )
      .whereNull('send_id')
      .forUpdate()
      .select('id', 'payload', 'received_at')) as { id: string; payload: unknown; received_at: Date }[];
    const bySid = new Map<string, { id: string; tracking: SendTracking | null }[]>();
    for (const r of receipts) {
      const parsed = twilioStatusCallback.safeParse(r.payload);
      if (!parsed.success) continue;
      const event = twilioStatusEvent(parsed.data, r.payload, r.received_at);
      const list = bySid.get(parsed.data.MessageSid) ?? [];
      list.push({ id: r.id, tracking: trackingOf(event) });
      bySid.set(parsed.data.MessageSid, list);
    }
    if (bySid.size === 0) return 0;
    const sends = (await trx('sends')
      .where({ provider: 'twilio' })
      .whereIn('provider_message_id', [...bySid.keys()])
      .forUpdate()
      .select(
        'id',
        'campaign_id',
        'customer_id',
        'status',
        'provider_message_id',
        'delivered_at',
        'opened_at',
        'clicked_at',
        'failed_at',
        'error_code',
        'last_error',
      )) as SendRow[];
    let matched = 0;
    for (const send of sends) {
      const early = bySid.get(send.provider_message_id) ?? [];
      const before = trackingOfRow(send);
      const after = early.reduce((t, e) => (e.tracking ? mergeTracking(t, e.tracking) : t), before);
      await trx('sends').where({ id: send.id }).update({
        status: after.status,
        delivered_at: after.deliveredAt,
        opened_at: after.openedAt,
        clicked_at: after.clickedAt,
        failed_at: after.failedAt,
        error_code: after.errorCode,
        last_error: after.lastError,
        updated_at: trx.fn.now(),
      });
      await trx('webhook_receipts')
        .whereIn(
          'id',
          early.map((e) => e.id),
        )
        .update({ send_id: send.id });
      await trx('analytics_events')
        .whereNull('send_id')
        .whereRaw(`properties->>'providerMessageId' = ?`, [send.provider_message_id])
        .whereRaw(`properties->>'provider' = 'twilio'`)
        .update({
          send_id: send.id,
          campaign_id: send.campaign_id,
          customer_id: send.customer_id,
          properties: trx.raw(`properties - 'unmatched'`),
        });
      matched += early.length;
    }
    return matched;
  });
}

/** The sweep: a campaign's Twilio sends that still have early receipts waiting. */
export async function matchEarlyReceiptsOfCampaign(db: Db, campaignId: string): Promise<number> {
  const sids = (await db('sends')
    .where({ campaign_id: campaignId, provider: 'twilio' })
    .whereIn(
      'provider_message_id',
      db('webhook_receipts')
        .where({ provider: 'twilio' })
        .whereNull('send_id')
        .select(db.raw(`payload->>'MessageSid'`)),
    )
    .pluck('provider_message_id')) as string[];
  return matchEarlyTwilioReceipts(db, sids);
}
