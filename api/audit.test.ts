import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../platform/logger.ts';
import { createTestDatabase, type TestDatabase } from '../platform/testing/database.ts';
import { createAuditLog, type AuditRecord } from './audit.ts';

describe('audit log writer', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t.drop());

  const record = (over: Partial<AuditRecord> = {}): AuditRecord => ({
    occurred_at: new Date(Date.UTC(2026, 10, 27, 9, 0, Math.floor(Math.random() * 60))),
    actor_user_id: null,
    actor_api_key_id: null,
    action: 'POST /api/events',
    entity_type: 'events',
    entity_id: null,
    request_id: randomUUID(),
    ip: '127.0.0.1',
    details: { status: 202 },
    ...over,
  });

  /** Counts the statements that insert into audit_log while `run` runs. */
  async function insertsDuring(run: () => Promise<void>): Promise<number> {
    let inserts = 0;
    const count = (q: { sql: string }) => {
      if (q.sql.startsWith('insert into "audit_log"')) inserts++;
    };
    t.db.on('query', count);
    try {
      await run();
    } finally {
      t.db.off('query', count);
    }
    return inserts;
  }

  it('writes records that come in together in shared inserts, each with its own time and details', async () => {
    const audit = createAuditLog({ db: t.db, log: createLogger('silent') });
    const records = Array.from({ length: 120 }, (_, i) => record({ details: { status: 202, i } }));
    const inserts = await insertsDuring(async () => {
      for (const r of records) audit.record(r);
      await audit.flush();
    });
    expect(inserts).toBeGreaterThanOrEqual(1);
    expect(inserts).toBeLessThanOrEqual(2);
    const stored = await t
      .db('audit_log')
      .whereIn(
        'request_id',
        records.map((r) => r.request_id),
      )
      .select('request_id', 'occurred_at', 'details');
    expect(stored).toHaveLength(records.length);
    const byRequest = new Map(stored.map((s) => [s.request_id as string, s]));
    for (const r of records) {
      const row = byRequest.get(r.request_id)!;
      expect(new Date(row.occurred_at as string).getTime()).toBe(r.occurred_at.getTime());
      expect(row.details).toEqual(r.details);
    }
  });

  it('a record that cannot be written costs only itself, and is logged', async () => {
    const lines: { msg: string; requestId?: string }[] = [];
    const log = createLogger('error', 'test', { write: (line: string) => lines.push(JSON.parse(line)) });
    const audit = createAuditLog({ db: t.db, log });
    // An actor that does not exist: the foreign key refuses the row.
    const bad = record({ actor_user_id: randomUUID() });
    const good = [record(), record(), record()];
    for (const r of [good[0]!, bad, ...good.slice(1)]) audit.record(r);
    await audit.flush();
    const written = await t
      .db('audit_log')
      .whereIn(
        'request_id',
        [bad, ...good].map((r) => r.request_id),
      )
      .pluck('request_id');
    expect(written.sort()).toEqual(good.map((r) => r.request_id).sort());
    expect(lines).toEqual([expect.objectContaining({ msg: 'audit log write failed', requestId: bad.request_id })]);
  });

  it('once closed, refuses new records and says so in the log, having written what it held', async () => {
    const lines: { msg: string }[] = [];
    const log = createLogger('error', 'test', { write: (line: string) => lines.push(JSON.parse(line)) });
    const audit = createAuditLog({ db: t.db, log });
    const held = record();
    audit.record(held);
    await audit.close();
    const late = record();
    audit.record(late);
    await audit.flush();
    await new Promise((r) => setImmediate(r));
    expect(await t.db('audit_log').where({ request_id: held.request_id }).first()).toBeDefined();
    expect(await t.db('audit_log').where({ request_id: late.request_id }).first()).toBeUndefined();
    expect(lines.map((l) => l.msg)).toEqual(['audit log write failed']);
  });
});
