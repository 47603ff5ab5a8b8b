import type { ClientMessage, ServerMessage, Topic } from '../../../../api/realtime/protocol.ts';

/**
 * The app's end of /ws (api/realtime/protocol.ts): subscribes to topics, hands each message to
 * the page, and reconnects with exponential backoff (with jitter) when the socket drops. When
 * the server closes with "token expired" the session is refreshed first, through the API client
 * the rest of the app uses, so a long-open campaign page keeps following its campaign.
 */

export const REALTIME_PATH = '/ws';
const TOKEN_EXPIRED = 4001;

export interface RealtimeOptions {
  topics: Topic[];
  onMessage: (msg: ServerMessage) => void;
  /** Connected (true) or waiting to reconnect (false), for the page's "live" badge. */
  onStatus?: (connected: boolean) => void;
  /** Refreshes the session; false means it is over (the API client then sends the person to login). */
  refreshSession: () => Promise<boolean>;
  url?: string;
  WebSocket?: typeof globalThis.WebSocket;
  /** Delay before reconnect attempt `n` (0-based), in ms. */
  backoff?: (attempt: number) => number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

export function backoffDelay(attempt: number, random = Math.random): number {
  const base = Math.min(30_000, 500 * 2 ** attempt);
  return Math.round(base / 2 + (random() * base) / 2);
}

export function realtimeUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${REALTIME_PATH}`;
}

export function connectRealtime(opts: RealtimeOptions): { close: () => void } {
  const Ws = opts.WebSocket ?? globalThis.WebSocket;
  const url = opts.url ?? realtimeUrl(window.location);
  const backoff = opts.backoff ?? ((n: number) => backoffDelay(n));
  const later = opts.setTimeout ?? ((fn: () => void, ms: number) => globalThis.setTimeout(fn, ms));
  const cancel = opts.clearTimeout ?? ((h: unknown) => globalThis.clearTimeout(h as number));
  let socket: WebSocket | undefined;
  let timer: unknown;
  let attempt = 0;
  let closed = false;

  function open() {
    if (closed) return;
    const ws = new Ws(url);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      opts.onStatus?.(true);
      ws.send(JSON.stringify({ type: 'subscribe', topics: opts.topics } satisfies ClientMessage));
    };
    ws.onmessage = (event) => {
      let msg: ServerMessage;
      try {
        msg = JSON.parse(String(event.data)) as ServerMessage;
      } catch {
        return;
      }
      opts.onMessage(msg);
    };
    ws.onclose = (event) => {
      if (socket !== ws) return;
      socket = undefined;
      opts.onStatus?.(false);
      if (closed) return;
      if (event.code === TOKEN_EXPIRED) {
        void opts.refreshSession().then((ok) => {
          if (ok) open();
        });
        return;
      }
      timer = later(open, backoff(attempt++));
    };
  }

  open();
  return {
    close() {
      closed = true;
      cancel(timer);
      const ws = socket;
      socket = undefined;
      ws?.close(1000);
    },
  };
}
