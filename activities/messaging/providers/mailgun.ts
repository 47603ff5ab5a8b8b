import FormData from 'form-data';
import Mailgun from 'mailgun.js';
import { mailMergeReproduces } from '../../../domain/messaging/index.ts';
import { invalidEmail } from './addresses.ts';
import { isTimeout, observeHttp, retryAfterMs, type HttpResponseSeen } from './http-responses.ts';
import type { EmailMessage, EmailProvider, SendFailure, SendResult } from './types.ts';

/**
 * E-mail through Mailgun's messages API with the official SDK. Messages rendered from one
 * shared body go out as batch sends (up to 1,000 recipients a call, each with their
 * recipient-variables); anything else goes one call per message. Every message carries
 * `v:send_id`, which Mailgun hands back in its webhooks as user-variables (in a batch, each
 * recipient's own, through `%recipient.send_id%`).
 *
 * A message's id in the ledger is Mailgun's id of the call, `#`, and the send id: one call's id
 * covers up to 1,000 messages, and the ledger holds each id once. It is the same whether the
 * message went alone or in a batch, or was found in Mailgun's logs after a crash.
 */

export const MAILGUN_REGION_URLS = { us: 'https://api.mailgun.net', eu: 'https://api.eu.mailgun.net' } as const;
/** Mailgun's limit on recipients per call. */
export const MAILGUN_BATCH_LIMIT = 1000;

export interface MailgunSettings {
  apiKey: string;
  domain: string;
  region: keyof typeof MAILGUN_REGION_URLS;
  /** A proxy or a local stub instead of the region's URL. */
  baseUrl?: string;
  from: string;
  timeoutMs?: number;
  /** Calls in flight at once. */
  concurrency?: number;
  batchLimit?: number;
}

type MailgunData = Record<string, string | string[]>;
type MailgunClient = ReturnType<Mailgun['client']>;
type MailgunMessage = Parameters<MailgunClient['messages']['create']>[1];

function stripBrackets(id: string): string {
  return id.replace(/^<|>$/g, '');
}

function headerFields(headers: Record<string, string>): MailgunData {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [`h:${name}`, value]));
}

function senderAndCampaign(message: EmailMessage, from: string): MailgunData {
  const data: MailgunData = { from: message.from ?? from };
  if (message.campaignId) {
    data['o:tag'] = [`campaign-${message.campaignId}`];
    data['v:campaign_id'] = message.campaignId;
  }
  return data;
}

/** Whether Mailgun's substitution of this recipient's values gives exactly the rendered message. */
function mergesExactly(message: EmailMessage): boolean {
  return message.mailMerge !== undefined && mailMergeReproduces(message.mailMerge, message);
}

/**
 * Groups of messages that can share one call: same sender, campaign and body, at most
 * `limit` per call, and no address twice in a call (recipient-variables are keyed by address).
 */
function batchCalls(messages: EmailMessage[], limit: number): EmailMessage[][] {
  const groups = new Map<string, EmailMessage[][]>();
  const calls: EmailMessage[][] = [];
  for (const message of messages) {
    if (!mergesExactly(message)) {
      calls.push([message]);
      continue;
    }
    const key = JSON.stringify([message.from ?? '', message.campaignId ?? '', message.mailMerge!.template.key]);
    const chunks = groups.get(key) ?? [];
    groups.set(key, chunks);
    const address = message.to.toLowerCase();
    let chunk = chunks.find((c) => c.length < limit && !c.some((m) => m.to.toLowerCase() === address));
    if (!chunk) {
      chunk = [];
      chunks.push(chunk);
      calls.push(chunk);
    }
    chunk.push(message);
  }
  return calls;
}

async function mapConcurrently<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Mailgun's answer to a failed call, for each message in it. */
export function mailgunFailure(error: unknown, response: HttpResponseSeen | undefined): Omit<SendFailure, 'sendId'> {
  const e = error as { status?: number; details?: unknown; message?: unknown };
  const message = [e.details, e.message].find((v) => typeof v === 'string' && v !== '') as string | undefined;
  if (!response) {
    const code = isTimeout(error) ? 'timeout' : 'network';
    return { ok: false, retryable: true, code, message: `no response from Mailgun: ${message ?? String(error)}` };
  }
  const status = response.status;
  const base = { ok: false as const, message: message ?? `HTTP ${status}`, providerCode: String(status) };
  if (status === 429) {
    return { ...base, retryable: true, code: 'rate_limited', retryAfterMs: retryAfterMs(response.headers) };
  }
  if (status >= 500)
    return { ...base, retryable: true, code: 'provider_error', retryAfterMs: retryAfterMs(response.headers) };
  // Wrong key (401/403), a domain this key does not own (404), or a URL that is not the
  // messages API (Mailgun answers those 200 "Mailgun Magnificent API", which the SDK rejects).
  if (status === 401 || status === 403 || status === 404 || status < 400) {
    return { ...base, retryable: true, code: 'configuration' };
  }
  const aboutAddress = /address|recipient|\bto\b/i.test(base.message);
  return { ...base, retryable: false, code: aboutAddress ? 'invalid_address' : 'rejected' };
}

