/**
 * The HTTP load driver of the `webhooks` benchmark, in a process of its own so that making
 * requests does not take the server's event loop. Builds every signed Mailgun request before the
 * clock starts, then keeps `concurrency` requests in flight over keep-alive connections until
 * all are answered, and reports the rate, the answers by status and latency percentiles.
 * Started by bench/webhooks.bench.ts; not a benchmark itself.
 *
 * Like wrk, it writes ready-made HTTP/1.1 requests on plain sockets and reads no more of an
 * answer than its status and length: it shares the machine's two cores with the server and
 * PostgreSQL it measures, and undici cost 50–76 µs of CPU a request where this costs 17–24.
 */
import net from 'node:net';
import { mailgunEventData, signedMailgunBody } from '../platform/testing/webhooks.ts';

export interface DriverInput {
  url: string;
  events: number;
  concurrency: number;
  signingKey: string;
  /** Event ids are `<idPrefix>-<i>`, so the run's receipts can be counted afterwards. */
  idPrefix: string;
  /** Send ids and Mailgun message ids the events are about, in turn. */
  sends: { id: string; providerMessageId: string }[];
  /** Every this-many events, one names a message we do not know. */
  unknownEvery: number;
}

export interface DriverFigures {
  events: number;
  seconds: number;
  perSecond: number;
  /** Answers by HTTP status; a connection lost with a request outstanding counts as `closed`. */
  statuses: Record<string, number>;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  bodyBytes: number;
  /** CPU time of this driver process per request. */
  driverCpuMicros: number;
}

const types = ['delivered', 'opened', 'clicked'] as const;

function bodies(input: DriverInput): Buffer[] {
  const nowSeconds = Date.now() / 1000;
  return Array.from({ length: input.events }, (_, i) => {
    const send = input.sends[i % input.sends.length]!;
    const unknown = input.unknownEvery > 0 && i % input.unknownEvery === input.unknownEvery - 1;
    const type = types[Math.floor(i / input.sends.length) % types.length]!;
    const data = mailgunEventData({
      event: type,
      id: `${input.idPrefix}-${i}`,
      timestamp: nowSeconds - 60 + (i % 60),
      sendId: unknown ? null : send.id,
      messageId: unknown ? `unknown-${i}@mg.store.example` : send.providerMessageId,
      recipient: `customer-${i % input.sends.length}@example.com`,
      ...(type === 'clicked' ? { url: 'https://shop.example/bourbon?utm_source=email' } : {}),
    });
    return Buffer.from(JSON.stringify(signedMailgunBody(data, { signingKey: input.signingKey })));
  });
}

/** The whole request, head and body, written with one call. */
function request(url: URL, body: Buffer): Buffer {
  const head =
    `POST ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n` +
    `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * The length of the first complete answer in `data` and its status, or undefined while it is
 * still arriving. Our server always sends content-length; anything else is a driver error.
 */
function answerIn(data: Buffer): { length: number; status: string } | undefined {
  const end = data.indexOf(HEAD_END);
  if (end < 0) return undefined;
  const head = data.toString('latin1', 0, end);
  const length = /\r\ncontent-length: *(\d+)/i.exec(head);
  if (!length) throw new Error(`an answer without content-length: ${head.slice(0, 200)}`);
  const total = end + HEAD_END.length + Number(length[1]);
  return data.length < total ? undefined : { length: total, status: head.slice(9, 12) };
}

const percentile = (sorted: Float64Array, p: number) =>
  Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! * 100) / 100;

export async function drive(input: DriverInput): Promise<DriverFigures> {
  const url = new URL(input.url);
  const prepared = bodies(input).map((body) => request(url, body));
  const latencies = new Float64Array(prepared.length);
  const statuses: Record<string, number> = {};
  const count = (status: string) => (statuses[status] = (statuses[status] ?? 0) + 1);
  let next = 0;

  /** One keep-alive connection, one request at a time, until none is left; reconnects if closed. */
  const connection = () =>
    new Promise<void>((resolve, reject) => {
      const socket = net.connect(Number(url.port), url.hostname);
      socket.setNoDelay(true);
      let pending: Buffer = Buffer.alloc(0);
      let current = -1;
      let started = 0;
      const sendNext = () => {
        if (next >= prepared.length) {
          current = -1;
          socket.end();
          return;
        }
        current = next++;
        started = performance.now();
        socket.write(prepared[current]!);
      };
      let connected = false;
      socket.on('connect', () => {
        connected = true;
        sendNext();
      });
      socket.on('data', (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        let answer;
        try {
          answer = answerIn(pending);
        } catch (err) {
          socket.destroy();
          reject(err as Error);
          return;
        }
        if (!answer) return;
        latencies[current] = performance.now() - started;
        count(answer.status);
        pending = pending.subarray(answer.length);
        sendNext();
      });
      socket.on('error', (err) => {
        if (!connected) reject(err);
      });
      socket.on('close', () => {
        if (!connected) return;
        if (current < 0) return resolve();
        // The request in flight is lost with the connection: counted, and the rest go on a new one.
        latencies[current] = performance.now() - started;
        count('closed');
        connection().then(resolve, reject);
      });
    });

  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: input.concurrency }, connection));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  latencies.sort();
  return {
    events: prepared.length,
    seconds: Math.round(seconds * 1000) / 1000,
    perSecond: Math.round(prepared.length / seconds),
    statuses,
    latencyMs: {
      p50: percentile(latencies, 0.5),
      p90: percentile(latencies, 0.9),
      p99: percentile(latencies, 0.99),
      max: percentile(latencies, 1),
    },
    bodyBytes: prepared[0] ? prepared[0].length - prepared[0].indexOf(HEAD_END) - HEAD_END.length : 0,
    driverCpuMicros: Math.round((used.user + used.system) / prepared.length),
  };
}

process.on('message', (input: DriverInput) => {
  drive(input).then(
    (figures) => process.send!(figures, () => process.exit(0)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
});
