import type { CampaignStatus } from '../domain/campaigns/lifecycle.ts';
import type { Db } from '../platform/db.ts';

/**
 * The campaign's bookkeeping in Postgres: status, the days and windows to send, the retry and
 * failure accounting of the ledger, and the results at the end.
 */

export interface SendDay {
  day: number;
  /** Distinct instants (epoch ms) at which some action's send window opens that day, ascending. */
  windows: { opensAt: number }[];
}

export function createCampaignRecordActivities({ db }: { db: Db }) {
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
      return db.transaction(async (trx) => {
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
              dedupe_key: `sends_failed/${campaignId}/${day}`,
            })
            .onConflict('dedupe_key')
            .ignore();
        }
        return failed.length;
      });
    },

    /** Sent messages with no delivery evidence by now are `unconfirmed`. */
    async markUnconfirmedSends(campaignId: string): Promise<number> {
      return db('sends')
        .where({ campaign_id: campaignId, status: 'sent' })
        .update({ status: 'unconfirmed', updated_at: db.fn.now() });
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
                count(*) filter (where status = 'unknown')::int as unknown
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
