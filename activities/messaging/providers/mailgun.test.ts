import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMailgunStub, type MailgunStub } from '../../../bench/stubs/mailgun-stub.ts';
import {
  compileTemplate,
  defaultTemplates,
  mailMergeValues,
  recipientLinks,
  renderMailMerge,
  renderMessage,
  type CompiledTemplate,
  type MessageTemplate,
  type MessageVariables,
} from '../../../domain/messaging/index.ts';
import { createMailgunProvider, type MailgunSettings } from './mailgun.ts';
import type { EmailMessage } from './types.ts';

const apiKey = 'key-0123456789abcdef';
const domain = 'mg.bottleshop.example';
const campaignId = '7d9f3c52-1f0b-4c3e-9f55-0a6d1d2b8e41';

let stub: MailgunStub;
let compiled: CompiledTemplate;

beforeAll(async () => {
  stub = await startMailgunStub({ apiKey, domain, retryAfterSeconds: 7, hangMs: 10_000 });
  compiled = await compileTemplate(defaultTemplates.percent_off);
});
afterAll(() => stub.close());
afterEach(() => {
  stub.calls.length = 0;
  stub.messages.length = 0;
  stub.requests = 0;
});

function provider(settings: Partial<MailgunSettings> = {}) {
  return createMailgunProvider({
    apiKey,
    domain,
    region: 'us',
    baseUrl: stub.url,
    from: '"Bottle Shop" <shop@mg.bottleshop.example>',
    timeoutMs: 1_000,
    ...settings,
  });
}

function vars(firstName: string | null, token: string): MessageVariables {
  return {
    customer: { firstName, primaryCategory: 'rum' },
    offer: { kind: 'percent_off', label: '15% off', discountPct: 15 },
    store: { name: 'Bottle Shop', postalAddress: '12 Elm Street', responsibleDrinkingLine: 'Enjoy responsibly.' },
    links: recipientLinks({
      publicUrl: 'https://m.bottleshop.example',
      shopUrl: 'https://bottleshop.example/shop',
      token,
      unsubscribeMailbox: `unsubscribe@${domain}`,
    }),
  };
}

/** A rendered campaign e-mail, with its mail-merge form as the send activity would attach it. */
function message(to: string, firstName: string | null, template = compiled, merge = true): EmailMessage {
  const v = vars(firstName, `tok-${to}`);
  const rendered = renderMessage(template, v);
  return {
    sendId: randomUUID(),
    campaignId,
    to,
    subject: rendered.subject,
    html: rendered.html,
    text: rendered.text,
    headers: rendered.headers,
    ...(merge ? { mailMerge: { template: renderMailMerge(template, v), values: mailMergeValues(v) } } : {}),
  };
}

