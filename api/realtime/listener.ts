import pg from 'pg';
import type { Logger } from '../../platform/logger.ts';

/** The channel the triggers of migrations/20261127001900_realtime_notifications.ts notify on. */
export const REALTIME_CHANNEL = 'lma_realtime';

/** What the database announces about a campaign; counts are per statement. */
export type CampaignNotification =
  | { kind: 'ledger'; campaignId: string; counts: Record<string, number> }
  | { kind: 'engagement'; campaignId: string; counts: Record<string, number> }
  | { kind: 'campaign'; campaignId: string; status: string };

/**
 * Everything announced on the channel: campaigns, API keys revoked (migration 20261127003600) and
 * users whose role or status changed (migration 20261127003700).
 */
export type RealtimeNotification =
  | CampaignNotification
  | { kind: 'api_key_revoked'; apiKeyId: string }
  | { kind: 'user_access_changed'; userId: string; accessVersion: number };

export interface ListenerOptions {
  /** Connection settings for the one dedicated connection (LISTEN needs a session of its own, not a pool's). */
  connection: pg.ClientConfig;
  log: Logger;
  onNotification(n: RealtimeNotification): void;
  /** After a reconnect: notifications sent while the connection was down are lost, so resynchronise. */
  onReconnect(): void;
  /** First and longest wait between reconnect attempts. */
  backoff?: { initialMs: number; maxMs: number };
}

export interface RealtimeListener {
  /** Resolves once the first LISTEN is in place. */
  ready: Promise<void>;
  /** Connected and listening right now. */
  readonly listening: boolean;
  close(): Promise<void>;
}

/**
 * Holds one pg Client that LISTENs. When the connection drops (a restart, a failover,
 * pg_terminate_backend) it reconnects with exponential backoff and LISTENs again.
 */
export function startListener(opts: ListenerOptions): RealtimeListener {
  const backoff = opts.backoff ?? { initialMs: 100, maxMs: 5_000 };
  let client: pg.Client | undefined;
  let closed = false;
  let listening = false;
  let attempt = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));

  const onNotification = (msg: pg.Notification) => {
    if (msg.channel !== REALTIME_CHANNEL || !msg.payload) return;
    try {
      opts.onNotification(JSON.parse(msg.payload) as RealtimeNotification);
    } catch (err) {
      opts.log.warn({ err }, 'unreadable real-time notification');
    }
  };

  const scheduleReconnect = () => {
    if (closed || retryTimer) return;
    const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** attempt) * (0.5 + Math.random() / 2);
    attempt++;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, delay);
    retryTimer.unref();
  };

  const connect = async () => {
    const c = new pg.Client({ ...opts.connection, application_name: 'liquor-marketing-agent realtime' });
    client = c;
    const lost = (err?: Error) => {
      if (client !== c) return;
      client = undefined;
      listening = false;
      c.removeAllListeners('notification');
      c.end().catch(() => {});
      if (!closed) {
        opts.log.warn({ err: err?.message }, 'real-time listener lost its database connection; reconnecting');
        scheduleReconnect();
      }
    };
    c.on('error', lost);
    c.on('end', () => lost());
    c.on('notification', onNotification);
    try {
      await c.connect();
      await c.query(`LISTEN ${REALTIME_CHANNEL}`);
      if (client !== c || closed) return void c.end().catch(() => {});
      const reconnected = attempt > 0;
      attempt = 0;
      listening = true;
      resolveReady();
      if (reconnected) {
        opts.log.info('real-time listener listening again');
        opts.onReconnect();
      }
    } catch (err) {
      lost(err as Error);
    }
  };

  void connect();

  return {
    ready,
    get listening() {
      return listening;
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      const c = client;
      client = undefined;
      listening = false;
      resolveReady();
      await c?.end().catch(() => {});
    },
  };
}