/** Mailgun's id for the call that carried a message, made the message's own. */
function ledgerMessageId(callId: string, sendId: string): string {
  return `${stripBrackets(callId)}#${sendId}`;
}

export function createMailgunProvider(settings: MailgunSettings): EmailProvider {
  const client = new Mailgun(FormData).client({
    username: 'api',
    key: settings.apiKey,
    url: settings.baseUrl ?? MAILGUN_REGION_URLS[settings.region],
    timeout: settings.timeoutMs ?? 30_000,
  });
  const limit = Math.min(settings.batchLimit ?? MAILGUN_BATCH_LIMIT, MAILGUN_BATCH_LIMIT);

  async function post(data: MailgunMessage, sendIds: string[]): Promise<SendResult[]> {
    const outcome = await observeHttp(() => client.messages.create(settings.domain, data));
    if (!outcome.ok) {
      const failure = mailgunFailure(outcome.error, outcome.response);
      return sendIds.map((sendId) => ({ sendId, ...failure }));
    }
    const id = stripBrackets(outcome.value.id ?? '');
    return sendIds.map((sendId) => ({ sendId, ok: true as const, providerMessageId: ledgerMessageId(id, sendId) }));
  }

  function sendOne(message: EmailMessage): Promise<SendResult[]> {
    return post(
      {
        ...senderAndCampaign(message, settings.from),
        to: [message.to],
        subject: message.subject,
        html: message.html,
        text: message.text,
        ...headerFields(message.headers),
        'v:send_id': message.sendId,
      },
      [message.sendId],
    );
  }

  async function sendBatch(messages: EmailMessage[]): Promise<SendResult[]> {
    if (messages.length === 1) return sendOne(messages[0]!);
    const template = messages[0]!.mailMerge!.template;
    const recipientVariables = Object.fromEntries(
      messages.map((m) => [m.to, { ...m.mailMerge!.values, send_id: m.sendId }]),
    );
    const results = await post(
      {
        ...senderAndCampaign(messages[0]!, settings.from),
        to: messages.map((m) => m.to),
        subject: template.subject,
        html: template.html,
        text: template.text,
        ...headerFields(template.headers),
        'v:send_id': '%recipient.send_id%',
        'recipient-variables': JSON.stringify(recipientVariables),
      },
      messages.map((m) => m.sendId),
    );
    // Mailgun refuses a whole batch for one bad address: send them one by one to find it.
    const refused = results[0];
    if (refused && !refused.ok && !refused.retryable) {
      return (await mapConcurrently(messages, 4, sendOne)).flat();
    }
    return results;
  }

  return {
    name: 'mailgun',
    batchLimit: limit,
    /**
     * Mailgun's logs of the messages it accepted for this address since `since`, searched for the
     * send id each message carries as a user variable. A message Mailgun has no record of was
     * never accepted (the caller asks once the sending worker is gone, so nothing is in flight).
     */
    async lookup({ sendId, to, since }) {
      const value = (v: string) => [{ label: v, value: v }];
      const logs = await client.logs.list({
        start: new Date(since.getTime() - 60_000),
        filter: {
          AND: [
            { attribute: 'event', comparator: '=', values: value('accepted') },
            { attribute: 'recipient', comparator: '=', values: value(to) },
          ],
        },
      });
      for (const item of logs.items as { id?: string; message?: { headers?: Record<string, string> } }[]) {
        const vars = (item as { 'user-variables'?: Record<string, unknown> })['user-variables'];
        if (vars?.send_id === sendId)
          return ledgerMessageId(item.message?.headers?.['message-id'] ?? item.id ?? '', sendId);
      }
      return null;
    },
    async send(batch) {
      // Results are matched to messages by identity: each call answers for its messages in order.
      const results = new Map<EmailMessage, SendResult>();
      const valid: EmailMessage[] = [];
      for (const message of batch) {
        const invalid = invalidEmail(message.sendId, message.to);
        if (invalid) results.set(message, invalid);
        else valid.push(message);
      }
      const calls = batchCalls(valid, limit);
      const answers = await mapConcurrently(calls, settings.concurrency ?? 4, sendBatch);
      calls.forEach((call, i) => call.forEach((message, j) => results.set(message, answers[i]![j]!)));
      return batch.map((message) => results.get(message)!);
    },
  };
}
