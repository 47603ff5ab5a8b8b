import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mailgunEventData as eventDataOf, signedMailgunBody } from '../../platform/testing/webhooks.ts';
import { mailgunEnvelope, mailgunEvent, mailgunEventData, signMailgun, verifyMailgunSignature } from './mailgun.ts';

const KEY = 'key-mailgun-webhook-signing-0123456789';
const now = new Date('2026-11-27T12:00:00Z');
const seconds = now.getTime() / 1000;

function parsed(fields: Parameters<typeof eventDataOf>[0], timestamp = seconds) {
  const body = mailgunEnvelope.parse(signedMailgunBody(eventDataOf(fields), { signingKey: KEY, timestamp }));
  return { body, data: mailgunEventData.parse(body['event-data']) };
}

describe('Mailgun webhook signatures', () => {
  it('signs timestamp + token with HMAC-SHA256 of the key, in hex', () => {
    // Known answer, computed outside Node: printf '1529006854<token>' | openssl dgst -sha256 -hmac key-example
    expect(signMailgun('1529006854', 'a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0', 'key-example')).toBe(
      '034634357816b50bd07f40acde38686ff7e40f8e154283bd8cfbf0aef6430d60',
    );
  });

  it('verifies a fresh request signed with the key', () => {
    const { body } = parsed({ event: 'delivered' });
    expect(verifyMailgunSignature(body.signature, KEY, { now })).toEqual({ ok: true });
  });

  it('refuses a signature made with another key, or edited', () => {
    const { body } = parsed({ event: 'delivered' });
    expect(verifyMailgunSignature(body.signature, 'another-key', { now })).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    const flipped = body.signature.signature.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
    expect(verifyMailgunSignature({ ...body.signature, signature: flipped }, KEY, { now }).ok).toBe(false);
    // The signature covers the timestamp: moving it forward to look fresh breaks it.
    expect(verifyMailgunSignature({ ...body.signature, timestamp: String(seconds + 1) }, KEY, { now }).ok).toBe(false);
  });

  it('refuses timestamps outside the freshness window, in the past or the future', () => {
    const old = parsed({ event: 'delivered' }, seconds - 301).body;
    const future = parsed({ event: 'delivered' }, seconds + 301).body;
    const edge = parsed({ event: 'delivered' }, seconds - 299).body;
    expect(verifyMailgunSignature(old.signature, KEY, { now })).toEqual({ ok: false, reason: 'stale' });
    expect(verifyMailgunSignature(future.signature, KEY, { now })).toEqual({ ok: false, reason: 'stale' });
    expect(verifyMailgunSignature(edge.signature, KEY, { now })).toEqual({ ok: true });
    expect(verifyMailgunSignature(edge.signature, KEY, { now, maxAgeMs: 60_000 })).toEqual({
      ok: false,
      reason: 'stale',
    });
  });

  it('rejects envelopes without a well-formed signature', () => {
    const good = signedMailgunBody(eventDataOf({ event: 'opened' }), { signingKey: KEY });
    for (const bad of [
      {},
      { 'event-data': good['event-data'] },
      { ...good, signature: { ...good.signature, signature: 'not-hex' } },
      { ...good, signature: { ...good.signature, token: 'short' } },
      { ...good, 'event-data': 'a string' },
    ]) {
      expect(mailgunEnvelope.safeParse(bad).success, JSON.stringify(bad).slice(0, 80)).toBe(false);
    }
  });
});

describe('Mailgun events', () => {
  it('reads the send id, message id, recipient and time of an event', () => {
    const sendId = randomUUID();
    const { body, data } = parsed({
      event: 'clicked',
      id: 'evt-1',
      sendId,
      messageId: '<20261127.abc@mg.store.example>',
      recipient: 'Pat.Shopper@Example.com',
      url: 'https://shop.example/bourbon',
      timestamp: 1_790_000_000.25,
    });
    const event = mailgunEvent(data, body['event-data'], body.signature);
    expect(event).toMatchObject({
      source: 'mailgun',
      eventKey: 'evt-1',
      type: 'clicked',
      channel: 'email',
      sendId,
      providerMessageId: '20261127.abc@mg.store.example',
      messageProvider: 'mailgun',
      address: 'pat.shopper@example.com',
      occurredAt: new Date(1_790_000_000_250),
      properties: { providerEvent: 'clicked', url: 'https://shop.example/bourbon' },
    });
    expect(event.replayGuard).toEqual({
      token: body.signature.token,
      expiresAt: new Date((Number(body.signature.timestamp) + 300) * 1000),
    });
  });

  it('tells a permanent failure (a bounce) from a temporary one', () => {
    const permanent = parsed({
      event: 'failed',
      severity: 'permanent',
      reason: 'bounce',
      deliveryStatus: { code: 550, description: 'No such mailbox' },
    });
    expect(mailgunEvent(permanent.data, {}, permanent.body.signature)).toMatchObject({
      type: 'bounced',
      properties: { severity: 'permanent', reason: 'bounce', errorCode: '550', errorMessage: 'No such mailbox' },
    });
    const temporary = parsed({ event: 'failed', severity: 'temporary', reason: 'generic' });
    expect(mailgunEvent(temporary.data, {}, temporary.body.signature).type).toBe('deferred');
  });

  it('maps every event type we act on, and keeps the others as "other"', () => {
    const types = ['delivered', 'opened', 'clicked', 'unsubscribed', 'complained', 'accepted', 'stored'];
    const mapped = types.map((event) => {
      const { body, data } = parsed({ event });
      return mailgunEvent(data, {}, body.signature).type;
    });
    expect(mapped).toEqual(['delivered', 'opened', 'clicked', 'unsubscribed', 'complained', 'queued', 'other']);
  });

  it('ignores a send id that is not a ledger id', () => {
    const { body, data } = parsed({ event: 'delivered', sendId: '%recipient.send_id%' });
    expect(mailgunEvent(data, {}, body.signature).sendId).toBeNull();
  });
});
