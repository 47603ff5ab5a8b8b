import { describe, expect, it } from 'vitest';
import { twilioSid } from '../../platform/testing/webhooks.ts';
import { twilioInboundEvent, twilioInboundMessage, twilioStatusCallback, twilioStatusEvent } from './twilio.ts';

const receivedAt = new Date('2026-11-27T12:00:00Z');

describe('Twilio webhook events', () => {
  it('keys a status callback by message and status, and keeps the error of a failure', () => {
    const sid = twilioSid();
    const params = { MessageSid: sid, MessageStatus: 'undelivered', To: '+15555550123', ErrorCode: '30003' };
    const event = twilioStatusEvent(twilioStatusCallback.parse(params), params, receivedAt);
    expect(event).toMatchObject({
      source: 'twilio',
      eventKey: `${sid}:undelivered`,
      type: 'undelivered',
      channel: 'sms',
      providerMessageId: sid,
      messageProvider: 'twilio',
      address: '+15555550123',
      occurredAt: receivedAt,
      properties: { providerStatus: 'undelivered', errorCode: '30003' },
    });
  });

  it('maps queued, sent, delivered, undelivered and failed, and keeps other statuses as "other"', () => {
    const statuses = ['queued', 'accepted', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'read'];
    const types = statuses.map((MessageStatus) => {
      const params = { MessageSid: twilioSid(), MessageStatus };
      return twilioStatusEvent(twilioStatusCallback.parse(params), params, receivedAt).type;
    });
    expect(types).toEqual(['queued', 'queued', 'queued', 'sent', 'delivered', 'undelivered', 'failed', 'other']);
  });

  it('reads the keyword of an inbound text, from the body or from Twilio’s OptOutType', () => {
    const inbound = (Body: string, OptOutType?: string) => {
      const params = { MessageSid: twilioSid(), From: '+15555550123', To: '+15555550100', Body, OptOutType };
      return twilioInboundEvent(twilioInboundMessage.parse(params), params, receivedAt);
    };
    expect(inbound(' Stop ')).toMatchObject({ type: 'inbound', keyword: 'opt_out', address: '+15555550123' });
    expect(inbound('arret', 'STOP').keyword).toBe('opt_out');
    expect(inbound('Do you have Blanton’s?')).toMatchObject({ keyword: null, properties: { length: 22 } });
  });

  it('rejects callbacks without a message SID or an inbound text without an E.164 sender', () => {
    expect(twilioStatusCallback.safeParse({ MessageStatus: 'sent' }).success).toBe(false);
    expect(twilioStatusCallback.safeParse({ MessageSid: 'SM123', MessageStatus: 'sent' }).success).toBe(false);
    expect(twilioInboundMessage.safeParse({ MessageSid: twilioSid(), From: '5555550123', Body: 'STOP' }).success).toBe(
      false,
    );
  });
});
