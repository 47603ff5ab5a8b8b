/**
 * The HTTP load driver of the `webhooks` benchmark, in a process of its own so that making
 * requests does not take the server's event loop. Builds every signed Mailgun body before the
 * clock starts, then keeps `concurrency` requests in flight over keep-alive connections until
 * all are answered, and reports the rate, the answers by status and latency percentiles.
 * Started by bench/webhooks.bench.ts; not a benchmark itself.
 */
import { Pool } from 'undici';
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

const headers = { 'content-type': 'application/json' };

async function post(pool: Pool, path: string, body: Buffer): Promise<number> {
  const res = await pool.request({ method: 'POST', path, headers, body });
  await res.body.dump();
  return res.statusCode;
}

const percentile = (sorted: Float64Array, p: number) =>
  Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! * 100) / 100;

export async function drive(input: DriverInput): Promise<DriverFigures> {
  const prepared = bodies(input);
  const url = new URL(input.url);
  // undici rather than node:http: the client's own cost per request is about half, and the driver
  // shares the machine's two cores with the server it measures.
  const pool = new Pool(url.origin, { connections: input.concurrency, pipelining: 1 });
  const path = `${url.pathname}${url.search}`;
  const latencies = new Float64Array(prepared.length);
  const statuses: Record<string, number> = {};
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: input.concurrency }, async () => {
      while (next < prepared.length) {
        const i = next++;
        const t0 = performance.now();
        let status: string;
        try {
          status = String(await post(pool, path, prepared[i]!));
        } catch (err) {
          status = (err as NodeJS.ErrnoException).code ?? 'error';
        }
        latencies[i] = performance.now() - t0;
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await pool.close();
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
    bodyBytes: prepared[0]?.length ?? 0,
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
