import { describe, expect, it } from 'vitest';
import { backoffDelay, connectRealtime } from './realtime.ts';

/** A WebSocket the test drives by hand. */
class FakeSocket {
  static all: FakeSocket[] = [];
  sent: string[] = [];
  closedWith: number | undefined;
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close(code: number) {
    this.closedWith = code;
  }
}

function harness(refreshOk = true) {
  FakeSocket.all = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const messages: unknown[] = [];
  const status: boolean[] = [];
  let refreshes = 0;
  const conn = connectRealtime({
    topics: ['campaign:6f1c1f5e-1111-4c1a-9a5b-0a1b2c3d4e5f'],
    url: 'ws://app/ws',
    WebSocket: FakeSocket as unknown as typeof WebSocket,
    onMessage: (m) => messages.push(m),
    onStatus: (s) => status.push(s),
    refreshSession: async () => {
      refreshes++;
      return refreshOk;
    },
    backoff: (n) => 1000 * (n + 1),
    setTimeout: (fn, ms) => timers.push({ fn, ms }),
    clearTimeout: () => {},
  });
  return { conn, timers, messages, status, refreshes: () => refreshes };
}

describe('the live connection', () => {
  it('subscribes on open and hands over each message', () => {
    const h = harness();
    const ws = FakeSocket.all[0]!;
    ws.onopen!();
    expect(JSON.parse(ws.sent[0]!)).toEqual({
      type: 'subscribe',
      topics: ['campaign:6f1c1f5e-1111-4c1a-9a5b-0a1b2c3d4e5f'],
    });
    ws.onmessage!({ data: JSON.stringify({ type: 'campaign', campaignId: 'x', status: 'active' }) });
    ws.onmessage!({ data: 'not json' });
    expect(h.messages).toEqual([{ type: 'campaign', campaignId: 'x', status: 'active' }]);
    expect(h.status).toEqual([true]);
  });

  it('reconnects with growing delays after drops, and starts over once connected', () => {
    const h = harness();
    FakeSocket.all[0]!.onclose!({ code: 1006 });
    h.timers.shift()!.fn();
    FakeSocket.all[1]!.onclose!({ code: 1006 });
    expect(h.timers.map((t) => t.ms)).toEqual([2000]);
    h.timers.shift()!.fn();
    FakeSocket.all[2]!.onopen!();
    FakeSocket.all[2]!.onclose!({ code: 1001 });
    expect(h.timers.map((t) => t.ms)).toEqual([1000]);
    expect(h.status).toEqual([false, false, true, false]);
  });

  it('refreshes the session when the token expired, then reconnects at once', async () => {
    const h = harness();
    FakeSocket.all[0]!.onclose!({ code: 4001 });
    await Promise.resolve();
    await Promise.resolve();
    expect(h.refreshes()).toBe(1);
    expect(FakeSocket.all).toHaveLength(2);
    expect(h.timers).toEqual([]);
  });

  it('stops for good when the page closes it', () => {
    const h = harness();
    const ws = FakeSocket.all[0]!;
    h.conn.close();
    expect(ws.closedWith).toBe(1000);
    ws.onclose?.({ code: 1000 });
    expect(FakeSocket.all).toHaveLength(1);
    expect(h.timers).toEqual([]);
  });

  it('waits longer after each failure, capped and jittered', () => {
    expect(backoffDelay(0, () => 0)).toBe(250);
    expect(backoffDelay(3, () => 1)).toBe(4000);
    expect(backoffDelay(20, () => 1)).toBe(30000);
  });
});
