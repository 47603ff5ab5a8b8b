import WebSocket from 'ws';
import type { ServerMessage } from '../api/realtime/protocol.ts';

/**
 * The WebSocket clients of the `realtime-fanout` benchmark, in a process of their own so that
 * their parsing does not share the API's event loop. Each progress snapshot's `lastError`
 * carries the time its write started (epoch ms), so the latency is write → this client.
 */

export interface ClientsInput {
  url: string;
  token: string;
  clients: number;
  topics: string[];
}

export type ClientsRequest = { kind: 'start'; input: ClientsInput } | { kind: 'report' } | { kind: 'stop' };
export type ClientsReply =
  | { kind: 'ready' }
  | { kind: 'report'; messages: number; latenciesMs: number[]; closed: number }
  | { kind: 'error'; message: string };

const sockets: WebSocket[] = [];
let messages = 0;
let closed = 0;
let latencies: number[] = [];

function reply(m: ClientsReply): void {
  process.send!(m);
}

async function start(input: ClientsInput): Promise<void> {
  const wsUrl = `${input.url.replace('http', 'ws')}/ws`;
  await Promise.all(
    Array.from(
      { length: input.clients },
      () =>
        new Promise<void>((resolve, reject) => {
          const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${input.token}` } });
          sockets.push(ws);
          ws.once('error', reject);
          ws.once('close', () => closed++);
          ws.on('message', (data) => {
            const m = JSON.parse(String(data)) as ServerMessage;
            if (m.type === 'subscribed') return resolve();
            if (m.type !== 'progress') return;
            messages++;
            const written = Number(m.progress.lastError);
            if (Number.isFinite(written)) latencies.push(Date.now() - written);
          });
          ws.once('open', () => ws.send(JSON.stringify({ type: 'subscribe', topics: input.topics })));
        }),
    ),
  );
  messages = 0;
  latencies = [];
}

process.on('message', (req: ClientsRequest) => {
  if (req.kind === 'start') {
    start(req.input).then(
      () => reply({ kind: 'ready' }),
      (err: unknown) => reply({ kind: 'error', message: String(err) }),
    );
  } else if (req.kind === 'report') {
    reply({ kind: 'report', messages, latenciesMs: latencies, closed });
    messages = 0;
    latencies = [];
  } else {
    for (const ws of sockets) ws.terminate();
    process.disconnect();
  }
});
