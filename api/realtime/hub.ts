import type { WebSocket } from 'ws';
import type { Db } from '../../platform/db.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Principal } from '../auth/roles.ts';
import { defaultLimits, RealtimeClient, type BackpressureLimits } from './client.ts';
import type { CampaignNotification } from './listener.ts';
import { campaignProgressSnapshots } from './progress.ts';
import { clientMessageSchema, closeCodes, MAX_TOPICS_PER_CLIENT, type ServerMessage, type Topic } from './protocol.ts';

export interface HubOptions {
  db: Db;
  log: Logger;
  /** The coalescing window: at most one progress push per campaign per window. */
  windowMs?: number;
  /** Ping interval; a client that has not answered the previous ping by the next is dropped. */
  heartbeatMs?: number;
  limits?: Partial<BackpressureLimits>;
}

export interface HubStats {
  clients: number;
  /** Progress snapshots dropped for slow clients because a newer one replaced them. */
  coalesced: number;
  /** Clients dropped for falling too far behind. */
  terminatedSlow: number;
  /** Clients dropped for missing a pong. */
  terminatedDead: number;
  /** Coalescing windows that read progress from the database. */
  progressReads: number;
}

type EventCounts = { ledger: Record<string, number>; engagement: Record<string, number> };

const RETRY_AFTER_FAILURE_MS = 2_000;

/** Campaigns read per progress query; keeps `where in (…)` lists reasonable. */
const READ_CHUNK = 500;

/**
 * The process's WebSocket clients and their topics. Notifications from the database mark
 * campaigns dirty and add up their event counts; at most once per window the hub reads the progress of
 * the dirty campaigns someone watches — one read per campaign per window, however many clients
 * watch it — and hands each client the shared, serialised message.
 */
