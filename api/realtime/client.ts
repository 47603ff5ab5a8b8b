import type { WebSocket } from 'ws';
import type { Principal } from '../auth/roles.ts';
import type { ServerMessage, Topic } from './protocol.ts';

export interface BackpressureLimits {
  /** Above this many unsent bytes a client is behind: progress is held back, latest snapshot wins. */
  softBytes: number;
  /** Above this many unsent bytes the client is dropped at once. */
  hardBytes: number;
  /** A client behind for this long is dropped. */
  stallMs: number;
}

export const defaultLimits: BackpressureLimits = { softBytes: 64 * 1024, hardBytes: 4 * 1024 * 1024, stallMs: 15_000 };

/** Client messages allowed per 10 s; subscribing reads the database, so a flood is refused. */
const MESSAGES_PER_WINDOW = 100;
const MESSAGE_WINDOW_MS = 10_000;

/** Status changes and replies are few; a client that lets this many pile up is gone. */
const MAX_HELD_MESSAGES = 1_000;

type EventCounts = { ledger: Record<string, number>; engagement: Record<string, number> };

const addCounts = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
};

/**
 * One WebSocket client: its topics, and what it has not been sent yet. While its socket keeps
 * up, messages go out as they come (pre-serialised, shared by every client). Once it falls
 * behind, only the latest progress snapshot per campaign and summed event counts are kept;
 * they go out when it catches up, or it is terminated when it does not.
 */
export class RealtimeClient {
  readonly ws: WebSocket;
  readonly principal: Principal;
  readonly topics = new Set<Topic>();
  /** Pong since the last ping. */
  alive = true;
  /** Progress snapshots that replaced one not yet sent. */
  coalesced = 0;
  #limits: BackpressureLimits;
  #behindSince: number | null = null;
  #other: string[] = [];
  #progress = new Map<string, string>();
  #events = new Map<string, EventCounts>();
  #onTerminate: (reason: string) => void;
  #windowStart = 0;
  #windowMessages = 0;

  constructor(ws: WebSocket, principal: Principal, limits: BackpressureLimits, onTerminate: (reason: string) => void) {
    this.ws = ws;
    this.principal = principal;
    this.#limits = limits;
    this.#onTerminate = onTerminate;
  }

  /** Counts a client message against the rate limit; false when it must be refused. */
  allowMessage(now = Date.now()): boolean {
    if (now - this.#windowStart >= MESSAGE_WINDOW_MS) {
      this.#windowStart = now;
      this.#windowMessages = 0;
    }
    return ++this.#windowMessages <= MESSAGES_PER_WINDOW;
  }

  get behind(): boolean {
    return this.#behindSince !== null;
  }

  get hasPending(): boolean {
    return this.#other.length > 0 || this.#progress.size > 0 || this.#events.size > 0;
  }

  /** Replies and status changes: rare, kept in order. */
  send(message: ServerMessage): void {
    if (this.#other.length >= MAX_HELD_MESSAGES) return this.#terminate(`${MAX_HELD_MESSAGES} messages held`);
    this.#other.push(JSON.stringify(message));
    this.pump();
  }

  sendProgress(campaignId: string, serialized: string): void {
    if (this.#progress.has(campaignId)) this.coalesced++;
    this.#progress.set(campaignId, serialized);
    this.pump();
  }

  sendEvents(campaignId: string, counts: EventCounts, serialized: string): void {
    if (!this.behind && !this.hasPending && this.#fits()) {
      this.ws.send(serialized);
      return;
    }
    const held = this.#events.get(campaignId) ?? { ledger: {}, engagement: {} };
    addCounts(held.ledger, counts.ledger);
    addCounts(held.engagement, counts.engagement);
    this.#events.set(campaignId, held);
    this.pump();
  }

  /** Sends what is held if the socket has room; drops the client if it stays behind. */
  pump(now = Date.now()): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    const buffered = this.ws.bufferedAmount;
    if (buffered > this.#limits.hardBytes) return this.#terminate(`${buffered} bytes unsent`);
    if (!this.#fits()) {
      this.#behindSince ??= now;
      if (now - this.#behindSince > this.#limits.stallMs) this.#terminate(`behind for ${now - this.#behindSince} ms`);
      return;
    }
    this.#behindSince = null;
    for (const m of this.#other) this.ws.send(m);
    this.#other = [];
    for (const [campaignId, counts] of this.#events) {
      this.ws.send(JSON.stringify({ type: 'events', campaignId, ...counts } satisfies ServerMessage));
    }
    this.#events.clear();
    for (const m of this.#progress.values()) this.ws.send(m);
    this.#progress.clear();
  }

  #fits(): boolean {
    return this.ws.bufferedAmount <= this.#limits.softBytes;
  }

  #terminate(reason: string): void {
    this.#other = [];
    this.#progress.clear();
    this.#events.clear();
    this.ws.terminate();
    this.#onTerminate(reason);
  }
}
