import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engagementEvent } from '../../domain/webhooks/events.ts';
import { createLogger } from '../../platform/logger.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import { testLog } from '../../platform/testing/temporal.ts';
import { BufferClosedError, createEngagementIngestion } from './ingestion.ts';
import { insertCustomer, insertSend, type SendRow } from './testing.ts';

describe('engagement ingestion', () => {
  let t: TestDatabase;
  let send: SendRow;

  const delivered = (sendId: string | null = send.id, eventKey = randomUUID()) =>
    engagementEvent({
      source: 'mailgun',
      eventKey,
      type: 'delivered',
      channel: 'email',
      occurredAt: new Date(),
      sendId,
      messageProvider: 'mailgun',
      payload: {},
    });

  beforeAll(async () => {
    t = await createTestDatabase();
    send = await insertSend(t.db, { customerId: (await insertCustomer(t.db)).id });
  });
  afterAll(async () => t.drop());

  it('writes concurrent events in shared batches and answers each with its own outcome', async () => {
    const ingestion = createEngagementIngestion({ db: t.db, log: testLog }, { maxInFlight: 1 });
    const repeated = delivered();
    const events = [...Array.from({ length: 40 }, () => delivered()), repeated, repeated, delivered(randomUUID())];
    const outcomes = await Promise.all(events.map((e) => ingestion.ingest(e)));
    expect(outcomes.slice(0, 41).every((o) => o.result === 'accepted' && o.sendId === send.id)).toBe(true);
    expect(outcomes[41]).toEqual({ result: 'duplicate', sendId: send.id, unmatched: false });
    expect(outcomes[42]).toEqual({ result: 'accepted', sendId: null, unmatched: true });
    const stats = ingestion.stats();
    expect(stats).toMatchObject({
      received: 43,
      accepted: 42,
      duplicates: 1,
      replayed: 0,
      unmatched: 1,
      failedBatches: 0,
    });
    expect(stats.batches).toBeLessThan(events.length);
    expect(
      await t
        .db('webhook_receipts')
        .whereIn(
          'event_key',
          events.map((e) => e.eventKey),
        )
        .count({ n: '*' }),
    ).toEqual([{ n: 42 }]);
  });

  it('writes a ready-made batch directly, in chunks of the batch size', async () => {
    const ingestion = createEngagementIngestion({ db: t.db, log: testLog }, { maxBatch: 10 });
    const outcomes = await ingestion.ingestAll(Array.from({ length: 25 }, () => delivered()));
    expect(outcomes.filter((o) => o.result === 'accepted')).toHaveLength(25);
    expect(ingestion.stats().batches).toBe(3);
  });

  it('writes what is waiting when closed, and refuses events afterwards', async () => {
    const ingestion = createEngagementIngestion({ db: t.db, log: testLog }, { lingerMs: 60_000 });
    const event = delivered();
    const pending = ingestion.ingest(event);
    await ingestion.close();
    expect((await pending).result).toBe('accepted');
    expect(await t.db('webhook_receipts').where({ event_key: event.eventKey }).first('send_id')).toEqual({
      send_id: send.id,
    });
    await expect(ingestion.ingest(delivered())).rejects.toBeInstanceOf(BufferClosedError);
  });

  it('fails only the event that cannot be written, and acknowledges its batch-mates', async () => {
    // One batch: the events wait together for the lone writer.
    const ingestion = createEngagementIngestion(
      { db: t.db, log: createLogger('silent') },
      { maxInFlight: 1, lingerMs: 50 },
    );
    const events = Array.from({ length: 21 }, () => delivered());
    // A timestamp PostgreSQL cannot hold, as an absurd provider timestamp would give.
    const unwritable = { ...events[13]!, occurredAt: new Date(8.64e15) };
    events[13] = unwritable;
    const settled = await Promise.allSettled(events.map((e) => ingestion.ingest(e)));
    expect(settled.map((s) => s.status)).toEqual(events.map((e) => (e === unwritable ? 'rejected' : 'fulfilled')));
    expect(String((settled[13] as PromiseRejectedResult).reason)).toMatch(/out of range/);
    expect(ingestion.stats()).toMatchObject({ batches: 1, accepted: 20, unwritable: 1, failedBatches: 0 });
    const stored = await t
      .db('webhook_receipts')
      .whereIn(
        'event_key',
        events.map((e) => e.eventKey),
      )
      .pluck('event_key');
    expect(stored.sort()).toEqual(
      events
        .filter((e) => e !== unwritable)
        .map((e) => e.eventKey)
        .sort(),
    );

    // A ready-made batch: the others are written, then the call fails; a retry finds them duplicates.
    const batch = [delivered(), unwritable, delivered()];
    await expect(ingestion.ingestAll(batch)).rejects.toThrow(/out of range/);
    expect(
      await t.db('webhook_receipts').whereIn('event_key', [batch[0]!.eventKey, batch[2]!.eventKey]).count({ n: '*' }),
    ).toEqual([{ n: 2 }]);
  });

  it('fails the callers of a batch that cannot be written, and counts it', async () => {
    const broken = await createTestDatabase();
    await broken.db.schema.dropTable('analytics_events');
    // The failure is logged at error level; the test expects it, the output need not show it.
    const ingestion = createEngagementIngestion({ db: broken.db, log: createLogger('silent') });
    try {
      await expect(ingestion.ingest(delivered(null))).rejects.toThrow(/analytics_events/);
      expect(ingestion.stats().failedBatches).toBe(1);
      // Nothing of the failed batch was kept: its transaction rolled back.
      expect(await broken.db('webhook_receipts').count({ n: '*' })).toEqual([{ n: 0 }]);
    } finally {
      await broken.drop();
    }
  });
});
