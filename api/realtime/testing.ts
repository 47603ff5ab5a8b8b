import WebSocket from 'ws';
import type { ServerMessage } from './protocol.ts';

/** A real ws client for tests: keeps every message, and waits for the one a test expects. */
export class TestSocket {
  readonly ws: WebSocket;
  readonly messages: ServerMessage[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: (() => void)[] = [];

  constructor(apiUrl: string, headers: Record<string, string>, options: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(`${apiUrl.replace('http', 'ws')}/ws`, { headers, ...options });
    this.ws.on('message', (data) => {
      this.messages.push(JSON.parse(String(data)) as ServerMessage);
      for (const w of this.#waiters.splice(0)) w();
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) =>
      this.ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The first message (at or after index `from`) that matches, waiting up to `timeoutMs` for it. */
  async next<T extends ServerMessage>(
    match: (m: ServerMessage) => m is T,
    { from = 0, timeoutMs = 5_000 } = {},
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no matching message; got ${JSON.stringify(this.messages.slice(from)).slice(0, 2_000)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async subscribe(topics: string[]): Promise<void> {
    const from = this.messages.length;
    this.send({ type: 'subscribe', topics });
    await this.next(isType('subscribed'), { from });
  }

  close(): void {
    this.ws.terminate();
  }
}

export const isType =
  <K extends ServerMessage['type']>(type: K) =>
  (m: ServerMessage): m is Extract<ServerMessage, { type: K }> =>
    m.type === type;

type Progress = Extract<ServerMessage, { type: 'progress' }>;

export const progressOf =
  (campaignId: string, until: (p: Progress['progress']) => boolean = () => true) =>
  (m: ServerMessage): m is Progress =>
    m.type === 'progress' && m.progress.campaignId === campaignId && until(m.progress);

/** The HTTP status of a refused upgrade (the handshake never happens). */
export function refusedWith(apiUrl: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${apiUrl.replace('http', 'ws')}/ws`, { headers });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    ws.once('error', () => {});
  });
}