describe('Mailgun provider', () => {
  it('sends one message with the unsubscribe headers, the send id and the campaign tag', async () => {
    const m = message('ada@example.com', 'Ada', compiled, false);
    const [result] = await provider().send([m]);
    expect(result).toEqual({
      sendId: m.sendId,
      ok: true,
      providerMessageId: `${stub.calls[0]!.id.slice(1, -1)}#${m.sendId}`,
    });
    expect(stub.messages).toHaveLength(1);
    const delivered = stub.messages[0]!;
    expect(delivered).toMatchObject({
      to: 'ada@example.com',
      from: '"Bottle Shop" <shop@mg.bottleshop.example>',
      subject: m.subject,
      html: m.html,
      text: m.text,
      headers: m.headers,
      variables: { send_id: m.sendId, campaign_id: campaignId },
      tags: [`campaign-${campaignId}`],
    });
    expect(delivered.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
  });

  it('sends messages from one template in a single call with recipient variables', async () => {
    const batch = [
      message('ada@example.com', 'Ada'),
      message('bob@example.com', null),
      message('cy@example.com', `<b>O'Brien & "Co"</b>`),
      message('dee@example.com', '%recipient.send_id%'),
    ];
    const results = await provider().send(batch);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results.map((r) => r.ok && r.providerMessageId)).toEqual(
      batch.map((m) => `${stub.calls[0]!.id.slice(1, -1)}#${m.sendId}`),
    );

    expect(stub.calls).toHaveLength(1);
    const call = stub.calls[0]!;
    expect(call.fields['v:send_id']).toEqual(['%recipient.send_id%']);
    const recipientVariables = JSON.parse(call.fields['recipient-variables']![0]!) as Record<
      string,
      Record<string, string>
    >;
    expect(Object.keys(recipientVariables)).toEqual(batch.map((m) => m.to));
    expect(recipientVariables['ada@example.com']).toMatchObject({ send_id: batch[0]!.sendId, first_name: 'Ada' });

    // What each recipient gets after Mailgun's substitution is exactly what was rendered for them.
    for (const m of batch) {
      const delivered = stub.messages.find((d) => d.to === m.to)!;
      expect(delivered).toMatchObject({ subject: m.subject, html: m.html, text: m.text, headers: m.headers });
      expect(delivered.variables.send_id).toBe(m.sendId);
    }
  });

  it('splits a batch at the recipient limit and never puts an address twice in one call', async () => {
    const batch = ['a', 'b', 'c', 'd', 'e'].map((n) => message(`${n}@example.com`, n));
    batch.push(message('a@example.com', 'again'));
    const results = await provider({ batchLimit: 2 }).send(batch);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(stub.calls.map((c) => c.recipients.length)).toEqual([2, 2, 2]);
    for (const call of stub.calls) expect(new Set(call.recipients).size).toBe(call.recipients.length);
    expect(stub.messages).toHaveLength(6);
  });

  it('sends one call per message when the merge would not reproduce the rendered message', async () => {
    const shouting: MessageTemplate = { ...defaultTemplates.none, subject: 'HEY {{ customer.first_name | upcase }}' };
    const template = await compileTemplate(shouting);
    const batch = [message('ada@example.com', 'Ada', template), message('bob@example.com', 'Bob', template)];
    const results = await provider().send(batch);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(stub.calls).toHaveLength(2);
    expect(stub.messages.map((d) => d.subject).sort()).toEqual(['HEY ADA', 'HEY BOB']);
  });

  it('sends one call per message without a mail-merge form', async () => {
    const batch = [
      message('ada@example.com', 'Ada', compiled, false),
      message('bob@example.com', 'Bob', compiled, false),
    ];
    await provider().send(batch);
    expect(stub.calls).toHaveLength(2);
  });

  it('refuses an address before calling Mailgun', async () => {
    const results = await provider().send([message('not an address', 'X')]);
    expect(results[0]).toMatchObject({ ok: false, retryable: false, code: 'invalid_address' });
    expect(stub.requests).toBe(0);
  });

  it('treats an address Mailgun refuses (400) as permanent', async () => {
    const results = await provider().send([message('ghost@nowhere.invalid', 'X', compiled, false)]);
    expect(results[0]).toMatchObject({ ok: false, retryable: false, code: 'invalid_address', providerCode: '400' });
    expect(results[0]).toHaveProperty('message', expect.stringContaining('not a valid address'));
  });

  it('finds the one refused address of a batch by sending the rest one by one', async () => {
    const batch = [
      message('ada@example.com', 'Ada'),
      message('ghost@nowhere.invalid', 'X'),
      message('bob@example.com', 'Bob'),
    ];
    const results = await provider().send(batch);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(results[1]).toMatchObject({ retryable: false, code: 'invalid_address' });
    expect(stub.requests).toBe(4);
    expect(stub.messages.map((d) => d.to).sort()).toEqual(['ada@example.com', 'bob@example.com']);
  });

  it('reports a wrong API key as a configuration failure for every message', async () => {
    const results = await provider({ apiKey: 'key-wrong' }).send([
      message('ada@example.com', 'Ada'),
      message('bob@example.com', 'Bob'),
    ]);
    expect(results).toEqual([
      expect.objectContaining({ ok: false, retryable: true, code: 'configuration', providerCode: '401' }),
      expect.objectContaining({ ok: false, retryable: true, code: 'configuration', providerCode: '401' }),
    ]);
    expect(stub.messages).toHaveLength(0);
  });

  it('reports a domain the key does not own as a configuration failure', async () => {
    const [result] = await provider({ domain: 'other.example' }).send([message('ada@example.com', 'Ada')]);
    expect(result).toMatchObject({ ok: false, retryable: true, code: 'configuration', providerCode: '404' });
  });

  it('retries after a 429 with the Retry-After Mailgun gave', async () => {
    stub.script('rate_limited');
    const [result] = await provider().send([message('ada@example.com', 'Ada')]);
    expect(result).toMatchObject({
      ok: false,
      retryable: true,
      code: 'rate_limited',
      retryAfterMs: 7_000,
      providerCode: '429',
    });
  });

  it('retries after a 5xx', async () => {
    stub.script('server_error');
    const [result] = await provider().send([message('ada@example.com', 'Ada')]);
    expect(result).toMatchObject({ ok: false, retryable: true, code: 'provider_error', providerCode: '500' });
  });

  it('retries after a timeout', async () => {
    stub.script('timeout');
    const [result] = await provider({ timeoutMs: 300 }).send([message('ada@example.com', 'Ada')]);
    expect(result).toMatchObject({ ok: false, retryable: true, code: 'timeout' });
    expect(stub.messages).toHaveLength(0);
  });

  it('retries when nothing answers', async () => {
    const closed = await startMailgunStub({ apiKey, domain });
    const url = closed.url;
    await closed.close();
    const [result] = await provider({ baseUrl: url }).send([message('ada@example.com', 'Ada')]);
    expect(result).toMatchObject({ ok: false, retryable: true, code: 'network' });
  });

  it('answers each message of a batch in order, whatever happened to the others', async () => {
    stub.script('server_error');
    const batch = [
      message('ada@example.com', 'Ada', compiled, false),
      message('bad address', 'X'),
      message('bob@example.com', 'Bob', compiled, false),
    ];
    const results = await provider({ concurrency: 1 }).send(batch);
    expect(results.map((r) => r.sendId)).toEqual(batch.map((m) => m.sendId));
    expect(results.map((r) => (r.ok ? 'sent' : r.code))).toEqual(['provider_error', 'invalid_address', 'sent']);
  });
});

