import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { substituteRecipientVariables } from '../../domain/messaging/mail-merge.ts';
import { faultPlan } from './faults.ts';

/**
 * A local Mailgun that speaks the part of the real API the SDK calls: `POST /v3/:domain/messages`
 * with HTTP Basic auth (`api:<key>`) and a multipart/form-data body, answering as Mailgun
 * does. Faults are scripted per request or drawn with a seed; every accepted call and every
 * message it expands to (recipient variables applied, as Mailgun would) is logged.
 */

export type MailgunFault = 'rate_limited' | 'server_error' | 'timeout' | 'invalid_address' | 'unauthorized';

export interface MailgunStubOptions {
  apiKey: string;
  domain: string;
  /** Added before every answer. */
  latencyMs?: number;
  /** Probability per request of each fault, drawn from `seed`. */
  faultRates?: Partial<Record<'rate_limited' | 'server_error' | 'timeout', number>>;
  seed?: number;
  retryAfterSeconds?: number;
  /** How long a "timeout" holds the request before dropping the connection. */
  hangMs?: number;
}

export interface MailgunCall {
  id: string;
  recipients: string[];
  fields: Record<string, string[]>;
}

export interface MailgunDelivery {
  id: string;
  to: string;
  from: string;
  subject: string;
  html: string;
  text: string;
  /** `h:` fields, without the prefix. */
  headers: Record<string, string>;
  /** `v:` fields, without the prefix: what webhooks return as user-variables. */
  variables: Record<string, string>;
  tags: string[];
}

export interface MailgunStub {
  url: string;
  /** Accepted API calls, in order. */
  calls: MailgunCall[];
  /** Accepted messages, one per recipient. */
  messages: MailgunDelivery[];
  /** Every request that reached the messages endpoint, faulted or not. */
  requests: number;
  /** Faults for the next requests, in order; then the random ones apply again. */
  script(...faults: MailgunFault[]): void;
  /** Accepted messages per `v:send_id`: what exactly-once is checked against. */
  deliveriesBySendId(): Map<string, number>;
  close(): Promise<void>;
}

const MAX_RECIPIENTS = 1000;

interface LogsQuery {
  start?: string;
  filter?: { AND?: { attribute: string; values?: { value: string }[] }[] };
}
const addressSyntax = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Fields of a multipart/form-data or urlencoded body; repeated fields keep every value. */
export function parseForm(contentType: string, body: Buffer): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  const add = (name: string, value: string) => (fields[name] ??= []).push(value);
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!boundary) {
    for (const [name, value] of new URLSearchParams(body.toString())) add(name, value);
    return fields;
  }
  const delimiter = `--${boundary[1] ?? boundary[2]}`;
  for (const part of body.toString('utf8').split(delimiter).slice(1)) {
    if (part.startsWith('--')) break;
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) continue;
    const name = /name="([^"]*)"/i.exec(part.slice(0, headerEnd))?.[1];
    if (name !== undefined) add(name, part.slice(headerEnd + 4).replace(/\r\n$/, ''));
  }
  return fields;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
  res.end(text);
}

