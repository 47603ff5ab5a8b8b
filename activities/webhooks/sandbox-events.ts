import type { SandboxEvent, SandboxProviders } from '../messaging/providers/index.ts';
import { engagementEvent, type EngagementEvent, type EngagementEventType } from '../../domain/webhooks/events.ts';
import type { Db } from '../../platform/db.ts';
import type { Logger } from '../../platform/logger.ts';
import { createEngagementIngestion, type EngagementIngestion } from './ingestion.ts';

/**
 * The sandbox's simulated delivery, open and click events, ingested exactly as provider
 * webhooks are (receipts, ledger, analytics), minus the signature: they never left the
 * process. Being simulated, they never add a suppression of a real address.
 */

const CURSOR_KEY = 'webhooks.sandbox_events_until';

const typeOf: Record<SandboxEvent['type'], EngagementEventType> = {
  delivered: 'delivered',
  bounced: 'bounced',
  failed: 'failed',
  opened: 'opened',
  clicked: 'clicked',
  complained: 'complained',
};

export function sandboxEngagementEvent(e: SandboxEvent): EngagementEvent {
  return engagementEvent({
    source: 'sandbox',
    eventKey: e.eventKey,
    type: typeOf[e.type],
    channel: e.channel,
    occurredAt: e.occurredAt,
    sendId: e.sendId,
    providerMessageId: e.providerMessageId,
    messageProvider: 'sandbox',
    simulated: true,
    payload: { ...e, occurredAt: e.occurredAt.toISOString() },
  });
}

export interface SandboxIngestInput {
  /** ISO instant; default: where the previous run stopped (or the beginning). */
  after?: string;
  /** ISO instant; default: now. */
  until?: string;
}

export interface SandboxIngestResult {
  after: string;
  until: string;
  events: number;
  accepted: number;
  duplicates: number;
  unmatched: number;
}

export function createSandboxEventActivities(deps: {
  db: Db;
  log: Logger;
  /** Absent when both channels use real providers: the activity then has nothing to do. */
  sandbox?: Pick<SandboxProviders, 'eventsBetween'>;
  ingestion?: EngagementIngestion;
  now?: () => Date;
}) {
  const ingestion = deps.ingestion ?? createEngagementIngestion(deps);
  const now = deps.now ?? (() => new Date());

  async function cursor(): Promise<Date> {
    const row = await deps.db('settings').where({ key: CURSOR_KEY }).first('value');
    return row ? new Date(row.value as string) : new Date(0);
  }

  return {
    /**
     * Ingests the sandbox events that occurred in (after, until]. Without `after` it continues
     * from the previous run and moves the cursor on, so a schedule can call it with no input;
     * running a window twice is harmless (the receipts make the second a duplicate).
     */
    async ingestSandboxEvents(input: SandboxIngestInput = {}): Promise<SandboxIngestResult> {
      const after = input.after ? new Date(input.after) : await cursor();
      const until = input.until ? new Date(input.until) : now();
      if (Number.isNaN(after.getTime()) || Number.isNaN(until.getTime())) {
        throw new RangeError('after and until must be ISO instants');
      }
      const result = { after: after.toISOString(), until: until.toISOString() };
      if (!deps.sandbox) return { ...result, events: 0, accepted: 0, duplicates: 0, unmatched: 0 };

      const events = (await deps.sandbox.eventsBetween(after, until)).map(sandboxEngagementEvent);
      const outcomes = await ingestion.ingestAll(events);
      if (!input.after) {
        await deps
          .db('settings')
          .insert({ key: CURSOR_KEY, value: JSON.stringify(until.toISOString()), updated_at: deps.db.fn.now() })
          .onConflict('key')
          .merge(['value', 'updated_at']);
      }
      const summary = {
        ...result,
        events: events.length,
        accepted: outcomes.filter((o) => o.result === 'accepted').length,
        duplicates: outcomes.filter((o) => o.result === 'duplicate').length,
        unmatched: outcomes.filter((o) => o.result === 'accepted' && o.unmatched).length,
      };
      if (summary.events > 0) deps.log.info(summary, 'sandbox events ingested');
      return summary;
    },
  };
}
