import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countSmsSegments } from '../../domain/messaging/sms-segments.ts';
import { faultPlan } from './faults.ts';

/**
 * A local Twilio that speaks the part of the REST API the SDK calls to send SMS:
 * `POST /2010-04-01/Accounts/:sid/Messages.json` with HTTP Basic auth (`sid:token`) and an
 * x-www-form-urlencoded body, answering with a Message resource or Twilio's error JSON
 * (`code`, `message`, `more_info`, `status`). Faults are scripted per request or drawn with a
 * seed; every accepted message is logged.
 */

export type TwilioFault =
  'rate_limited' | 'server_error' | 'timeout' | 'invalid_number' | 'not_mobile' | 'unsubscribed' | 'unauthorized';

export interface TwilioStubOptions {
  accountSid: string;
  authToken: string;
  latencyMs?: number;
  faultRates?: Partial<Record<'rate_limited' | 'server_error' | 'timeout', number>>;
  seed?: number;
  retryAfterSeconds?: number;
  hangMs?: number;
}

export interface TwilioMessage {
  sid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  statusCallback: string | null;
  numSegments: number;
  receivedAt: number;
}

export interface TwilioStub {
  url: string;
  messages: TwilioMessage[];
  requests: number;
  script(...faults: TwilioFault[]): void;
  close(): Promise<void>;
}

const e164 = /^\+[1-9]\d{6,14}$/;

const errors = {
  unauthorized: [401, 20003, 'Authenticate'],
  rate_limited: [429, 20429, 'Too Many Requests'],
  server_error: [500, 20500, 'Internal Server Error'],
  invalid_number: [400, 21211, "The 'To' number is not a valid phone number."],
  not_mobile: [400, 21614, "'To' number is not a valid mobile number"],
  unsubscribed: [400, 21610, 'Attempt to send to unsubscribed recipient'],
  no_body: [400, 21602, 'Message body is required.'],
  no_sender: [400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message."],
} as const;

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function replyError(res: ServerResponse, kind: keyof typeof errors, headers: Record<string, string> = {}): void {
  const [status, code, message] = errors[kind];
  reply(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, headers);
}

export async function startTwilioStub(options: TwilioStubOptions): Promise<TwilioStub> {
  const hanging = new Set<ServerResponse>();
  const expectedAuth = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;

  const faults = faultPlan<TwilioFault>(options);
  const nextFault = (): TwilioFault | undefined => faults.next();

  const stub: TwilioStub = {
    url: '',
    messages: [],
    requests: 0,
    script: (...scripted) => faults.script(...scripted),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
    const route = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(
      new URL(req.url ?? '/', 'http://stub').pathname,
    );
    if (req.method !== 'POST' || !route) {
      return reply(res, 404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    }
    stub.requests++;
    if (req.headers.authorization !== expectedAuth || route[1] !== options.accountSid) {
      return replyError(res, 'unauthorized');
    }
    const fault = nextFault();
    if (fault === 'timeout') {
      hanging.add(res);
      setTimeout(() => res.destroy(), options.hangMs ?? 60_000).unref();
      return;
    }
    if (fault === 'rate_limited')
      return replyError(res, fault, { 'retry-after': String(options.retryAfterSeconds ?? 1) });
    if (fault) return replyError(res, fault);

    const form = new URLSearchParams(Buffer.concat(chunks).toString());
    const to = form.get('To') ?? '';
    const from = form.get('From');
    const messagingServiceSid = form.get('MessagingServiceSid');
    const body = form.get('Body') ?? '';
    if (!e164.test(to)) return replyError(res, 'invalid_number');
    if (!from && !messagingServiceSid) return replyError(res, 'no_sender');
    if (!body) return replyError(res, 'no_body');

    const sid = `SM${randomBytes(16).toString('hex')}`;
    const numSegments = countSmsSegments(body).segments;
    stub.messages.push({
      sid,
      to,
      from,
      messagingServiceSid,
      body,
      statusCallback: form.get('StatusCallback'),
      numSegments,
      receivedAt: Date.now(),
    });
    const now = new Date().toUTCString().replace('GMT', '+0000');
    reply(res, 201, {
      sid,
      account_sid: options.accountSid,
      api_version: '2010-04-01',
      body,
      date_created: now,
      date_sent: null,
      date_updated: now,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from,
      messaging_service_sid: messagingServiceSid,
      num_media: '0',
      num_segments: String(numSegments),
      price: null,
      price_unit: 'USD',
      status: 'queued',
      subresource_uris: { media: `/2010-04-01/Accounts/${options.accountSid}/Messages/${sid}/Media.json` },
      to,
      uri: `/2010-04-01/Accounts/${options.accountSid}/Messages/${sid}.json`,
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => reply(res, 500, { code: 20500, message: String(err), status: 500 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return stub;
}