export async function startMailgunStub(options: MailgunStubOptions): Promise<MailgunStub> {
  const hanging = new Set<ServerResponse>();
  let sequence = 0;
  const expectedAuth = `Basic ${Buffer.from(`api:${options.apiKey}`).toString('base64')}`;

  const faults = faultPlan<MailgunFault>(options);
  const acceptedAt = new Map<string, Date>();

  // Mailgun's logs are indexed; a scan of every message per lookup made resolving a crashed
  // 1,000-recipient call at 100k quadratic. Kept up to date from `messages`, which tests may replace.
  // `last`: the newest message indexed; when `messages` no longer holds it there, it was emptied or replaced.
  let indexed: {
    messages: MailgunDelivery[];
    upTo: number;
    last?: MailgunDelivery;
    map: Map<string, MailgunDelivery[]>;
  } = {
    messages: [],
    upTo: 0,
    map: new Map(),
  };
  function byRecipient(): Map<string, MailgunDelivery[]> {
    if (indexed.messages !== stub.messages || stub.messages[indexed.upTo - 1] !== indexed.last) {
      indexed = { messages: stub.messages, upTo: 0, map: new Map() };
    }
    for (; indexed.upTo < stub.messages.length; indexed.upTo++) {
      const m = stub.messages[indexed.upTo]!;
      const key = m.to.toLowerCase();
      const list = indexed.map.get(key);
      if (list) list.push(m);
      else indexed.map.set(key, [m]);
      indexed.last = m;
    }
    return indexed.map;
  }

  /** The Logs API (`POST /v1/analytics/logs`) over accepted messages: filters on event and recipient. */
  function logs(query: LogsQuery) {
    const wanted = (attribute: string) =>
      query.filter?.AND?.find((c) => c.attribute === attribute)?.values?.map((v) => v.value);
    const events = wanted('event');
    const recipients = wanted('recipient')?.map((r) => r.toLowerCase());
    const start = query.start ? new Date(query.start) : new Date(0);
    const searched = recipients ? recipients.flatMap((r) => byRecipient().get(r) ?? []) : stub.messages;
    const items = searched
      .filter((m) => (acceptedAt.get(m.id) ?? new Date(0)) >= start)
      .filter(() => !events || events.includes('accepted'))
      .filter((m) => !recipients || recipients.includes(m.to.toLowerCase()))
      .map((m) => ({
        id: m.id.replace(/^<|>$/g, ''),
        '@timestamp': acceptedAt.get(m.id)!.toISOString(),
        event: 'accepted',
        recipient: m.to,
        'user-variables': m.variables,
        message: { headers: { 'message-id': m.id.replace(/^<|>$/g, ''), to: m.to, subject: m.subject } },
      }));
    return { start: start.toUTCString(), end: new Date().toUTCString(), items, pagination: {}, aggregates: {} };
  }
  const nextFault = (): MailgunFault | undefined => faults.next();

  const stub: MailgunStub = {
    url: '',
    calls: [],
    messages: [],
    requests: 0,
    script: (...scripted) => faults.script(...scripted),
    deliveriesBySendId() {
      const counts = new Map<string, number>();
      for (const m of stub.messages) {
        const id = m.variables.send_id;
        if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      return counts;
    },
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
    const pathname = new URL(req.url ?? '/', 'http://stub').pathname;
    if (req.method === 'POST' && pathname === '/v1/analytics/logs') {
      if (req.headers.authorization !== expectedAuth) return send(res, 401, 'Forbidden');
      return send(res, 200, logs(JSON.parse(body.toString() || '{}') as LogsQuery));
    }
    const route = /^\/v3\/([^/]+)\/messages$/.exec(pathname);
    if (req.method !== 'POST' || !route) return send(res, 404, { message: 'Not Found' });
    stub.requests++;
    if (req.headers.authorization !== expectedAuth) return send(res, 401, 'Forbidden');

    const fault = nextFault();
    if (fault === 'timeout') {
      hanging.add(res);
      setTimeout(() => res.destroy(), options.hangMs ?? 60_000).unref();
      return;
    }
    if (fault === 'unauthorized') return send(res, 401, 'Forbidden');
    if (fault === 'rate_limited') {
      return send(
        res,
        429,
        { message: 'Too many requests' },
        { 'retry-after': String(options.retryAfterSeconds ?? 2) },
      );
    }
    if (fault === 'server_error') return send(res, 500, { message: 'Internal Server Error' });

    const domain = decodeURIComponent(route[1]!);
    if (domain !== options.domain) return send(res, 404, { message: `Domain not found: ${domain}` });
    const fields = parseForm(req.headers['content-type'] ?? '', body);
    const one = (name: string) => fields[name]?.[0] ?? '';
    const to = (fields.to ?? [])
      .flatMap((t) => t.split(','))
      .map((t) => t.trim())
      .filter(Boolean);
    if (!one('from')) return send(res, 400, { message: 'from parameter is missing' });
    if (to.length === 0) return send(res, 400, { message: 'to parameter is missing' });
    if (!one('text') && !one('html'))
      return send(res, 400, { message: 'Need at least one of text or html parameters specified' });
    if (to.length > MAX_RECIPIENTS)
      return send(res, 400, { message: `Too many recipients: the maximum is ${MAX_RECIPIENTS}` });
    // Addresses on the reserved .invalid domain stand for ones Mailgun refuses.
    if (fault === 'invalid_address' || to.some((t) => !addressSyntax.test(t) || t.endsWith('.invalid'))) {
      return send(res, 400, { message: 'to parameter is not a valid address. please check documentation' });
    }

    const id = `<${Date.now()}.${++sequence}@${domain}>`;
    stub.calls.push({ id, recipients: to, fields });
    acceptedAt.set(id, new Date());
    const recipientVariables = fields['recipient-variables']
      ? (JSON.parse(one('recipient-variables')) as Record<string, Record<string, string>>)
      : {};
    for (const address of to) {
      const values = recipientVariables[address] ?? {};
      const expand = (value: string) => substituteRecipientVariables(value, values);
      const prefixed = (prefix: string) =>
        Object.fromEntries(
          Object.entries(fields)
            .filter(([name]) => name.startsWith(prefix))
            .map(([name, v]) => [name.slice(prefix.length), expand(v[0]!)]),
        );
      // The bodies are substituted when read: a 100k-recipient run would otherwise keep 100k
      // copies of them here, and the stub's garbage collection would slow down the run it serves.
      const [html, text] = [one('html'), one('text')];
      stub.messages.push({
        id,
        to: address,
        from: expand(one('from')),
        subject: expand(one('subject')),
        get html() {
          return expand(html);
        },
        get text() {
          return expand(text);
        },
        headers: prefixed('h:'),
        variables: prefixed('v:'),
        tags: fields['o:tag'] ?? [],
      });
    }
    send(res, 200, { id, message: 'Queued. Thank you.' });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { message: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return stub;
}
