import type { AdminAlerts } from './alerts.ts';
import type { CampaignStatus } from '../domain/campaigns/lifecycle.ts';
import type { Db } from '../platform/db.ts';
import { matchEarlyReceiptsOfCampaign } from './webhooks/early-receipts.ts';

/**
 * The campaign's bookkeeping in Postgres: status, the days and windows to send, the retry and
 * failure accounting of the ledger, and the results at the end.
 */

export interface SendDay {
  day: number;
  /** Distinct instants (epoch ms) at which some action's send window opens that day, ascending. */
  windows: { opensAt: number }[];
}

/** Where a campaign day's messages stand, from the ledger that webhooks keep up to date. */
export interface DayOutcomes {
  /** Sent, with no delivery evidence yet: what the delivery wait waits for. */
  awaiting: number;
  delivered: number;
  failed: number;
  skipped: number;
  unconfirmed: number;
}

export function createCampaignRecordActivities({ db, alerts }: { db: Db; alerts?: AdminAlerts }) {
  return {
    async recordCampaignStatus(campaignId: string, status: CampaignStatus, lastError: string | null): Promise<void> {
      await db('campaigns')
        .where({ id: campaignId })
        .update({
          status,
          last_error: lastError,
          ...(status === 'active' ? { started_at: db.raw('coalesce(started_at, now())') } : {}),
          ...(['completed', 'cancelled', 'failed'].includes(status) ? { finished_at: db.fn.now() } : {}),
          updated_at: db.fn.now(),
        });
    },

    async campaignSendDays(campaignId: string): Promise<SendDay[]> {
      const rows = await db('actions')
        .where({ campaign_id: campaignId, status: 'approved' })
        .whereNotNull('send_at')
        .distinct('day', 'send_at')
        .orderBy([{ column: 'day' }, { column: 'send_at' }]);
      const days = new Map<number, SendDay>();
      for (const r of rows as { day: number; send_at: Date }[]) {
        const day = days.get(r.day) ?? { day: r.day, windows: [] };
        day.windows.push({ opensAt: r.send_at.getTime() });
        days.set(r.day, day);
      }
      return [...days.values()];
    },

    async countRetryableSends(campaignId: string, day: number): Promise<number> {
      const [{ n }] = (await db('sends')
        .where({ campaign_id: campaignId, day, status: 'failed', retryable: true })
        .count({ n: '*' })) as [{ n: number }];
      return Number(n);
    },

    /**
     * Retries are over: what still failed is failed for good, and the admins hear about it once
     * per campaign day (the notification's key makes a retried activity notify only once).
     */
    async failExhaustedSends(campaignId: string, day: number, maxAttempts: number): Promise<number> {
      const dedupeKey = `sends_failed/${campaignId}/${day}`;
      const failedCount = await db.transaction(async (trx) => {
        const failed = await trx('sends')
          .where({ campaign_id: campaignId, day, status: 'failed', retryable: true })
          .update({ retryable: false, updated_at: trx.fn.now() })
          .returning(['id', 'last_error']);
        if (failed.length > 0) {
          const campaign = await trx('campaigns').where({ id: campaignId }).first('name');
          await trx('notifications')
            .insert({
              kind: 'sends_failed',
              severity: 'error',
              title: `${failed.length} messages of "${campaign?.name}" failed on day ${day + 1}`,
              body: `They failed ${maxAttempts} attempts. Last error: ${failed[0]!.last_error ?? 'unknown'}`,
              campaign_id: campaignId,
              details: JSON.stringify({ day, sendIds: failed.slice(0, 100).map((f) => f.id) }),
              dedupe_key: dedupeKey,
            })
            .onConflict('dedupe_key')
            .ignore();
        }
        return failed.length;
      });
      // Also when nothing failed this time: a retry after a crash delivers what is still pending.
      await alerts?.deliver([dedupeKey]);
      return failedCount;
    },

    /** Sent messages (of one day, or of the whole campaign) with no delivery evidence by now are `unconfirmed`. */
    async markUnconfirmedSends(campaignId: string, day?: number): Promise<number> {
      return db('sends')
        .where({ campaign_id: campaignId, status: 'sent' })
        .modify((q) => {
          if (day !== undefined) q.where({ day });
        })
        .update({ status: 'unconfirmed', updated_at: db.fn.now() });
    },

    /**
     * The day's delivery outcomes so far: one aggregate read of the ledger, which webhooks and
     * the sandbox's events move forward in Postgres. Workflows poll this instead of receiving a
     * signal per event. Early Twilio callbacks the sends could not match yet are matched first.
     */
    async campaignDayOutcomes(campaignId: string, day: number): Promise<DayOutcomes> {
      await matchEarlyReceiptsOfCampaign(db, campaignId);
      const { rows } = await db.raw(
        `select count(*) filter (where status = 'sent')::int as awaiting,
                count(*) filter (where delivered_at is not null)::int as delivered,
                count(*) filter (where status in ('failed', 'bounced', 'complained'))::int as failed,
                count(*) filter (where status = 'skipped')::int as skipped,
                count(*) filter (where status = 'unconfirmed')::int as unconfirmed
         from sends where campaign_id = ? and day = ?`,
        [campaignId, day],
      );
      return rows[0] as DayOutcomes;
    },

    /** A day's results once its outcomes are in (sent, delivered, fallbacks…), kept on the campaign by day. */
    async recordCampaignDayResults(campaignId: string, day: number): Promise<Record<string, number>> {
      const { rows } = await db.raw(
        `select count(*) filter (where status not in ('pending', 'skipped'))::int as attempted,
                count(*) filter (where status in ('sent', 'delivered', 'unconfirmed'))::int as sent,
                count(*) filter (where delivered_at is not null)::int as delivered,
                count(*) filter (where opened_at is not null)::int as opened,
                count(*) filter (where clicked_at is not null)::int as clicked,
                count(*) filter (where status = 'skipped')::int as skipped,
                count(*) filter (where status in ('failed', 'bounced', 'complained'))::int as failed,
                count(*) filter (where status = 'unconfirmed')::int as unconfirmed,
                count(*) filter (where status = 'unknown')::int as unknown,
                count(*) filter (where fallback_of is not null and status not in ('pending', 'skipped'))::int
                  as sms_fallbacks
         from sends where campaign_id = ? and day = ?`,
        [campaignId, day],
      );
      const results = rows[0] as Record<string, number>;
      await db('campaigns')
        .where({ id: campaignId })
        .update({
          day_results: db.raw(`day_results || jsonb_build_object(?::text, ?::jsonb)`, [
            String(day),
            JSON.stringify({ ...results, recordedAt: new Date().toISOString() }),
          ]),
        });
      return results;
    },

    /**
     * A cancelled campaign leaves nothing half-way: unsent rows are skipped with a reason, and the
     * actions not yet sent are cancelled (those already sent keep their status; the ledger has their story).
     */
    async closeCampaignLedger(campaignId: string): Promise<number> {
      await db('actions')
        .where({ campaign_id: campaignId, status: 'approved' })
        .whereNotExists(db('sends').whereRaw('sends.action_id = actions.id').whereNot('sends.status', 'pending'))
        .update({ status: 'cancelled' });
      return db('sends')
        .where({ campaign_id: campaignId })
        .whereIn('status', ['pending'])
        .orWhere((q) => q.where({ campaign_id: campaignId, status: 'failed', retryable: true }))
        .update({ status: 'skipped', skip_reason: 'campaign_cancelled', retryable: null, updated_at: db.fn.now() });
    },

    async recordCampaignResults(campaignId: string): Promise<Record<string, number>> {
      const { rows } = await db.raw(
        `select count(*) filter (where status not in ('pending', 'skipped'))::int as attempted,
                count(*) filter (where status in ('sent', 'delivered', 'unconfirmed'))::int as sent,
                count(*) filter (where delivered_at is not null)::int as delivered,
                count(*) filter (where opened_at is not null)::int as opened,
                count(*) filter (where clicked_at is not null)::int as clicked,
                count(*) filter (where status = 'skipped')::int as skipped,
                count(*) filter (where status in ('failed', 'bounced', 'complained'))::int as failed,
                count(*) filter (where status = 'unknown')::int as unknown,
                count(*) filter (where fallback_of is not null and status not in ('pending', 'skipped'))::int
                  as sms_fallbacks
         from sends where campaign_id = ?`,
        [campaignId],
      );
      const results = rows[0] as Record<string, number>;
      await db('campaigns')
        .where({ id: campaignId })
        .update({ results: JSON.stringify({ ...results, recordedAt: new Date().toISOString() }) });
      return results;
    },
  };
}
