import { z } from 'zod';
import { definedProperties, engagementEvent, type EngagementEvent, type EngagementEventType } from './events.ts';
import { smsKeyword, twilioOptOutType } from './keywords.ts';

/**
 * Twilio's form-encoded webhooks, after the signature has been checked: status callbacks of
 * the messages we sent (matched to the ledger by MessageSid) and texts customers send to us.
 * Neither carries the time of the event, so it is the time we received it.
 */

const sid = z.string().regex(/^[A-Z]{2}[0-9a-f]{32}$/i, 'a Twilio SID');
const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number');

export const twilioStatusCallback = z.object({
  MessageSid: sid,
  MessageStatus: z.string().min(1).max(32),
  To: z.string().max(64).optional(),
  From: z.string().max(64).optional(),
  ErrorCode: z.string().max(16).optional(),
  ErrorMessage: z.string().max(500).optional(),
});

export const twilioInboundMessage = z.object({
  MessageSid: sid,
  From: e164,
  To: z.string().max(64).optional(),
  Body: z.string().max(1600).default(''),
  NumMedia: z.string().max(4).optional(),
  OptOutType: z.string().max(16).optional(),
});

export type TwilioStatusCallback = z.infer<typeof twilioStatusCallback>;
export type TwilioInboundMessage = z.infer<typeof twilioInboundMessage>;

function statusType(status: string): EngagementEventType {
  switch (status) {
    case 'accepted':
    case 'scheduled':
    case 'queued':
    case 'sending':
      return 'queued';
    case 'sent':
    case 'delivered':
    case 'undelivered':
    case 'failed':
      return status;
    default:
      return 'other';
  }
}

export function twilioStatusEvent(params: TwilioStatusCallback, raw: unknown, receivedAt: Date): EngagementEvent {
  const failed = params.MessageStatus === 'failed' || params.MessageStatus === 'undelivered';
  return engagementEvent({
    source: 'twilio',
    // Twilio posts each status of a message once; the pair is the event.
    eventKey: `${params.MessageSid}:${params.MessageStatus}`,
    type: statusType(params.MessageStatus),
    channel: 'sms',
    occurredAt: receivedAt,
    providerMessageId: params.MessageSid,
    messageProvider: 'twilio',
    address: params.To && e164.safeParse(params.To).success ? params.To : null,
    properties: definedProperties({
      providerStatus: params.MessageStatus,
      errorCode: failed ? params.ErrorCode : undefined,
      errorMessage: failed ? params.ErrorMessage : undefined,
    }),
    payload: raw,
  });
}

export function twilioInboundEvent(params: TwilioInboundMessage, raw: unknown, receivedAt: Date): EngagementEvent {
  const keyword = twilioOptOutType(params.OptOutType) ?? smsKeyword(params.Body);
  return engagementEvent({
    source: 'twilio',
    eventKey: params.MessageSid,
    type: 'inbound',
    channel: 'sms',
    occurredAt: receivedAt,
    address: params.From,
    keyword,
    properties: definedProperties({
      keyword,
      length: params.Body.length,
      media: Number(params.NumMedia ?? 0) || undefined,
    }),
    payload: raw,
  });
}
