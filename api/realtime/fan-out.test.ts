import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { insertCampaign, insertCustomer, insertSend } from '../../activities/webhooks/testing.ts';
import { eventually, startTestApi, type TestApi } from '../../platform/testing/api.ts';
import { createTestDatabase, type TestDatabase } from '../../platform/testing/database.ts';
import type { ServerMessage } from './protocol.ts';
import { progressOf, TestSocket } from './testing.ts';

const LISTENER = 'liquor-marketing-agent realtime';

describe('real-time fan-out over PostgreSQL LISTEN/NOTIFY', () => {
  let t: TestDatabase;
  let first: TestApi;
  let second: TestApi;
  const open: TestSocket[] = [];
  const connect = async (api: TestApi) => {
    const socket = new TestSocket(api.url, { authorization: `Bearer ${await api.tokenFor('user')}` });
    open.push(socket);
    await socket.opened;
    return socket;
  };
  const listenerPids = async () =>
    (await t.db('pg_stat_activity').where({ datname: t.name, application_name: LISTENER }).pluck('pid')) as number[];

  beforeAll(async () => {
    t = await createTestDatabase();
    const realtime = { windowMs: 50, listenerBackoff: { initialMs: 50, maxMs: 500 } };
    [first, second] = await Promise.all([startTestApi(t.db, { realtime }), startTestApi(t.db, { realtime })]);
    await Promise.all([first.realtime.ready, second.realtime.ready]);
  });
  afterAll(async () => {
    for (const s of open) s.close();
    await Promise.all([first.close(), second.close()]);
    await t.drop();
  });

  it('two API processes each hold one listening connection, and their clients see the same events', async () => {
    expect(await listenerPids()).toHaveLength(2);
    const campaignId = await insertCampaign(t.db);
    const [a, b] = await Promise.all([connect(first), connect(second)]);
    await Promise.all([a.subscribe([`campaign:${campaignId}`, 'engagement']), b.subscribe([`campaign:${campaignId}`])]);

    const customer = await insertCustomer(t.db);
    await insertSend(t.db, { customerId: customer.id, campaignId, status: 'sent' });
    const [pa, pb] = await Promise.all([a, b].map((s) => s.next(progressOf(campaignId, (p) => p.counts.sent === 1))));
    expect(pa!.progress.ledger).toEqual(pb!.progress.ledger);
    const isEvents = (m: ServerMessage): m is Extract<ServerMessage, { type: 'events' }> =>
      m.type === 'events' && m.campaignId === campaignId;
    expect((await a.next(isEvents)).ledger).toEqual({ sent: 1 });
    expect((await b.next(isEvents)).ledger).toEqual({ sent: 1 });
  });

  it('listens again after its database connection is terminated, and catches up on what it missed', async () => {
    const campaignId = await insertCampaign(t.db);
    const [a, b] = await Promise.all([connect(first), connect(second)]);
    await Promise.all([a.subscribe([`campaign:${campaignId}`]), b.subscribe([`campaign:${campaignId}`])]);
    const before = await listenerPids();
    await t.db.raw('select pg_terminate_backend(pid) from unnest(?::int[]) as pid', [before]);

    // Written while the listeners may be down: the resynchronisation after reconnecting delivers it.
    const customer = await insertCustomer(t.db);
    const send = await insertSend(t.db, { customerId: customer.id, campaignId, status: 'sent' });
    await Promise.all([a, b].map((s) => s.next(progressOf(campaignId, (p) => p.counts.sent === 1))));

    await eventually(async () => {
      const now = await listenerPids();
      return (
        now.length === 2 &&
        now.every((pid) => !before.includes(pid)) &&
        first.realtime.listening &&
        second.realtime.listening
      );
    });
    // And notifications flow on the new connections.
    await t.db('sends').where({ id: send.id }).update({ status: 'delivered' });
    await Promise.all([a, b].map((s) => s.next(progressOf(campaignId, (p) => p.counts.delivered === 1))));
  });

  it('keeps only the latest snapshot for a slow client, drops it when it stays behind, and never holds up the others', async () => {
    const api = await startTestApi(t.db, {
      realtime: { windowMs: 20, limits: { softBytes: 32 * 1024, hardBytes: 256 * 1024 * 1024, stallMs: 2_000 } },
    });
    try {
      await api.realtime.ready;
      const campaigns = await Promise.all(Array.from({ length: 100 }, () => insertCampaign(t.db)));
      for (const campaignId of campaigns) {
        await insertSend(t.db, { customerId: (await insertCustomer(t.db)).id, campaignId, status: 'sent' });
      }
      const topics = campaigns.map((id) => `campaign:${id}`);
      const [slow, fast] = [await connect(api), await connect(api)];
      await Promise.all([slow.subscribe(topics), fast.subscribe(topics)]);
      const [slowClient] = [...api.realtime.hub.clients];
      const raw = (slow.ws as unknown as { _socket: Socket })._socket;
      raw.pause();

      // Every statement moves the ledger rows of all 100 campaigns: 100 snapshots per window.
      let round = 0;
      const flip = async () => {
        round++;
        await t
          .db('sends')
          .whereIn('campaign_id', campaigns)
          .update({ status: round % 2 ? 'delivered' : 'sent' });
      };
      const last = campaigns.at(-1)!;
      const settled = (p: { counts: Record<string, number | undefined> }) =>
        (round % 2 ? p.counts.delivered : p.counts.sent) === 1;
      // The fast client keeps up the whole time.
      const flipAndFollow = async () => {
        const from = fast.messages.length;
        await flip();
        await fast.next(progressOf(last, settled), { from, timeoutMs: 10_000 });
      };
      while (!slowClient!.behind) await flipAndFollow();

      // A few more windows while it is behind: each replaces the snapshots it has not been sent.
      for (let i = 0; i < 3; i++) await flipAndFollow();
      expect(slowClient!.behind).toBe(true);

      // Caught up after reading again: the final state arrives, intermediate snapshots were dropped.
      raw.resume();
      // Snapshots are serialised once for every client: the same read time means the same snapshot.
      const latest = fast.messages.filter(progressOf(last)).at(-1)!.progress;
      await slow.next(
        progressOf(last, (p) => p.at === latest.at),
        { timeoutMs: 10_000 },
      );
      await eventually(async () => !slowClient!.behind);
      expect(api.realtime.hub.stats().coalesced).toBeGreaterThan(0);
      const seenBySlow = slow.messages.filter(progressOf(last)).length;
      const seenByFast = fast.messages.filter(progressOf(last)).length;
      expect(seenBySlow).toBeLessThan(seenByFast);

      // Stops reading for good: terminated once it has been behind for longer than stallMs.
      raw.pause();
      while (api.realtime.hub.stats().terminatedSlow === 0) await flipAndFollow();
      raw.resume(); // only to read the end of the connection
      expect((await slow.closed).code).toBe(1006);
      expect(api.realtime.hub.stats()).toMatchObject({ terminatedSlow: 1, clients: 1 });
      expect(fast.ws.readyState).toBe(fast.ws.OPEN);
    } finally {
      await api.close();
    }
  });
});