export function createHub(opts: HubOptions) {
  const windowMs = opts.windowMs ?? 250;
  const limits = { ...defaultLimits, ...opts.limits };
  const clients = new Set<RealtimeClient>();
  const byTopic = new Map<Topic, Set<RealtimeClient>>();
  const checks = new WeakMap<RealtimeClient, () => Promise<boolean>>();
  let dirty = new Set<string>();
  let events = new Map<string, EventCounts>();
  const stats: HubStats = { clients: 0, coalesced: 0, terminatedSlow: 0, terminatedDead: 0, progressReads: 0 };
  let flushing = false;
  let lastFlushAt = 0;
  let flushTimer: NodeJS.Timeout | undefined;
  let closed = false;

  /**
   * Leading edge: the first change after a quiet spell goes out at once; changes that follow
   * within the window wait for its end and go out together.
   */
  const scheduleFlush = () => {
    if (flushTimer || closed) return;
    flushTimer = setTimeout(
      () => {
        flushTimer = undefined;
        void flush();
      },
      Math.max(0, lastFlushAt + windowMs - Date.now()),
    );
    flushTimer.unref();
  };

  const watchers = (topic: Topic) => byTopic.get(topic);

  const subscribe = (client: RealtimeClient, topics: Topic[]) => {
    for (const topic of topics) {
      client.topics.add(topic);
      let set = byTopic.get(topic);
      if (!set) byTopic.set(topic, (set = new Set()));
      set.add(client);
    }
  };

  const unsubscribe = (client: RealtimeClient, topics: Iterable<Topic>) => {
    for (const topic of topics) {
      client.topics.delete(topic);
      const set = byTopic.get(topic);
      set?.delete(client);
      if (set?.size === 0) byTopic.delete(topic);
    }
  };

  const remove = (client: RealtimeClient) => {
    if (!clients.delete(client)) return;
    stats.coalesced += client.coalesced;
    unsubscribe(client, [...client.topics]);
    stats.clients = clients.size;
  };

  /** The current snapshot for a new subscriber; unknown campaigns are refused. */
  const sendInitialProgress = async (client: RealtimeClient, topics: Topic[]) => {
    const ids = topics.filter((t) => t.startsWith('campaign:')).map((t) => t.slice('campaign:'.length));
    if (ids.length === 0) return [];
    const snapshots = await campaignProgressSnapshots(opts.db, ids);
    for (const [id, progress] of snapshots) {
      client.sendProgress(id, JSON.stringify({ type: 'progress', progress } satisfies ServerMessage));
    }
    return ids.filter((id) => !snapshots.has(id));
  };

  const onMessage = async (client: RealtimeClient, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    const reply = (m: ServerMessage) => client.send(m);
    if (!client.allowMessage()) {
      return reply({ type: 'error', error: 'rate_limited', detail: 'At most 100 messages per 10 seconds.' });
    }
    if (isBinary) return reply({ type: 'error', error: 'bad_message', detail: 'Send JSON text frames.' });
    let json: unknown;
    try {
      json = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : String(data));
    } catch {
      return reply({ type: 'error', error: 'bad_json', detail: 'The message is not JSON.' });
    }
    const parsed = clientMessageSchema.safeParse(json);
    if (!parsed.success) {
      return reply({
        type: 'error',
        error: 'bad_message',
        detail: parsed.error.issues.map((i) => i.message).join('; '),
      });
    }
    const message = parsed.data;
    if (message.type === 'unsubscribe') {
      unsubscribe(client, message.topics);
    } else {
      const fresh = message.topics.filter((t) => !client.topics.has(t));
      if (client.topics.size + fresh.length > MAX_TOPICS_PER_CLIENT) {
        return reply({
          type: 'error',
          error: 'too_many_topics',
          detail: `At most ${MAX_TOPICS_PER_CLIENT} topics per connection.`,
        });
      }
      subscribe(client, fresh);
      const unknown = await sendInitialProgress(client, fresh);
      if (unknown.length) {
        unsubscribe(
          client,
          unknown.map((id) => `campaign:${id}` as Topic),
        );
        reply({ type: 'error', error: 'unknown_campaign', detail: unknown.join(', ') });
      }
    }
    reply({ type: 'subscribed', topics: [...client.topics] });
  };

  const flush = async () => {
    if (flushing || (dirty.size === 0 && events.size === 0)) return;
    flushing = true;
    lastFlushAt = Date.now();
    const campaigns = dirty;
    const windowEvents = events;
    dirty = new Set();
    events = new Map();
    try {
      for (const [campaignId, counts] of windowEvents) {
        const serialized = JSON.stringify({ type: 'events', campaignId, ...counts } satisfies ServerMessage);
        const to = new Set([...(watchers(`campaign:${campaignId}`) ?? []), ...(watchers('engagement') ?? [])]);
        for (const client of to) client.sendEvents(campaignId, counts, serialized);
      }
      const watched = [...campaigns].filter((id) => watchers(`campaign:${id}`)?.size);
      for (let i = 0; i < watched.length; i += READ_CHUNK) {
        const snapshots = await campaignProgressSnapshots(opts.db, watched.slice(i, i + READ_CHUNK));
        stats.progressReads++;
        for (const [id, progress] of snapshots) {
          const serialized = JSON.stringify({ type: 'progress', progress } satisfies ServerMessage);
          for (const client of watchers(`campaign:${id}`) ?? []) client.sendProgress(id, serialized);
        }
      }
    } catch (err) {
      // The campaigns stay dirty; an outage is retried every few seconds, not every window.
      for (const id of campaigns) dirty.add(id);
      lastFlushAt = Date.now() + RETRY_AFTER_FAILURE_MS;
      opts.log.warn({ err }, 'real-time progress read failed');
    } finally {
      flushing = false;
      if (dirty.size > 0 || events.size > 0) scheduleFlush();
    }
  };

  // Slow clients get what they are owed once their sockets drain; ws has no event for that.
  const tick = setInterval(() => {
    const now = Date.now();
    for (const client of clients) if (client.hasPending || client.behind) client.pump(now);
  }, windowMs);
  tick.unref();

  const heartbeat = setInterval(() => {
    for (const client of clients) {
      if (!client.alive) {
        stats.terminatedDead++;
        client.ws.terminate();
        remove(client);
        continue;
      }
      client.alive = false;
      client.ws.ping();
      const stillValid = checks.get(client);
      stillValid?.().then(
        (valid) => {
          if (!valid) client.ws.close(closeCodes.credentialsRevoked, 'credentials revoked');
        },
        (err: unknown) => opts.log.warn({ err }, 'real-time credentials check failed'),
      );
    }
  }, opts.heartbeatMs ?? 30_000);
  heartbeat.unref();

  return {
    stats: (): HubStats => ({
      ...stats,
      coalesced: stats.coalesced + [...clients].reduce((n, c) => n + c.coalesced, 0),
    }),

    /**
     * Takes over an upgraded socket. `expiresAt` (epoch ms) closes it when its access token
     * expires; `stillValid` is asked at every heartbeat (an API key can be revoked at any time).
     */
    add(
      ws: WebSocket,
      principal: Principal,
      credentials: { expiresAt?: number; stillValid?: () => Promise<boolean> } = {},
    ): RealtimeClient {
      const { expiresAt, stillValid } = credentials;
      const client = new RealtimeClient(ws, principal, limits, (reason) => {
        stats.terminatedSlow++;
        opts.log.warn({ reason, principal: principal.kind }, 'real-time client too slow; dropped');
        remove(client);
      });
      clients.add(client);
      stats.clients = clients.size;
      const expiry =
        expiresAt === undefined
          ? undefined
          : setTimeout(
              () => ws.close(closeCodes.tokenExpired, 'access token expired'),
              Math.max(0, expiresAt - Date.now()),
            );
      expiry?.unref();
      if (stillValid) checks.set(client, stillValid);
      ws.on('pong', () => (client.alive = true));
      ws.on('message', (data, isBinary) => {
        onMessage(client, data, isBinary).catch((err: unknown) => {
          opts.log.warn({ err }, 'real-time message failed');
          client.send({ type: 'error', error: 'internal', detail: 'The message could not be handled; try again.' });
        });
      });
      ws.on('error', () => ws.terminate());
      ws.on('close', () => {
        clearTimeout(expiry);
        remove(client);
      });
      return client;
    },

    /** A database notification: events add up, progress is re-read at the end of the window. */
    notify(n: CampaignNotification): void {
      if (n.kind === 'campaign') {
        const message = JSON.stringify({
          type: 'campaign',
          campaignId: n.campaignId,
          status: n.status,
        } satisfies ServerMessage);
        for (const client of watchers('campaigns') ?? []) client.sendProgress(`status:${n.campaignId}`, message);
      } else {
        const counts = events.get(n.campaignId) ?? { ledger: {}, engagement: {} };
        for (const [k, v] of Object.entries(n.counts)) counts[n.kind][k] = (counts[n.kind][k] ?? 0) + v;
        events.set(n.campaignId, counts);
      }
      dirty.add(n.campaignId);
      scheduleFlush();
    },

    /** Notifications may have been missed (the listener reconnected): re-read every watched campaign. */
    resync(): void {
      for (const topic of byTopic.keys()) if (topic.startsWith('campaign:')) dirty.add(topic.slice('campaign:'.length));
      scheduleFlush();
    },

    /** Closes every client with 1001 and stops the timers. */
    close(): void {
      closed = true;
      clearTimeout(flushTimer);
      clearInterval(tick);
      clearInterval(heartbeat);
      for (const client of clients) client.ws.close(closeCodes.goingAway, 'server shutting down');
    },

    clients,
  };
}

export type Hub = ReturnType<typeof createHub>;