describe('Mailgun lookup after a worker died mid-send', () => {
  it("finds an accepted message by its send id in Mailgun's logs, and nothing for one never accepted", async () => {
    const mailgun = provider();
    const since = new Date(Date.now() - 1_000);
    const message = {
      sendId: '00000000-0000-4000-8000-00000000c0de',
      to: 'pat@example.com',
      subject: 'Hi',
      html: '<p>Hi</p>',
      text: 'Hi',
      headers: {},
    };
    const [sent] = await mailgun.send([message]);
    if (!sent?.ok) throw new Error('the stub refused the message');

    expect(await mailgun.lookup!({ sendId: message.sendId, to: message.to, since })).toBe(sent.providerMessageId);
    // Another message to the same address, and the same message to another address, are not it.
    expect(await mailgun.lookup!({ sendId: '00000000-0000-4000-8000-00000000beef', to: message.to, since })).toBeNull();
    expect(await mailgun.lookup!({ sendId: message.sendId, to: 'sam@example.com', since })).toBeNull();
    expect(stub.deliveriesBySendId()).toEqual(new Map([[message.sendId, 1]]));
  });

  it('gives each message of a batch found in the logs the id it would have had from the send', async () => {
    const mailgun = provider();
    const since = new Date(Date.now() - 1_000);
    const batch = [message('ada@example.com', 'Ada'), message('bob@example.com', 'Bob')];
    const sent = await mailgun.send(batch);
    expect(stub.calls).toHaveLength(1);
    for (const [i, m] of batch.entries()) {
      const found = await mailgun.lookup!({ sendId: m.sendId, to: m.to, since });
      expect(found).toBe(sent[i]!.ok && sent[i]!.providerMessageId);
    }
  });
});
