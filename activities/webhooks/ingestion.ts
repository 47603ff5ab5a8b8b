import type { EngagementEvent } from '../../domain/webhooks/events.ts';
import type { Db } from '../../platform/db.ts';
import type { Logger } from '../../platform/logger.ts';
import { BatchBuffer, type BatchBufferOptions } from '../../platform/batch-buffer.ts';
import { purgeExpiredTokens, writeEngagementEvents, type IngestOutcome } from './store.ts';

export { BufferClosedError, BufferFullError } from '../../platform/batch-buffer.ts';
export type { IngestOutcome, IngestResult } from './store.ts';

/**
 * The one way engagement events get in, whoever reports them: provider webhooks, the click
 * redirect and the sandbox. Single events (one per webhook request) go through a bounded
 * buffer that writes them in batches and resolves each when its batch is committed; a batch
 * that is already a batch (the sandbox's) is written directly, in chunks.
 */

export interface IngestStats {
  received: number;
  accepted: number;
  duplicates: number;
  replayed: number;
  /** Accepted events whose ids match no ledger row: stored with a null send id. */
  unmatched: number;
  batches: number;
  /** Batches that failed as a whole (the database away, say): every caller was answered with the error. */
  failedBatches: number;
  /** Events that could not be written even alone, for what they hold; their batch-mates were written. */
  unwritable: number;
}

export interface EngagementIngestion {
  ingest(event: EngagementEvent): Promise<IngestOutcome>;
  ingestAll(events: readonly EngagementEvent[]): Promise<IngestOutcome[]>;
  /** Writes what is waiting and resolves when every write so far is committed. */
  flush(): Promise<void>;
  /** Refuses new events, then flushes. */
  close(): Promise<void>;
  stats(): IngestStats;
}

export type IngestionOptions = Omit<BatchBufferOptions<EngagementEvent, IngestOutcome>, 'write'> & {
  /** How often expired signature tokens are deleted. */
  purgeEveryMs?: number;
};

/** The stats of an ingestion that has seen nothing. */
export const noEventsYet = (): IngestStats => ({
  received: 0,
  accepted: 0,
  duplicates: 0,
  replayed: 0,
  unmatched: 0,
  batches: 0,
  failedBatches: 0,
  unwritable: 0,
});

/** An event that a PostgreSQL data or constraint error refuses even alone, and why. */
class Unwritable {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

/**
 * SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation): something in the
 * events themselves, not the database being away, which no amount of splitting would change.
 */
const isDataError = (err: unknown) => /^2[23]/.test((err as { code?: unknown }).code?.toString() ?? '');

export function createEngagementIngestion(deps: { db: Db; log: Logger }, options: IngestionOptions = {}) {
  const { purgeEveryMs = 60_000, ...given } = options;
  // One writer until a batch's worth waits. Below that, one statement of 100 events costs
  // PostgreSQL less than two of 50 (a statement's triggers run once), and on a small machine a
  // second busy backend takes the cores the API needs: 12–15 % more events a second on two
  // cores (BENCHMARKS.md, webhooks). A deeper backlog still gets a second writer.
  const bufferOptions = { parallelAt: 100, ...given };
  const maxBatch = bufferOptions.maxBatch ?? 500;
  const stats = noEventsYet();
  let lastPurge = Date.now();

  /**
   * A batch is one statement (or transaction) and fails as one. When it fails for what an event
   * holds, it is written again in halves, so that only the event that cannot be written fails and
   * its batch-mates, which share nothing with it, are acknowledged: log2(batch) more statements.
   */
  async function writeIsolating(events: EngagementEvent[]): Promise<(IngestOutcome | Unwritable)[]> {
    try {
      return await writeEngagementEvents(deps.db, events);
    } catch (err) {
      if (!isDataError(err)) throw err;
      if (events.length === 1) return [new Unwritable(err)];
      const half = Math.ceil(events.length / 2);
      return [...(await writeIsolating(events.slice(0, half))), ...(await writeIsolating(events.slice(half)))];
    }
  }

  async function write(events: EngagementEvent[]): Promise<(IngestOutcome | Unwritable)[]> {
    stats.batches++;
    let outcomes: (IngestOutcome | Unwritable)[];
    try {
      outcomes = await writeIsolating(events);
    } catch (err) {
      stats.failedBatches++;
      deps.log.error({ err, events: events.length }, 'engagement events could not be written');
      throw err;
    }
    const unmatched: { source: string; eventKey: string; type: string }[] = [];
    for (const [i, o] of outcomes.entries()) {
      const e = events[i]!;
      if (o instanceof Unwritable) {
        stats.unwritable++;
        // Its caller answers 500 and the provider retries it; until someone looks, this line is its record.
        deps.log.error(
          { err: o.error, source: e.source, eventKey: e.eventKey, type: e.type },
          'an engagement event cannot be written; its batch-mates were',
        );
        continue;
      }
      if (o.result === 'accepted') stats.accepted++;
      else if (o.result === 'duplicate') stats.duplicates++;
      else stats.replayed++;
      if (o.result === 'accepted' && o.unmatched)
        unmatched.push({ source: e.source, eventKey: e.eventKey, type: e.type });
    }
    if (unmatched.length > 0) {
      stats.unmatched += unmatched.length;
      // Expected now and then (messages sent from the provider's console, rows deleted since).
      deps.log.info(
        { unmatched: unmatched.length, examples: unmatched.slice(0, 5) },
        'engagement events match no send; stored with their receipts',
      );
    }
    if (Date.now() - lastPurge > purgeEveryMs) {
      lastPurge = Date.now();
      purgeExpiredTokens(deps.db).catch((err: unknown) =>
        deps.log.warn({ err }, 'expired webhook tokens could not be purged'),
      );
    }
    return outcomes;
  }

  const written = (o: IngestOutcome | Unwritable): IngestOutcome => {
    if (o instanceof Unwritable) throw o.error;
    return o;
  };

  const buffer = new BatchBuffer<EngagementEvent, IngestOutcome | Unwritable>({ ...bufferOptions, write });

  const ingestion: EngagementIngestion = {
    ingest(event) {
      stats.received++;
      return buffer.add(event).then(written);
    },
    async ingestAll(events) {
      stats.received += events.length;
      const outcomes: (IngestOutcome | Unwritable)[] = [];
      for (let i = 0; i < events.length; i += maxBatch) outcomes.push(...(await write(events.slice(i, i + maxBatch))));
      // The others are written: a retry of the whole batch finds them as duplicates.
      return outcomes.map(written);
    },
    flush: () => buffer.flush(),
    close: () => buffer.close(),
    stats: () => ({ ...stats }),
  };
  return ingestion;
}
